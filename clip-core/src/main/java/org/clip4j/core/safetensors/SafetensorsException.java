package org.clip4j.core.safetensors;

import org.clip4j.core.ClipException;

/** A safetensors file, or one tensor in it, is not what it should be; the message names the file and tensor. */
public class SafetensorsException extends ClipException {
    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
