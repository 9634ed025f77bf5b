package org.clip4j.train.dist;

import org.clip4j.core.ClipException;
import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.FeatureCachingStep;
import org.clip4j.train.data.RankShare;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the {@code Trainer} does differently on R ranks, in one place: the global batch split over the ranks, the
 * start from rank 0's weights, each rank's share of the sample stream, the distributed gradient, BatchNorm buffers
 * kept equal, the agreed data position, and who writes (rank 0). With no collectives (or one rank) every method is
 * the single-process behaviour and nothing is communicated.
 */
public final class DataParallel {
    private static final Logger LOG = LoggerFactory.getLogger(DataParallel.class);

    private final Collectives c;
    private long lastStepBytes;

    private DataParallel(Collectives c) {
        this.c = c;
    }

    /** A data-parallel context over {@code c}, or the single-process one for null. */
    public static DataParallel of(Collectives c) {
        return new DataParallel(c);
    }

    /** True with more than one rank. */
    public boolean active() {
        return c != null && c.size() > 1;
    }

    public int rank() {
        return c == null ? 0 : c.rank();
    }

    public int size() {
        return c == null ? 1 : c.size();
    }

    /** Rank 0 writes checkpoints, metrics, charts and progress. */
    public boolean leader() {
        return rank() == 0;
    }

    /** A seed for this rank's own random stream, derived from (seed, rank); rank 0 of R and a single process agree. */
    public long rankSeed(long seed) {
        return rank() == 0 ? seed : seed * 0x9E3779B97F4A7C15L + rank();
    }

    /**
     * The micro-batch of each rank: the global batch divided by ranks × accum-freq; a clear error when it does not
     * divide.
     */
    public int microBatch(int globalBatch, int accumFreq) {
        long parts = (long) size() * accumFreq;
        if (globalBatch % parts != 0) {
            throw new ClipException("TrainConfig.batchSize " + globalBatch + " is the global batch: it must be a multiple of "
                    + size() + " ranks × TrainConfig.accumFreq " + accumFreq + " = " + parts + " (for example "
                    + Math.max(parts, globalBatch / parts * parts) + ")");
        }
        return (int) (globalBatch / parts);
    }

    /** This rank's share of the sample stream from global position {@code position}, in blocks of the micro-batch. */
    public RankShare share(long position, int microBatch) {
        return new RankShare(position, microBatch, rank(), size());
    }

    /**
     * The start: every rank takes rank 0's weights and buffers (whatever each one built or loaded), and rank 0 logs
     * the world (size, hosts, ranks per host).
     */
    public void start(ClipModel model) {
        if (!active()) return;
        DistributedStep.broadcast(model.stateDict(), c, 0);
        double[] hosts = c.allGather(hostHash());
        Set<Double> distinct = new HashSet<>();
        for (double h : hosts) distinct.add(h);
        long bytes = 0;
        for (Parameter p : model.stateDict()) bytes += p.numel() * 4;
        if (leader()) {
            LOG.info("data-parallel: world size {} on {} host(s), {} rank(s) per host; {}; weights ({} MB) broadcast from rank 0",
                    size(), distinct.size(), ranksPerHost(hosts), c.describe(), String.format("%.1f", bytes / 1e6));
        }
    }

    private static String ranksPerHost(double[] hosts) {
        java.util.Map<Double, Integer> count = new java.util.LinkedHashMap<>();
        for (double h : hosts) count.merge(h, 1, Integer::sum);
        Set<Integer> sizes = new HashSet<>(count.values());
        return sizes.size() == 1 ? Integer.toString(sizes.iterator().next()) : count.values().toString();
    }

    /** A 31-bit hash of this host's name (exact in a double). */
    private static double hostHash() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            name = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        return name.hashCode() & 0x7fffffff;
    }

    /**
     * One step's gradient over all ranks into every parameter of {@code params} (the trainable ones, the same list
     * on every rank) and the global-batch loss; see {@link DistributedStep}.
     */
    public double forwardBackward(ClipModel model, FeatureCachingStep.MicroBatches batches, List<Parameter> params,
                                  boolean imageBackward, boolean textBackward, double gradScale) {
        long before = c.payloadBytes();
        double loss = DistributedStep.forwardBackward(model, batches, c, imageBackward, textBackward, gradScale);
        DistributedStep.allReduceGradients(params, c);
        long moved = c.payloadBytes() - before;
        if (lastStepBytes == 0 && leader()) { // the first step: log once
            LOG.info("data-parallel: {} MB handed to collectives per step per rank (features and their gradients, "
                    + "parameter gradients)", String.format("%.2f", moved / 1e6));
        }
        lastStepBytes = moved;
        return loss;
    }

    /** Payload bytes of the last step's collectives on this rank (0 for one process). */
    public long bytesPerStep() {
        return lastStepBytes;
    }

    /**
     * After the optimiser step: every rank takes rank 0's BatchNorm running statistics (each rank updated them from
     * its own batches, as PyTorch's DDP without SyncBatchNorm, which also broadcasts rank 0's buffers).
     */
    public void afterStep(ClipModel model) {
        if (!active()) return;
        List<Parameter> buffers = new ArrayList<>();
        for (Parameter p : model.stateDict()) if (!p.isTrainable()) buffers.add(p);
        DistributedStep.broadcast(buffers, c, 0);
    }

    /**
     * The global stream position after a step, agreed by all ranks: each passes its loader's local position after
     * its last micro-batch.
     */
    public long globalPosition(RankShare share, long localAfter) {
        return share.globalResumePosition(active() ? c.allReduceMax(localAfter) : localAfter);
    }

    /** The sum over ranks of a count (for example the samples skipped in this step). */
    public long sumOverRanks(long v) {
        return active() ? Math.round(c.allReduceSum((double) v)) : v;
    }

    /** The step count of rank 0 (every rank must run the same number of steps, or one would wait forever). */
    public long agreeSteps(long total) {
        if (!active()) return total;
        double[] all = c.allGather((double) total);
        for (int r = 0; r < all.length; r++) {
            if (all[r] != all[0]) {
                throw new ClipException("rank " + r + " computed " + (long) all[r] + " steps but rank 0 computed "
                        + (long) all[0] + ": every rank needs the same data, batch size and length options");
            }
        }
        return total;
    }
}
