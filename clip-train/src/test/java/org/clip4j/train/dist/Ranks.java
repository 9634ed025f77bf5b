package org.clip4j.train.dist;

import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.Trainer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test helpers: a training run on R in-JVM ranks, and per-tensor comparisons of weights. */
final class Ranks {
    private Ranks() {
    }

    /** Trainable weights by name, copied to Java arrays. */
    static Map<String, float[]> weights(ClipModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameter p : m.parameters()) out.put(p.name(), p.value().dup().data().asFloat());
        return out;
    }

    /**
     * Runs {@code build.apply(rank collectives)} on {@code ranks} threads and returns every rank's final weights
     * (the models closed). A rank that fails aborts the group, so the others fail too instead of waiting.
     */
    static List<Map<String, float[]>> train(int ranks, Function<Collectives, Trainer> build) throws Exception {
        List<Collectives> group = LocalCollectives.group(ranks);
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<Map<String, float[]>>> fs = new ArrayList<>();
            for (Collectives c : group) {
                fs.add(pool.submit(() -> {
                    try (ClipModel m = build.apply(c).run().model()) {
                        return weights(m);
                    } catch (RuntimeException | Error e) {
                        c.abort(1);
                        throw e;
                    }
                }));
            }
            List<Map<String, float[]>> out = new ArrayList<>();
            for (Future<Map<String, float[]>> f : fs) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception x ? x : new RuntimeException(e.getCause());
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** ‖a − b‖ / ‖b‖ of one tensor, in double precision. */
    static double relative(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Asserts every tensor of {@code got} within {@code tol} (relative, per tensor) of {@code want}; returns the worst. */
    static double assertClose(Map<String, float[]> want, Map<String, float[]> got, double tol, String what) {
        double worst = 0;
        String worstName = null;
        for (Map.Entry<String, float[]> e : want.entrySet()) {
            float[] g = got.get(e.getKey());
            assertTrue(g != null && g.length == e.getValue().length, what + ": tensor " + e.getKey() + " missing or resized");
            double r = relative(g, e.getValue());
            if (r > worst || worstName == null) {
                worst = r;
                worstName = e.getKey();
            }
        }
        assertTrue(worst <= tol, what + ": " + worstName + " differs by " + worst + " (relative), tolerance " + tol);
        return worst;
    }

    /** The largest per-tensor relative change between two weight sets (to show that training moved them). */
    static double moved(Map<String, float[]> before, Map<String, float[]> after) {
        double m = 0;
        for (Map.Entry<String, float[]> e : before.entrySet()) m = Math.max(m, relative(after.get(e.getKey()), e.getValue()));
        return m;
    }
}
