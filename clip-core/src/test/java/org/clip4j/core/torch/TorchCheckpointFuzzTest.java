package org.clip4j.core.torch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mutated, truncated and hostile checkpoints: opening one and reading every tensor of its state dict either
 * works or throws {@link TorchFormatException} naming the file. Nothing else may escape (no OutOfMemoryError,
 * no IndexOutOfBounds, no BufferUnderflow, no ClassCast, no StackOverflow), nothing hangs (every loop is bounded
 * by the file's size), and a pickle asking for any Python global outside the allow-list is refused by name.
 * The seeds are tiny archives written by torch_checkpoints.py (testdata/torch-checkpoints/fuzz).
 */
class TorchCheckpointFuzzTest {
    @TempDir
    Path tmp;

    private static Path seed(String name) {
        return TorchCheckpointFixtureTest.testdata().resolve("torch-checkpoints/fuzz").resolve(name);
    }

    @Test
    void seedsReadBack() {
        try (TorchCheckpoint c = TorchCheckpoint.open(seed("state_zip.pt"))) {
            Map<String, TorchTensor> sd = c.stateDict();
            assertEquals(java.util.List.of("w", "wt", "tail", "h", "b", "ids", "s"), java.util.List.copyOf(sd.keySet()));
            float[] w = sd.get("w").floats(), wt = sd.get("wt").floats();
            for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) assertEquals(w[i * 3 + j], wt[j * 2 + i]);
            assertEquals(8, sd.get("tail").storageOffset());
            assertArrayEquals(new long[]{49406, 1, 49407}, sd.get("ids").longs());
            assertEquals(2.5, sd.get("s").doubles()[0]);
            assertEquals(TorchDType.BFLOAT16, sd.get("b").dtype());
        }
        try (TorchCheckpoint c = TorchCheckpoint.open(seed("module_jit.pt"))) {
            assertEquals(TorchCheckpoint.Format.TORCHSCRIPT, c.format());
            // the plain attribute inner.mask is not a parameter or buffer: skipped, as state_dict() skips it
            assertEquals(java.util.List.of("scale", "inner.count", "inner.lin.weight", "inner.lin.bias"),
                    java.util.List.copyOf(c.stateDict().keySet()));
            assertEquals(java.util.List.of("inner.mask"), c.skippedEntries());
            assertArrayEquals(new long[]{7}, c.stateDict().get("inner.count").longs());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"state_zip.pt", "state_legacy.pt", "module_jit.pt", "deflated"})
    void onlyTorchFormatExceptionEscapes(String name) throws IOException {
        byte[] seed = name.equals("deflated") ? deflate(seed("state_zip.pt"))
                : Files.readAllBytes(seed(name));
        Random rnd = new Random(20261204L ^ name.hashCode());
        Path p = tmp.resolve("fuzz.pt");
        int opened = 0, rejected = 0;
        for (int iter = 0; iter < 1000; iter++) {
            byte[] bytes = mutate(seed, rnd);
            Files.write(p, bytes);
            try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                for (TorchTensor t : c.stateDict().values()) {
                    long n = t.numel();
                    assertTrue(n * t.dtype().byteSize() <= bytes.length, "tensor larger than the file");
                    if (t.dtype().isFloat()) assertEquals(n, t.floats().length);
                    else assertEquals(n, t.longs().length);
                    assertEquals(n * t.dtype().byteSize(), t.bytes().length);
                }
                opened++;
            } catch (TorchFormatException e) {
                rejected++;
                assertTrue(e.getMessage().contains("fuzz.pt"), e.getMessage());
            } catch (Throwable t) {
                fail(name + " iteration " + iter + ": " + t + " escaped for a file of " + bytes.length + " bytes", t);
            }
        }
        System.out.printf("  %s: %d opened, %d rejected%n", name, opened, rejected);
        assertTrue(opened > 20 && rejected > 300, "opened " + opened + ", rejected " + rejected);
    }

    private static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        switch (rnd.nextInt(6)) {
            case 0 -> { // truncate anywhere
                return java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            case 1 -> { // flip a few bytes anywhere
                int k = 1 + rnd.nextInt(4);
                for (int i = 0; i < k; i++) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                return b;
            }
            case 2 -> { // flip bytes in the first pickle (data.pkl comes first in torch's archives)
                int k = 1 + rnd.nextInt(3);
                int window = Math.min(b.length, 1200);
                for (int i = 0; i < k; i++) b[rnd.nextInt(window)] = (byte) rnd.nextInt(256);
                return b;
            }
            case 3 -> { // small integers (sizes, strides, offsets, lengths) made huge or negative
                int at = rnd.nextInt(b.length - 4);
                int v = switch (rnd.nextInt(4)) {
                    case 0 -> -1;
                    case 1 -> Integer.MAX_VALUE;
                    case 2 -> 1 << 30;
                    default -> rnd.nextInt();
                };
                for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
                return b;
            }
            case 4 -> { // the zip directory at the end
                int k = 1 + rnd.nextInt(3);
                int from = Math.max(0, b.length - 400);
                for (int i = 0; i < k; i++) b[from + rnd.nextInt(b.length - from)] = (byte) rnd.nextInt(256);
                return b;
            }
            default -> { // a byte inserted or deleted (shifts everything after it)
                int at = rnd.nextInt(b.length);
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                o.write(b, 0, at);
                if (rnd.nextBoolean()) o.write(rnd.nextInt(256));
                else at = Math.min(at + 1, b.length);
                o.write(b, at, b.length - at);
                return o.toByteArray();
            }
        }
    }

    /** The archive re-zipped with deflated entries (as a generic zip tool would), to fuzz the inflate path. */
    private static byte[] deflate(Path stored) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipFile in = new ZipFile(stored.toFile()); ZipOutputStream z = new ZipOutputStream(out)) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                z.putNextEntry(new ZipEntry(e.getName()));
                z.write(in.getInputStream(e).readAllBytes());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void deflatedArchiveReadsLikeTheStoredOne() throws IOException {
        Path p = tmp.resolve("deflated.pt");
        Files.write(p, deflate(seed("state_zip.pt")));
        try (TorchCheckpoint a = TorchCheckpoint.open(p); TorchCheckpoint b = TorchCheckpoint.open(seed("state_zip.pt"))) {
            for (String n : b.stateDict().keySet()) {
                assertArrayEquals(b.stateDict().get(n).bytes(), a.stateDict().get(n).bytes(), n);
            }
        }
    }

    // ---- hostile pickles ----

    /** A protocol-2 pickle calling {@code module.name("echo pwned")} through GLOBAL + REDUCE. */
    static byte[] callingGlobal(String module, String name) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x80);
        o.write(2);
        o.writeBytes(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        byte[] arg = "echo pwned".getBytes(StandardCharsets.UTF_8);
        o.write('X');
        o.writeBytes(new byte[]{(byte) arg.length, 0, 0, 0});
        o.writeBytes(arg);
        o.write(0x85); // TUPLE1
        o.write('R');
        o.write('.');
        return o.toByteArray();
    }

    /** The same call, reached through STACK_GLOBAL (protocol 4) inside a dict value. */
    static byte[] stackGlobal(String module, String name) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x80);
        o.write(4);
        o.write('}');
        o.write(0x8c);
        o.write(1);
        o.write('k');
        for (String s : new String[]{module, name}) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            o.write(0x8c);
            o.write(u.length);
            o.writeBytes(u);
        }
        o.write(0x93); // STACK_GLOBAL
        o.write(')');
        o.write('R');
        o.write('s');
        o.write('.');
        return o.toByteArray();
    }

    /** {@code pickle} wrapped as {@code archive/data.pkl} of a stored zip, as torch.save lays it out. */
    static byte[] zipped(byte[] pickle) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            ZipEntry e = new ZipEntry("archive/data.pkl");
            e.setMethod(ZipEntry.STORED);
            e.setSize(pickle.length);
            CRC32 crc = new CRC32();
            crc.update(pickle);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(pickle);
            z.closeEntry();
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"os system", "posix system", "builtins eval", "builtins exec", "__builtin__ getattr",
            "subprocess Popen", "numpy.core.multiarray _reconstruct", "torch load", "torch._utils _rebuild_qtensor",
            "collections defaultdict", "builtins __import__", "nt system"})
    void refusesEveryOtherGlobalByName(String global) throws IOException {
        String[] mn = global.split(" ");
        String q = mn[0] + "." + mn[1];
        for (byte[] pickle : new byte[][]{callingGlobal(mn[0], mn[1]), stackGlobal(mn[0], mn[1])}) {
            Path p = tmp.resolve("evil.pt");
            Files.write(p, zipped(pickle));
            TorchFormatException e = assertThrows(TorchFormatException.class, () -> {
                try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                    c.stateDict();
                }
            });
            assertTrue(e.getMessage().contains("'" + q + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("evil.pt"), e.getMessage());
        }
    }

    @Test
    void refusesInstAndObjAndLegacyStreamGlobals() throws IOException {
        Path p = tmp.resolve("inst.pt");
        Files.write(p, zipped("(ios\nsystem\nS'ls'\n.".getBytes(StandardCharsets.ISO_8859_1)));
        TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchCheckpoint.open(p).close());
        assertTrue(e.getMessage().contains("'os.system'"), e.getMessage());
        // a bare pickle (not a torch.save stream) calling os.system: refused at its first GLOBAL
        Path bare = tmp.resolve("bare.pt");
        Files.write(bare, callingGlobal("os", "system"));
        e = assertThrows(TorchFormatException.class, () -> TorchCheckpoint.open(bare).close());
        assertTrue(e.getMessage().contains("'os.system'"), e.getMessage());
    }

    /** Protocol-2 bytes of a short-string opcode argument (SHORT_BINUNICODE). */
    private static void str(ByteArrayOutputStream o, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        o.write(0x8c);
        o.write(u.length);
        o.writeBytes(u);
    }

    /**
     * A TorchScript-style module pair, built with GLOBAL, NEWOBJ, BUILD and the memo as torch.jit.save writes
     * it: root object (class A, memo 0) whose attribute "child" is an object of class B (memo 1), whose attribute
     * "back" is memo entry {@code backTo}: 0 (the root) or 1 (the child itself), a cycle either way.
     */
    private static byte[] moduleCycle(int backTo) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x80);
        o.write(2);
        for (int obj = 0; obj < 2; obj++) {
            o.writeBytes(("c__torch__.m\n" + (obj == 0 ? "A" : "B") + "\n").getBytes(StandardCharsets.UTF_8));
            o.write(')');
            o.write(0x81); // NEWOBJ
            o.write('q');
            o.write(obj); // BINPUT
            o.write('}');
            str(o, obj == 0 ? "child" : "back");
        }
        o.write('h');
        o.write(backTo); // BINGET
        o.write('s');
        o.write('b'); // BUILD the child with {"back": ...}
        o.write('s');
        o.write('b'); // BUILD the root with {"child": child}
        o.write('.');
        return o.toByteArray();
    }

    @Test
    void aModuleThatContainsItselfIsRefused() throws IOException {
        for (int backTo : new int[]{0, 1}) {
            Path p = tmp.resolve("cycle.pt");
            Files.write(p, zipped(moduleCycle(backTo)));
            TorchFormatException e = assertThrows(TorchFormatException.class, () -> {
                try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                    c.stateDict();
                }
            });
            assertTrue(e.getMessage().contains("contains itself") && e.getMessage().contains("cycle.pt"), e.getMessage());
        }
    }

    /**
     * A dict whose key is a tuple DAG 24 levels deep (within the depth limit), each level (T, T) of the one
     * below: 2^24 leaves to hash and compare if nothing stopped it.
     */
    private static byte[] exponentialKey() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x80);
        o.write(2);
        o.write('}');
        o.write('K');
        o.write(1);
        for (int level = 0; level < 24; level++) {
            o.write('q');
            o.write(level); // BINPUT level
            o.write('h');
            o.write(level); // BINGET level: the stack now holds (x, x)
            o.write(0x86); // TUPLE2
        }
        o.write('K');
        o.write(7); // the value
        o.write('s'); // SETITEM: hashes the key
        o.write('.');
        return o.toByteArray();
    }

    /** TorchScript objects 40 levels deep, each with attributes a and b both the object below: 2^40 paths. */
    private static byte[] exponentialModules() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x80);
        o.write(2);
        for (int level = 0; level < 40; level++) {
            o.writeBytes("c__torch__.m\nM\n".getBytes(StandardCharsets.UTF_8));
            o.write(')');
            o.write(0x81); // NEWOBJ
            o.write('}');
            if (level > 0) {
                for (String attr : new String[]{"a", "b"}) {
                    str(o, attr);
                    o.write('h');
                    o.write(level - 1); // BINGET the object below
                    o.write('s'); // SETITEM
                }
            }
            o.write('b'); // BUILD with the dict
            o.write('q');
            o.write(level); // BINPUT: this level's object
            if (level < 39) o.write('0'); // POP (kept in the memo)
        }
        o.write('.');
        return o.toByteArray();
    }

    @Test
    void exponentialStructuresAreRefusedNotWalked() throws IOException {
        Path p = tmp.resolve("dag.pt");
        Files.write(p, zipped(exponentialKey()));
        TorchFormatException e = assertThrows(TorchFormatException.class, () -> TorchCheckpoint.open(p).close());
        assertTrue(e.getMessage().contains("more than 64 values"), e.getMessage());
        Files.write(p, zipped(exponentialModules()));
        e = assertThrows(TorchFormatException.class, () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                c.stateDict();
            }
        });
        assertTrue(e.getMessage().contains("steps to walk"), e.getMessage());
    }
}
