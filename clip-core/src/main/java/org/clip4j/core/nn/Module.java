package org.clip4j.core.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A node of the model tree: an ordered list of state-dict entries ({@link Parameter}s, including buffers) and
 * sub-modules. Registration order is the reference {@code state_dict()} order, so subclasses register their
 * entries exactly in the order PyTorch lists them (a module's own parameters first, then its children).
 *
 * <p>Each module knows its state-dict prefix ({@link #name()}), e.g. {@code transformer.resblocks.0.attn};
 * parameter names are {@code prefix + "." + local name}.
 */
public abstract class Module {
    private final String name;
    private final List<Object> entries = new ArrayList<>(); // Parameter | Module, in state-dict order
    private Probe probe;
    private volatile Precision precision = Precision.FP32;

    protected Module(String name) {
        NativeAllocator.ensureConfigured(); // large buffers freed on close() leave the process at once
        this.name = name;
    }

    /** State-dict prefix of this module ("" for the root). */
    public String name() {
        return name;
    }

    /** Full name of a local entry: {@code prefix.local}. */
    protected String qualify(String local) {
        return name.isEmpty() ? local : name + "." + local;
    }

    /** Registers a trainable parameter named {@code prefix.local}. */
    protected Parameter param(String local, long... shape) {
        Parameter p = Parameter.trainable(qualify(local), shape);
        entries.add(p);
        return p;
    }

    /** Registers a buffer (state-dict entry without gradient) named {@code prefix.local}. */
    protected Parameter buffer(String local, long... shape) {
        Parameter p = Parameter.buffer(qualify(local), shape);
        entries.add(p);
        return p;
    }

    /** Registers an existing parameter object (for modules that share a state-dict level). */
    protected Parameter register(Parameter p) {
        entries.add(p);
        return p;
    }

    /** Registers a sub-module. */
    protected <M extends Module> M child(M m) {
        entries.add(m);
        return m;
    }

    /** Every state-dict entry (parameters and buffers) in reference order. */
    public List<Parameter> stateDict() {
        List<Parameter> out = new ArrayList<>();
        collect(out);
        return out;
    }

    private void collect(List<Parameter> out) {
        for (Object e : entries) {
            if (e instanceof Parameter p) out.add(p);
            else ((Module) e).collect(out);
        }
    }

    /** Trainable parameters in reference order. */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : stateDict()) if (p.isTrainable()) out.add(p);
        return out;
    }

    /** Number of trainable scalars (buffers excluded), computed from shapes: no value needed. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) n += p.numel();
        return n;
    }

    /** Zeroes every accumulated gradient. */
    public void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }

    /** Installs (or with null removes) a probe on this module and all sub-modules. */
    public void setProbe(Probe p) {
        probe = p;
        for (Object e : entries) if (e instanceof Module m) m.setProbe(p);
    }

    /**
     * The type of this module's matrix products, for it and all sub-modules (see {@link Precision}; default
     * {@link Precision#FP32}). Parameters and activations stay in the model's type whatever the precision. Do not
     * switch it between a forward and its backward.
     */
    public void setPrecision(Precision p) {
        if (p == null) throw new IllegalArgumentException(name + ": precision must not be null");
        precision = p;
        for (Object e : entries) if (e instanceof Module m) m.setPrecision(p);
    }

    /** The precision of this module's matrix products. */
    public Precision precision() {
        return precision;
    }

    /**
     * Reports an intermediate to the probe, if one is installed (the supplier is not called otherwise). The probe
     * runs outside the layers' scopes ({@code Scope.outside}): copies it makes are its own, not temporaries
     * the emitting layer leaked. The supplier runs in the layer's scope (it should return the array or a view).
     */
    protected void emit(String key, Supplier<INDArray> value) {
        Probe p = probe;
        if (p == null) return;
        INDArray v = value.get();
        Scope.outside(() -> p.accept(key, v));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + name + ")";
    }
}
