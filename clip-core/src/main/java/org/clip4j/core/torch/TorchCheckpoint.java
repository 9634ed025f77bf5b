package org.clip4j.core.torch;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A PyTorch checkpoint read without Python and without running any of its code:
 * <ul>
 *   <li>{@code torch.save} zip archives (PyTorch 1.6 and later): {@code <name>/data.pkl}, the tensor data in
 *       {@code <name>/data/<key>}, {@code <name>/version} and {@code <name>/byteorder};</li>
 *   <li>legacy {@code torch.save} streams ({@code _use_new_zipfile_serialization=False}, PyTorch before 1.6):
 *       the magic number, the protocol version and the {@code sys_info} pickles, the pickled object, the list
 *       of storage keys, then each storage's raw data behind its 8-byte element count;</li>
 *   <li>TorchScript archives ({@code torch.jit.save}, e.g. OpenAI's {@code ViT-B-32.pt}): the module's state in
 *       {@code <name>/data.pkl} as {@code __torch__.*} objects, kept as opaque attribute containers; the
 *       {@code code/} folder is only searched for each class's parameter and buffer lists.</li>
 * </ul>
 * Pickles go through {@link Unpickler}, which refuses every Python global a state dict does not need. Tensor
 * data stay in the file and are memory-mapped when read; every storage, view and pickle length is checked
 * against the file's size before anything is allocated. Big-endian checkpoints are refused.
 *
 * <p>{@link #stateDict()} finds the tensors by name: a TorchScript module's parameters and buffers under their
 * {@code state_dict()} names; a training checkpoint's {@code "state_dict"} (or {@code "model"}) entry; or the
 * top-level dict. A {@code module.} prefix on every name (left by {@code DistributedDataParallel}) is removed.
 * All problems are {@link TorchFormatException}s naming the file.
 */
public final class TorchCheckpoint implements AutoCloseable {
    /** How the file was written. */
    public enum Format {
        ZIP("torch.save zip archive"), LEGACY("legacy torch.save stream"), TORCHSCRIPT("TorchScript archive");

        private final String description;

        Format(String description) {
            this.description = description;
        }

        @Override
        public String toString() {
            return description;
        }
    }

    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    /** Largest data.pkl read into memory (ViT-L/14's is about 100 kB; a huge state dict a few MB). */
    private static final long MAX_PICKLE_BYTES = 256L << 20;
    /** Largest TorchScript code file searched for declarations, and all of them together. */
    private static final long MAX_CODE_BYTES = 16L << 20, MAX_ALL_CODE_BYTES = 256L << 20;
    private static final int MAX_DEPTH = 256;
    /**
     * Module visits plus attributes examined while walking a TorchScript tree: shared submodules could otherwise
     * blow the walk (and the names it makes) up exponentially. ViT-L/14 takes a few thousand.
     */
    private static final int MAX_WALK_STEPS = 2_000_000;
    private int steps;

    private final Path path;
    private final FileChannel channel;
    private final Format format;
    private final Object root;
    private final TorchScriptClasses classes;
    private Map<String, TorchTensor> stateDict;
    private String origin;
    private final List<String> skipped = new ArrayList<>();

    private TorchCheckpoint(Path path, FileChannel channel, Format format, Object root, TorchScriptClasses classes) {
        this.path = path;
        this.channel = channel;
        this.format = format;
        this.root = root;
        this.classes = classes;
    }

    /**
     * True when the file starts like a PyTorch checkpoint: a zip archive ({@code PK\3\4}) or a pickle stream
     * (byte 0x80, PROTO), and not like a safetensors file (an 8-byte header length that fits in the file, then
     * {@code '{'}), whose first byte can be anything.
     */
    public static boolean looksLikeTorch(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // fill
            }
            if (b.position() < 2) return false;
            if (b.position() == 9 && b.get(8) == '{') {
                long n = b.getLong(0);
                if (n >= 2 && n <= ch.size() - 8) return false; // a safetensors header
            }
            return (b.get(0) == 'P' && b.get(1) == 'K') || (b.get(0) & 0xff) == 0x80;
        } catch (IOException e) {
            return false;
        }
    }

    /** Opens and unpickles a checkpoint; tensor data are read later, on demand. */
    public static TorchCheckpoint open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new TorchFormatException(path + ": cannot open: " + e, e);
        }
        try {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 512));
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
                // fill
            }
            head.flip();
            TorchCheckpoint c;
            if (head.limit() >= 4 && head.getInt(0) == 0x504b0304) {
                c = openZip(path, ch);
            } else if (head.limit() >= 2 && (head.get(0) & 0xff) == 0x80) {
                c = openLegacy(path, ch, size);
            } else if (head.limit() >= 262 && new String(head.array(), 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
                throw new TorchFormatException(path + ": a tar-format checkpoint (PyTorch before 0.4) is not supported;"
                        + " load and re-save it with a newer PyTorch");
            } else {
                throw new TorchFormatException(path + ": not a PyTorch checkpoint: expected a zip archive (torch.save,"
                        + " torch.jit.save) or a pickle stream (legacy torch.save)");
            }
            return c;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new TorchFormatException(path + ": cannot read: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static TorchCheckpoint openZip(Path path, FileChannel ch) {
        ZipArchive zip = ZipArchive.open(path, ch);
        Map<String, ZipArchive.Entry> entries = zip.entries();
        String prefix = null;
        for (String n : entries.keySet()) {
            if (!n.endsWith("data.pkl")) continue;
            String p = n.substring(0, n.length() - "data.pkl".length());
            if (!(p.isEmpty() || (p.endsWith("/") && p.indexOf('/') == p.length() - 1))) continue; // top level only
            if (prefix != null) throw new TorchFormatException(path + ": two data.pkl records ('" + prefix + "data.pkl', '" + n + "')");
            prefix = p;
        }
        if (prefix == null) {
            boolean oldJit = entries.keySet().stream().anyMatch(n -> n.endsWith("model.json") || n.endsWith("attributes.pkl"));
            throw new TorchFormatException(path + ": a zip archive without <name>/data.pkl: not a PyTorch checkpoint"
                    + (oldJit ? " of a supported version (TorchScript archives of PyTorch before 1.4 are not supported;"
                    + " re-save with torch.jit.save in a newer PyTorch)" : ""));
        }
        ZipArchive.Entry order = entries.get(prefix + "byteorder");
        if (order != null) {
            ByteBuffer b = zip.bytes(order, 16);
            byte[] s = new byte[b.remaining()];
            b.get(s);
            String o = new String(s, StandardCharsets.US_ASCII).trim();
            if (o.equals("big")) {
                throw new TorchFormatException(path + ": a big-endian checkpoint (byteorder 'big') is not supported;"
                        + " load and re-save it on a little-endian machine");
            }
            if (!o.equals("little")) throw new TorchFormatException(path + ": byteorder record '" + o + "', expected 'little'");
        }
        String pre = prefix;
        boolean script = entries.containsKey(prefix + "constants.pkl")
                || entries.keySet().stream().anyMatch(n -> n.startsWith(pre + "code/"));
        Map<String, TorchStorage> storages = new HashMap<>();
        String where = path + " (" + prefix + "data.pkl)";
        Unpickler.PersistentLoader loader = (pid, at) -> {
            StorageId id = StorageId.parse(pid, at);
            String k = id.key() + "/" + id.dtype();
            TorchStorage s = storages.get(k);
            if (s == null) {
                ZipArchive.Entry e = entries.get(pre + "data/" + id.key());
                if (e == null) throw new TorchFormatException(at + ": storage '" + id.key() + "' has no record " + pre + "data/" + id.key());
                long need;
                try {
                    need = Math.multiplyExact(id.numel(), id.dtype().byteSize());
                } catch (ArithmeticException x) {
                    throw new TorchFormatException(at + ": storage '" + id.key() + "' size overflows");
                }
                if (need > e.size()) {
                    throw new TorchFormatException(at + ": storage '" + id.key() + "' declares " + id.numel() + " "
                            + id.dtype() + " elements (" + need + " bytes) but its record holds " + e.size() + " bytes");
                }
                s = e.method() == 0
                        ? TorchStorage.inFile(path, id.key(), id.dtype(), id.numel(), ch, e.dataOffset())
                        : TorchStorage.inMemory(path, id.key(), id.dtype(), id.numel(), zip.bytes(e, e.size()));
                storages.put(k, s);
            } else if (s.numel() != id.numel()) {
                throw new TorchFormatException(at + ": storage '" + id.key() + "' declared with two sizes");
            }
            return s;
        };
        Object root = new Unpickler(where, zip.bytes(entries.get(prefix + "data.pkl"), MAX_PICKLE_BYTES), loader).load();
        TorchScriptClasses classes = null;
        if (script) {
            classes = new TorchScriptClasses();
            String code = prefix + "code/";
            long total = 0;
            for (ZipArchive.Entry e : entries.values()) {
                if (!e.name().startsWith(code) || !e.name().endsWith(".py")) continue;
                total += e.size();
                if (total > MAX_ALL_CODE_BYTES) {
                    throw new TorchFormatException(path + ": more than " + MAX_ALL_CODE_BYTES + " bytes of TorchScript code");
                }
                String rel = e.name().substring(code.length(), e.name().length() - 3);
                classes.add(rel.replace('/', '.'), zip.bytes(e, MAX_CODE_BYTES));
            }
        }
        return new TorchCheckpoint(path, ch, script ? Format.TORCHSCRIPT : Format.ZIP, root, classes);
    }

    private static TorchCheckpoint openLegacy(Path path, FileChannel ch, long size) throws IOException {
        long window = Math.min(size, Integer.MAX_VALUE - 8L);
        ByteBuffer in = ch.map(FileChannel.MapMode.READ_ONLY, 0, window).order(ByteOrder.LITTLE_ENDIAN);
        String where = path + " (legacy torch.save stream)";
        Object magic = new Unpickler(where, in, null).load();
        if (!(magic instanceof BigInteger m) || !m.equals(LEGACY_MAGIC)) {
            throw new TorchFormatException(path + ": a pickle, but not a torch.save stream (no PyTorch magic number);"
                    + " plain pickles are not read");
        }
        Object protocol = new Unpickler(where, in, null).load();
        if (!(protocol instanceof Long p) || p != LEGACY_PROTOCOL) {
            throw new TorchFormatException(path + ": torch.save protocol " + Unpickler.typeName(protocol) + " "
                    + (protocol instanceof Long ? protocol : "") + ", expected " + LEGACY_PROTOCOL);
        }
        Object sysInfo = new Unpickler(where, in, null).load();
        if (!(sysInfo instanceof Map<?, ?> info)) throw new TorchFormatException(path + ": torch.save sys_info is not a dict");
        if (Boolean.FALSE.equals(info.get("little_endian"))) {
            throw new TorchFormatException(path + ": a big-endian checkpoint is not supported; load and re-save it on"
                    + " a little-endian machine");
        }
        Map<String, TorchStorage> storages = new LinkedHashMap<>();
        Unpickler.PersistentLoader loader = (pid, at) -> {
            StorageId id = StorageId.parse(pid, at);
            TorchStorage s = storages.get(id.key());
            if (s == null) {
                s = TorchStorage.unbound(path, id.key(), id.dtype(), id.numel());
                storages.put(id.key(), s);
            } else if (s.dtype() != id.dtype() || s.numel() != id.numel()) {
                throw new TorchFormatException(at + ": storage '" + id.key() + "' declared twice with different types or sizes");
            }
            return s;
        };
        Object root = new Unpickler(where, in, loader).load();
        Object keys = new Unpickler(where, in, null).load();
        if (!(keys instanceof List<?> keyList)) throw new TorchFormatException(path + ": the storage key list is not a list");
        long pos = in.position();
        for (Object k : keyList) {
            if (!(k instanceof String key)) throw new TorchFormatException(path + ": a storage key is not a string");
            TorchStorage s = storages.get(key);
            if (s == null) throw new TorchFormatException(path + ": storage '" + key + "' is listed but no tensor uses it");
            if (pos > size - 8) throw new TorchFormatException(path + ": storage '" + key + "' is cut off at byte " + pos);
            ByteBuffer n = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (n.hasRemaining()) if (ch.read(n, pos + n.position()) < 0) break;
            long count = n.getLong(0);
            if (count != s.numel()) {
                throw new TorchFormatException(path + ": storage '" + key + "' holds " + count + " elements, its tensors"
                        + " declare " + s.numel());
            }
            long bytes = count * s.dtype().byteSize(); // count == numel, which fits (checked by StorageId)
            pos += 8;
            if (bytes > size - pos) {
                throw new TorchFormatException(path + ": storage '" + key + "' (" + bytes + " bytes at " + pos
                        + ") runs past the end of the file (" + size + " bytes)");
            }
            s.bind(ch, pos);
            pos += bytes;
        }
        return new TorchCheckpoint(path, ch, Format.LEGACY, root, null);
    }

    /** A persistent id ('storage', storage class, key, location, numel[, view metadata]). */
    private record StorageId(TorchDType dtype, String key, long numel) {
        static StorageId parse(Object pid, String at) {
            if (!(pid instanceof PyTuple t) || t.size() < 5 || t.size() > 6 || !"storage".equals(t.get(0))) {
                throw new TorchFormatException(at + ": persistent id is not ('storage', type, key, location, numel)");
            }
            if (!(t.get(1) instanceof TorchDType d)) {
                throw new TorchFormatException(at + ": storage type is a " + Unpickler.typeName(t.get(1))
                        + ", expected a torch.*Storage class");
            }
            if (!(t.get(2) instanceof String key)) throw new TorchFormatException(at + ": storage key is not a string");
            if (!(t.get(4) instanceof Long n) || n < 0 || n > Long.MAX_VALUE / 8) {
                throw new TorchFormatException(at + ": storage '" + key + "' element count is not a valid int");
            }
            if (t.size() == 6 && t.get(5) != null) {
                throw new TorchFormatException(at + ": storage views of PyTorch before 0.4 are not supported");
            }
            return new StorageId(d, key, n);
        }
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** How the file was written. */
    public Format format() {
        return format;
    }

    /**
     * The unpickled object: a {@code Map} for {@code torch.save} of a dict, a {@link TorchObject} for a
     * TorchScript module, in general any value the {@link Unpickler} produces.
     */
    public Object root() {
        return root;
    }

    /** The tensors by state-dict name, in file order (see the class comment for where they are found). */
    public synchronized Map<String, TorchTensor> stateDict() {
        if (stateDict == null) stateDict = Collections.unmodifiableMap(findStateDict());
        return stateDict;
    }

    /** Where {@link #stateDict()} found its tensors, for logs: e.g. {@code "'state_dict' entry, 'module.' removed"}. */
    public synchronized String stateDictOrigin() {
        stateDict();
        return origin;
    }

    /** Entries next to the tensors that are not tensors (numbers, strings...), skipped by {@link #stateDict()}. */
    public synchronized List<String> skippedEntries() {
        stateDict();
        return List.copyOf(skipped);
    }

    private Map<String, TorchTensor> findStateDict() {
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        if (root instanceof TorchObject module) {
            walk(module, "", 0, Collections.newSetFromMap(new IdentityHashMap<>()), out);
            origin = "TorchScript module parameters and buffers";
            return out;
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new TorchFormatException(path + ": holds a " + Unpickler.typeName(root) + ", not a state dict");
        }
        Map<?, ?> dict = top;
        origin = "top-level dict";
        for (String wrapper : List.of("state_dict", "model")) {
            if (top.get(wrapper) instanceof Map<?, ?> inner && inner.values().stream().anyMatch(v -> v instanceof TorchTensor)) {
                dict = inner;
                origin = "'" + wrapper + "' entry";
                for (Object k : top.keySet()) if (!wrapper.equals(k)) skipped.add(String.valueOf(k instanceof String ? k : Unpickler.typeName(k)));
                break;
            }
        }
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new TorchFormatException(path + ": a state-dict key is a " + Unpickler.typeName(e.getKey()) + ", not a string");
            }
            if (e.getValue() instanceof TorchTensor t) out.put(name, t);
            else if (dict != top || !name.equals("state_dict")) skipped.add(name);
        }
        if (!out.isEmpty() && out.keySet().stream().allMatch(k -> k.startsWith("module."))) {
            Map<String, TorchTensor> stripped = new LinkedHashMap<>();
            for (Map.Entry<String, TorchTensor> e : out.entrySet()) stripped.put(e.getKey().substring(7), e.getValue());
            origin += ", 'module.' prefix removed";
            return stripped;
        }
        return out;
    }

    /**
     * Parameters, then buffers, then submodules, as {@code Module.state_dict()} orders them; a submodule shared by
     * two parents appears under both names, as there. {@code ancestors} holds the modules above, to refuse cycles.
     */
    private void walk(TorchObject o, String prefix, int depth, Set<TorchObject> ancestors, Map<String, TorchTensor> out) {
        if (depth > MAX_DEPTH) throw new TorchFormatException(path + ": TorchScript modules nested deeper than " + MAX_DEPTH);
        step();
        if (!ancestors.add(o)) {
            throw new TorchFormatException(path + ": TorchScript module '" + prefix + "' contains itself");
        }
        TorchScriptClasses.Declaration d = classes == null ? null : classes.get(o.className());
        Map<String, Object> attrs = o.attributes();
        for (int i = 0; i < attrs.size(); i++) step();
        if (d != null) {
            for (List<String> names : List.of(d.parameters(), d.buffers())) {
                for (String n : names) if (attrs.get(n) instanceof TorchTensor t) out.put(prefix + n, t);
            }
        } else {
            for (Map.Entry<String, Object> e : attrs.entrySet()) {
                if (e.getValue() instanceof TorchTensor t) out.put(prefix + e.getKey(), t);
            }
        }
        for (Map.Entry<String, Object> e : attrs.entrySet()) {
            if (e.getValue() instanceof TorchObject child) walk(child, prefix + e.getKey() + ".", depth + 1, ancestors, out);
            else if (d != null && e.getValue() instanceof TorchTensor && !d.declares(e.getKey())) skipped.add(prefix + e.getKey());
        }
        ancestors.remove(o);
    }

    private void step() {
        if (++steps > MAX_WALK_STEPS) {
            throw new TorchFormatException(path + ": the TorchScript module tree takes more than " + MAX_WALK_STEPS
                    + " steps to walk (shared submodules)");
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public String toString() {
        return "TorchCheckpoint[" + path + ", " + format + "]";
    }
}
