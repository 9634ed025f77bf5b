package org.clip4j.train.dist;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import org.clip4j.core.ClipException;
import org.nd4j.linalg.api.buffer.DataType;
import org.clip4j.core.nn.Scope;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

/**
 * {@link Collectives} on MPI: Open MPI's {@code libmpi.so} (Debian's {@code openmpi-bin libopenmpi-dev}, 4.x)
 * called through JNA, one process per rank, started by {@code mpirun} or {@code srun}. ND4J arrays are handed to
 * MPI by the native address of their buffer: no copy, no Java heap.
 *
 * <p>Open MPI's predefined handles are the addresses of exported globals ({@code MPI_COMM_WORLD} is
 * {@code &ompi_mpi_comm_world}, {@code MPI_FLOAT} is {@code &ompi_mpi_float}, {@code MPI_SUM} is
 * {@code &ompi_mpi_op_sum}, {@code MPI_IN_PLACE} is {@code (void *) 1}); MPICH-family libraries use integer
 * handles instead and are not supported by this class. MPI counts are C {@code int}: larger arrays are split into
 * pieces of at most {@link #maxCount} elements.
 *
 * <p>Threads: MPI is initialised with {@code MPI_THREAD_FUNNELED}, and every call must come from the thread that
 * created the instance (the training thread); another thread gets an exception. Before {@code MPI_Init} the
 * variable {@code OMPI_MCA_opal_signal} is set to empty (unless the user set it), so that Open MPI does not take
 * over SIGSEGV, SIGBUS and SIGFPE, which the JVM itself relies on.
 */
public final class MpiCollectives implements Collectives {
    private static final int MPI_THREAD_FUNNELED = 1;
    private static final int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;
    private static final Pointer IN_PLACE = Pointer.createConstant(1);

    private final NativeLibrary lib;
    private final Pointer world, opSum, tByte, tFloat, tDouble;
    private final Map<String, Function> functions = new HashMap<>();
    private final Thread owner;
    private final int rank, size;
    private long bytes;
    private boolean finalized;
    /** Largest element count per MPI call; smaller only in tests, to exercise the splitting. */
    int maxCount = Integer.MAX_VALUE;

    private MpiCollectives(NativeLibrary lib) {
        this.lib = lib;
        this.owner = Thread.currentThread();
        world = global("ompi_mpi_comm_world");
        opSum = global("ompi_mpi_op_sum");
        tByte = global("ompi_mpi_byte");
        tFloat = global("ompi_mpi_float");
        tDouble = global("ompi_mpi_double");
        Memory out = new Memory(4);
        check(call("MPI_Init_thread", null, null, MPI_THREAD_FUNNELED, out), "MPI_Init_thread");
        if (out.getInt(0) < MPI_THREAD_FUNNELED) {
            throw new ClipException("MPI provides thread level " + out.getInt(0) + ", clip4j needs MPI_THREAD_FUNNELED (1)");
        }
        check(call("MPI_Comm_rank", world, out), "MPI_Comm_rank");
        rank = out.getInt(0);
        check(call("MPI_Comm_size", world, out), "MPI_Comm_size");
        size = out.getInt(0);
    }

