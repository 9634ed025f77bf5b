package org.clip4j.encoders;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Set;

/**
 * How a checkpoint file names and lays out the entries of the OpenAI {@code CLIP.state_dict()}: which file
 * tensors hold an entry, and how to assemble the entry from them. The loader validates and reads every format
 * through this one interface, so all of them report missing, unexpected and mis-shaped tensors the same way.
 */
interface TensorLayout {
    /** The file tensors (names and shapes) that hold entry {@code name} of shape {@code shape}. */
    List<HfClipNames.Part> parts(String name, long[] shape);

    /** The entry's value in OpenAI layout from its file tensors, in {@link #parts} order. */
    INDArray join(String name, List<INDArray> parts);

    /** True for file tensors that carry no weights and are skipped. */
    boolean ignorable(String fileName);

    /** Short description for logs and error messages. */
    String describe();

    /** Non-tensor entries that some OpenAI checkpoints carry and {@code build_model} deletes. */
    Set<String> OPENAI_IGNORED = Set.of("input_resolution", "context_length", "vocab_size");

    /** OpenAI / OpenCLIP {@code CLIP} names: every entry is one tensor of the same name and shape. */
    TensorLayout OPENAI = new TensorLayout() {
        @Override
        public List<HfClipNames.Part> parts(String name, long[] shape) {
            return List.of(new HfClipNames.Part(name, shape));
        }

        @Override
        public INDArray join(String name, List<INDArray> parts) {
            return parts.get(0);
        }

        @Override
        public boolean ignorable(String fileName) {
            return OPENAI_IGNORED.contains(fileName);
        }

        @Override
        public String describe() {
            return "OpenAI/OpenCLIP names";
        }
    };

    /**
     * OpenCLIP {@code CustomTextCLIP} names: the text tower's entries (top-level in OpenAI's layout) carry the
     * prefix {@code text.}; everything else as {@link #OPENAI}.
     */
    TensorLayout OPENCLIP_CUSTOM_TEXT = new TensorLayout() {
        @Override
        public List<HfClipNames.Part> parts(String name, long[] shape) {
            return List.of(new HfClipNames.Part(isText(name) ? "text." + name : name, shape));
        }

        private boolean isText(String name) {
            return !name.startsWith("visual.") && !name.equals("logit_scale");
        }

        @Override
        public INDArray join(String name, List<INDArray> parts) {
            return parts.get(0);
        }

        @Override
        public boolean ignorable(String fileName) {
            return false;
        }

        @Override
        public String describe() {
            return "OpenCLIP CustomTextCLIP names (text.*)";
        }
    };

    /** Hugging Face {@code CLIPModel} names and layout, through {@link HfClipNames}. */
    TensorLayout HUGGING_FACE = new TensorLayout() {
        @Override
        public List<HfClipNames.Part> parts(String name, long[] shape) {
            return HfClipNames.toHf(name, shape);
        }

        @Override
        public INDArray join(String name, List<INDArray> parts) {
            return HfClipNames.joinParts(name, parts);
        }

        @Override
        public boolean ignorable(String fileName) {
            return HfClipNames.isIgnorable(fileName);
        }

        @Override
        public String describe() {
            return "Hugging Face CLIPModel names";
        }
    };
}
