package org.clip4j.core.torch;

import org.clip4j.core.safetensors.DType;

/**
 * The element types of PyTorch storages, named by their legacy storage classes ({@code torch.FloatStorage}...),
 * which is how {@code torch.save} and {@code torch.jit.save} record a storage's type in a pickle.
 */
public enum TorchDType {
    FLOAT("FloatStorage", 4, DType.F32),
    HALF("HalfStorage", 2, DType.F16),
    BFLOAT16("BFloat16Storage", 2, DType.BF16),
    DOUBLE("DoubleStorage", 8, DType.F64),
    LONG("LongStorage", 8, DType.I64),
    INT("IntStorage", 4, DType.I32),
    BYTE("ByteStorage", 1, DType.U8),
    SHORT("ShortStorage", 2, null),
    CHAR("CharStorage", 1, null),
    BOOL("BoolStorage", 1, null);

    private final String storageClass;
    private final int bytes;
    private final DType safetensors;

    TorchDType(String storageClass, int bytes, DType safetensors) {
        this.storageClass = storageClass;
        this.bytes = bytes;
        this.safetensors = safetensors;
    }

    /** The storage class name in module {@code torch}, e.g. {@code FloatStorage}. */
    public String storageClass() {
        return storageClass;
    }

    /** Bytes per element. */
    public int byteSize() {
        return bytes;
    }

    /** The safetensors dtype of the same layout, or null when clip4j has none (int16, int8, bool). */
    public DType safetensors() {
        return safetensors;
    }

    /** True for the floating-point types. */
    public boolean isFloat() {
        return this == FLOAT || this == HALF || this == BFLOAT16 || this == DOUBLE;
    }

    /** The type of {@code torch.<name>}, or null when {@code name} is not a storage class this reader knows. */
    static TorchDType ofStorageClass(String name) {
        for (TorchDType t : values()) if (t.storageClass.equals(name)) return t;
        return null;
    }
}