    /**
     * Loads Open MPI and initialises it (once per process): the library named by the system property
     * {@code clip4j.mpi.library}, else {@code libmpi.so.40} (Open MPI 3 and 4), else {@code libmpi.so}.
     */
    public static MpiCollectives init() {
        setEnvIfAbsent("OMPI_MCA_opal_signal", "");
        String wanted = System.getProperty("clip4j.mpi.library");
        String[] names = wanted != null ? new String[]{wanted} : new String[]{"libmpi.so.40", "libmpi.so", "mpi"};
        Map<String, Object> options = Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_GLOBAL);
        UnsatisfiedLinkError last = null;
        for (String n : names) {
            try {
                NativeLibrary lib = NativeLibrary.getInstance(n, options);
                return new MpiCollectives(lib);
            } catch (UnsatisfiedLinkError e) {
                last = e;
            }
        }
        throw new ClipException("cannot load Open MPI's libmpi (tried " + String.join(", ", names) + "): install it with "
                + "'apt-get install openmpi-bin libopenmpi-dev' or name the library with -Dclip4j.mpi.library=PATH ("
                + (last == null ? "" : last.getMessage()) + ")");
    }

    private static void setEnvIfAbsent(String name, String value) {
        if (System.getenv(name) != null) return;
        NativeLibrary c = NativeLibrary.getInstance("c");
        c.getFunction("setenv").invokeInt(new Object[]{name, value, 0});
    }

    private Pointer global(String symbol) {
        try {
            return lib.getGlobalVariableAddress(symbol);
        } catch (UnsatisfiedLinkError e) {
            throw new ClipException(lib.getFile() + " has no symbol " + symbol + ": clip4j's MPI support needs Open MPI "
                    + "(MPICH-family libraries use other handles)", e);
        }
    }

    private int call(String name, Object... args) {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException(name + " called from thread '" + Thread.currentThread().getName()
                    + "'; MPI is used only from the thread that initialised it ('" + owner.getName() + "')");
        }
        if (finalized && !name.equals("MPI_Abort")) throw new IllegalStateException(name + " after MPI_Finalize");
        Function f = functions.computeIfAbsent(name, lib::getFunction);
        return f.invokeInt(args);
    }

    private void check(int rc, String what) {
        // MPI's default error handler aborts the job on an error; a return code other than MPI_SUCCESS is unexpected.
        if (rc != 0) throw new ClipException(what + " failed with MPI error code " + rc + " on rank " + rank);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    private Pointer reductionType(INDArray a) {
        Contiguous.checkReducible(a);
        return a.dataType() == DataType.FLOAT ? tFloat : tDouble;
    }

    /** The native address of element {@code index} of {@code a} (dense C order). */
    private static Pointer address(INDArray a, long index) {
        return new Pointer(a.data().address() + (a.offset() + index) * a.dataType().width());
    }

    @Override
    public void allReduceSum(INDArray a) {
        Pointer type = reductionType(a);
        long n = a.length();
        for (long at = 0; at < n; at += maxCount) {
            int count = (int) Math.min(maxCount, n - at);
            check(call("MPI_Allreduce", IN_PLACE, address(a, at), count, type, opSum, world), "MPI_Allreduce");
        }
        bytes += n * a.dataType().width();
    }

    @Override
    public INDArray allGather(INDArray local) {
        Contiguous.check(local, "all-gather"); // ranks passing other sizes: MPI's default handler aborts the job
        long[] shape = local.shape().clone();
        shape[0] *= size;
        try (Scope s = Scope.open()) {
            INDArray out = s.track(Nd4j.createUninitialized(local.dataType(), shape, 'c'));
            gather(local, out);
            return s.ret(out);
        }
    }

    private void gather(INDArray local, INDArray out) {
        long n = local.length();
        long width = local.dataType().width();
        if (n * width <= maxCount) { // one call, counted in bytes (any type)
            check(call("MPI_Allgather", address(local, 0), (int) (n * width), tByte, address(out, 0), (int) (n * width),
                    tByte, world), "MPI_Allgather");
        } else { // rank r's part is broadcast from r, in pieces
            out.get(Contiguous.rowsIndex(out, (long) rank * local.size(0), (long) (rank + 1) * local.size(0))).assign(local);
            for (int r = 0; r < size; r++) bcastBytes(out, (long) r * n, n, r);
        }
        bytes += n * width;
    }

    @Override
    public INDArray reduceScatterSum(INDArray full) {
        Pointer type = reductionType(full);
        long rows = Contiguous.rowsPerRank(full, size);
        long[] shape = full.shape().clone();
        shape[0] = rows;
        try (Scope s = Scope.open()) {
            INDArray out = s.track(Nd4j.createUninitialized(full.dataType(), shape, 'c'));
            reduceScatter(full, out, type);
            return s.ret(out);
        }
    }

    private void reduceScatter(INDArray full, INDArray out, Pointer type) {
        long n = out.length();
        if (n <= maxCount) {
            check(call("MPI_Reduce_scatter_block", address(full, 0), address(out, 0), (int) n, type, opSum, world),
                    "MPI_Reduce_scatter_block");
        } else { // block r is reduced to rank r, in pieces
            for (int r = 0; r < size; r++) {
                for (long at = 0; at < n; at += maxCount) {
                    int count = (int) Math.min(maxCount, n - at);
                    check(call("MPI_Reduce", address(full, (long) r * n + at), r == rank ? address(out, at) : null, count,
                            type, opSum, r, world), "MPI_Reduce");
                }
            }
        }
        bytes += full.length() * full.dataType().width();
    }

    @Override
    public void broadcast(INDArray a, int root) {
        if (root < 0 || root >= size) throw new IllegalArgumentException("broadcast root " + root + " of " + size + " ranks");
        Contiguous.check(a, "broadcast");
        bcastBytes(a, 0, a.length(), root);
        if (rank == root) bytes += a.length() * a.dataType().width();
    }

    /** Broadcasts elements [from, from+n) of {@code a} from {@code root}, as bytes, in pieces of at most maxCount. */
    private void bcastBytes(INDArray a, long from, long n, int root) {
        long width = a.dataType().width();
        long total = n * width;
        for (long at = 0; at < total; at += maxCount) {
            int count = (int) Math.min(maxCount, total - at);
            Pointer p = new Pointer(a.data().address() + (a.offset() + from) * width + at);
            check(call("MPI_Bcast", p, count, tByte, root, world), "MPI_Bcast");
        }
    }

    @Override
    public void abort(int code) {
        // MPI_Abort may be called from any thread in practice (it ends the process); it does not return.
        Function f = functions.computeIfAbsent("MPI_Abort", lib::getFunction);
        f.invokeInt(new Object[]{world, code});
    }

    @Override
    public long payloadBytes() {
        return bytes;
    }

    @Override
    public String describe() {
        return "MPI (" + lib.getFile() + ")";
    }

    @Override
    public void close() {
        if (finalized) return;
        check(call("MPI_Finalize"), "MPI_Finalize");
        finalized = true;
    }
}
