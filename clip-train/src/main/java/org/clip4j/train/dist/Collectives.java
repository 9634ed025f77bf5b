package org.clip4j.train.dist;

import org.clip4j.core.nn.Scope;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The collective operations data-parallel training needs, over a fixed group of {@link #size()} ranks numbered
 * 0 … size−1. Every rank calls the same operations in the same order with arrays of the same shape and type
 * (a rank that calls something else, or stops calling, leaves the others waiting: {@link #abort} ends the group).
 *
 * <p>Arrays are ND4J arrays in C order without offset into a larger buffer ({@code FLOAT} or {@code DOUBLE} for
 * reductions, any type for {@link #broadcast}); implementations work on their native memory directly (MPI is
 * handed the buffer's address), without copies through the Java heap. Implementations:
 * <ul>
 *   <li>{@link MpiCollectives}: one process per rank, any MPI launcher ({@code mpirun}, {@code srun}), Open MPI's
 *       {@code libmpi.so} called through JNA; all calls from the thread that created it.</li>
 *   <li>{@link LocalCollectives}: threads of one JVM as ranks, for tests.</li>
 * </ul>
 * An NCCL implementation for CUDA arrays would implement the same interface (see {@code docs/distributed.md}).
 *
 * <p>Arguments are borrowed. A new array returned ({@link #allGather}, {@link #reduceScatterSum}) is owned by the
 * caller: by the caller's {@link Scope} when one is open (implementations {@linkplain Scope#ret return} into it),
 * otherwise by the caller directly, who releases it.
 */
public interface Collectives extends AutoCloseable {
    /** This rank, 0 … size−1. */
    int rank();

    /** Number of ranks. */
    int size();

    /** In place: every rank's {@code a} becomes the element-wise sum over ranks. */
    void allReduceSum(INDArray a);

    /**
     * The ranks' arrays stacked along dimension 0 in rank order: {@code local [n, …]} → new {@code [size·n, …]}.
     * Every rank passes the same shape.
     */
    INDArray allGather(INDArray local);

    /**
     * The element-wise sum over ranks of {@code full [size·n, …]}, of which this rank receives its rows
     * {@code [rank·n, (rank+1)·n)} as a new {@code [n, …]} array.
     */
    INDArray reduceScatterSum(INDArray full);

    /** In place: every rank's {@code a} becomes rank {@code root}'s (bytes copied as they are, any type). */
    void broadcast(INDArray a, int root);

    /**
     * Ends every rank of the group now, with exit code {@code code} where ranks are processes (MPI); the in-JVM
     * group makes every rank's pending and later collective throw. For a rank that cannot go on: the others would
     * otherwise wait for it forever.
     */
    void abort(int code);

    /** Payload bytes this rank has handed to collectives so far (what it sent, before the transport's overhead). */
    long payloadBytes();

    /** A short description for logs: implementation and transport. */
    String describe();

    /** Releases the transport (MPI_Finalize); every rank calls it once at the end. */
    @Override
    void close();

    /** The maximum over ranks of {@code v} (exact for |v| &lt; 2⁵³). */
    default long allReduceMax(long v) {
        try (Scope s = Scope.open()) {
            INDArray mine = s.track(org.nd4j.linalg.factory.Nd4j.createFromArray(new double[]{v})).reshape(1, 1);
            return (long) allGather(mine).maxNumber().doubleValue();
        }
    }

    /** The sum over ranks of {@code v}, added in double precision. */
    default double allReduceSum(double v) {
        try (Scope s = Scope.open()) {
            INDArray a = s.track(org.nd4j.linalg.factory.Nd4j.createFromArray(new double[]{v}));
            allReduceSum(a);
            return a.getDouble(0);
        }
    }

    /** Every rank's {@code v}, in rank order. */
    default double[] allGather(double v) {
        try (Scope s = Scope.open()) {
            INDArray mine = s.track(org.nd4j.linalg.factory.Nd4j.createFromArray(new double[]{v})).reshape(1, 1);
            INDArray all = allGather(mine);                         // [size, 1] dense, owned by s
            return all.data().getDoublesAt(all.offset(), size());   // (toDoubleVector() leaves a native copy)
        }
    }
}
