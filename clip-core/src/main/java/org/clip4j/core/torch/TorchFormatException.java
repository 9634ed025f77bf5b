package org.clip4j.core.torch;

import org.clip4j.core.ClipException;

/**
 * A PyTorch checkpoint (zip archive, legacy {@code torch.save} stream, TorchScript archive or the pickle inside
 * one) is malformed, or asks for something this reader refuses to do (a Python global outside the state-dict
 * allow-list, an opcode that would build arbitrary objects). The message names the file, the entry or pickle
 * offset, and what was expected. It is the only exception type the reader throws for bad input.
 */
public class TorchFormatException extends ClipException {
    public TorchFormatException(String message) {
        super(message);
    }

    public TorchFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
