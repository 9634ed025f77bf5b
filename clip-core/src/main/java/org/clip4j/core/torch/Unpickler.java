package org.clip4j.core.torch;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted unpickler for PyTorch checkpoints: it decodes the pickle opcodes of protocols 0 to 5 that plain
 * data needs (numbers, strings, bytes, tuples, lists, dicts, sets, the memo, persistent ids) into Java values,
 * and resolves only the Python globals a state dict or a TorchScript module's state refers to. Nothing is ever
 * imported, instantiated or called: each allowed global is a tag this class interprets itself, and any other
 * global ({@code os.system}, {@code builtins.eval}, {@code __builtin__.getattr}, a numpy or argparse class...) is
 * refused with a {@link TorchFormatException} naming it, before anything else happens.
 *
 * <p>Values: {@code None} → null, bool → Boolean, int → Long (BigInteger beyond 64 bits), float → Double,
 * str → String, bytes/bytearray → byte[], tuple → {@link PyTuple}, list and set → ArrayList, dict and
 * {@code OrderedDict} → LinkedHashMap, a tensor → {@link TorchTensor}, a {@code __torch__.*} object →
 * {@link TorchObject}.
 *
 * <p>Allowed globals:
 * <ul>
 *   <li>{@code collections.OrderedDict};</li>
 *   <li>{@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_tensor}, {@code _rebuild_parameter},
 *       {@code _rebuild_parameter_with_state}, {@code torch._tensor._rebuild_from_type_v2} with the types
 *       {@code torch.Tensor} and {@code torch.nn.parameter.Parameter};</li>
 *   <li>the storage classes {@code torch.FloatStorage}, {@code HalfStorage}, {@code BFloat16Storage},
 *       {@code DoubleStorage}, {@code LongStorage}, {@code IntStorage}, {@code ShortStorage},
 *       {@code CharStorage}, {@code ByteStorage}, {@code BoolStorage}, only inside persistent ids;</li>
 *   <li>TorchScript's {@code torch.jit._pickle} list builders and {@code restore_type_tag} (which return their
 *       argument), and the class names {@code __torch__.*}, whose instances stay opaque attribute
 *       containers.</li>
 * </ul>
 */
final class Unpickler {
    /** Resolves a persistent id (the argument of PERSID/BINPERSID) to a storage. */
    interface PersistentLoader {
        Object load(Object pid, String where);
    }

    /** The globals this reader interprets. */
    private enum Global {
        ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE,
        REBUILD_FROM_TYPE_V2, TENSOR_TYPE, PARAMETER_TYPE, JIT_IDENTITY
    }

    /** A {@code __torch__.*} class, instantiated as an opaque {@link TorchObject}. */
    private record TorchClass(String name) {
    }

    private static final Object MARK = new Object();
    private static final int MAX_KEY_DEPTH = 32;
    /**
     * Most values in one dict key or set item (tuples count their elements): keys are hashed and compared, so a
     * key built as a DAG of shared tuples would cost exponential time otherwise. Real keys are one string or int.
     */
    private static final int MAX_KEY_NODES = 64;

    private final String source;
    private final ByteBuffer in;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int opAt;

    /**
     * @param source     names the pickle in messages (file and entry)
     * @param in         the pickle bytes from its position; reading advances the position past STOP
     * @param persistent resolves persistent ids, or null to refuse them
     */
    Unpickler(String source, ByteBuffer in, PersistentLoader persistent) {
        this.source = source;
        this.in = in;
        this.persistent = persistent;
    }

    private TorchFormatException bad(String what) {
        return new TorchFormatException(source + ": pickle byte " + opAt + ": " + what);
    }

    /** Reads one pickle up to its STOP opcode and returns its value. */
    Object load() {
        stack.clear();
        marks.clear();
        memo.clear();
        while (true) {
            opAt = in.position();
            if (!in.hasRemaining()) throw bad("the pickle ends without a STOP opcode");
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int p = u8();
                    if (p > 5) throw bad("pickle protocol " + p + " (this reader knows 0 to 5)");
                }
                case 0x95 -> i64(); // FRAME: a length hint; the frame's opcodes follow inline
                case '.' -> {
                    if (!marks.isEmpty()) throw bad("STOP inside an unclosed MARK");
                    Object v = pop();
                    if (!stack.isEmpty()) throw bad("STOP leaves " + stack.size() + " extra values on the stack");
                    return v;
                }
                case '(' -> {
                    marks.add(stack.size());
                    stack.add(MARK);
                }
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'I' -> {
                    String s = line();
                    if (s.equals("00")) push(Boolean.FALSE);
                    else if (s.equals("01")) push(Boolean.TRUE);
                    else push(parseInt(s));
                }
                case 'L' -> {
                    String s = line();
                    push(parseInt(s.endsWith("L") ? s.substring(0, s.length() - 1) : s));
                }
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) u16());
                case 0x8a -> push(longBytes(u8()));
                case 0x8b -> push(longBytes(len(i32() & 0xffffffffL, "LONG4")));
                case 'F' -> {
                    String s = line();
                    try {
                        push(Double.parseDouble(s));
                    } catch (NumberFormatException e) {
                        throw bad("FLOAT '" + clip(s) + "' is not a number");
                    }
                }
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(i64()))); // BINFLOAT is big-endian
                case 'S' -> push(pythonString(line()));
                case 'T' -> push(utf8(bytes(len(i32() & 0xffffffffL, "BINSTRING"))));
                case 'U' -> push(utf8(bytes(u8())));
                case 'V' -> push(rawUnicodeEscape(line()));
                case 'X' -> push(utf8(bytes(len(i32() & 0xffffffffL, "BINUNICODE"))));
                case 0x8c -> push(utf8(bytes(u8())));
                case 0x8d -> push(utf8(bytes(len(i64(), "BINUNICODE8"))));
                case 'B' -> push(bytes(len(i32() & 0xffffffffL, "BINBYTES")));
                case 'C' -> push(bytes(u8()));
                case 0x8e -> push(bytes(len(i64(), "BINBYTES8")));
                case 0x96 -> push(bytes(len(i64(), "BYTEARRAY8")));
                case ')' -> push(new PyTuple(List.of()));
                case 't' -> push(new PyTuple(unmodifiable(popMark())));
                case 0x85 -> push(tuple(1));
                case 0x86 -> push(tuple(2));
                case 0x87 -> push(tuple(3));
                case ']' -> push(new ArrayList<>());
                case 'l' -> push(new ArrayList<>(popMark()));
                case 'a' -> {
                    Object v = pop();
                    list(peek(), "APPEND").add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek(), "APPENDS").addAll(items);
                }
                case '}' -> push(new LinkedHashMap<>());
                case 'd' -> {
                    List<Object> items = popMark();
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putPairs(m, items);
                    push(m);
                }
                case 's' -> {
                    Object v = pop(), k = pop();
                    putPairs(dict(peek(), "SETITEM"), Arrays.asList(k, v));
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    putPairs(dict(peek(), "SETITEMS"), items);
                }
                case 0x8f -> push(new ArrayList<>()); // EMPTY_SET: a list of its items
                case 0x90 -> {
                    List<Object> items = popMark();
                    for (Object o : items) hashable(o, 0);
                    list(peek(), "ADDITEMS").addAll(items);
                }
                case 0x91 -> {
                    List<Object> items = popMark();
                    for (Object o : items) hashable(o, 0);
                    push(new PyTuple(unmodifiable(items)));
                }
                case 'g' -> push(memoGet(parseIndex(line())));
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(i32() & 0xffffffffL));
                case 'p' -> memo.put(parseIndex(line()), peek());
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(i32() & 0xffffffffL, peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'c' -> push(global(line(), line()));
                case 0x93 -> {
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw bad("STACK_GLOBAL needs two strings, found " + typeName(module) + " and " + typeName(name));
                    }
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop(), f = pop();
                    push(call(f, tupleArg(args, "REDUCE")));
                }
                case 0x81 -> {
                    Object args = pop(), cls = pop();
                    tupleArg(args, "NEWOBJ");
                    push(newObject(cls, "NEWOBJ"));
                }
                case 0x92 -> {
                    Object kwargs = pop(), args = pop(), cls = pop();
                    tupleArg(args, "NEWOBJ_EX");
                    if (kwargs != null && !(kwargs instanceof Map)) throw bad("NEWOBJ_EX keyword arguments are not a dict");
                    push(newObject(cls, "NEWOBJ_EX"));
                }
                case 'b' -> {
                    Object state = pop();
                    build(peek(), state);
                }
                case 'P' -> push(persistentLoad(line()));
                case 'Q' -> push(persistentLoad(pop()));
                case 'i' -> {
                    String module = line(), name = line();
                    throw bad("INST asks to instantiate the Python class '" + module + "." + name
                            + "'; a state dict never does, so the file is refused");
                }
                case 'o' -> throw bad("OBJ asks to instantiate a Python class; a state dict never does, so the file"
                        + " is refused");
                case 0x82, 0x83, 0x84 -> throw bad("EXT opcodes (the copyreg extension registry) are not supported");
                case 0x97, 0x98 -> throw bad("out-of-band buffers (pickle protocol 5) are not supported");
                default -> throw bad(String.format("unknown or unsupported opcode 0x%02x", op));
            }
        }
    }

    // ---- the allowed globals ----

    private Object global(String module, String name) {
        String q = module + "." + name;
        if (module.equals("__torch__") || module.startsWith("__torch__.")) return new TorchClass(q);
        switch (q) {
            case "collections.OrderedDict": return Global.ORDERED_DICT;
            case "torch._utils._rebuild_tensor_v2": return Global.REBUILD_TENSOR_V2;
            case "torch._utils._rebuild_tensor": return Global.REBUILD_TENSOR;
            case "torch._utils._rebuild_parameter": return Global.REBUILD_PARAMETER;
            case "torch._utils._rebuild_parameter_with_state": return Global.REBUILD_PARAMETER_WITH_STATE;
            case "torch._tensor._rebuild_from_type_v2": return Global.REBUILD_FROM_TYPE_V2;
            case "torch.Tensor": return Global.TENSOR_TYPE;
            case "torch.nn.parameter.Parameter": return Global.PARAMETER_TYPE;
            case "torch.jit._pickle.restore_type_tag", "torch.jit._pickle.build_intlist",
                 "torch.jit._pickle.build_doublelist", "torch.jit._pickle.build_boollist",
                 "torch.jit._pickle.build_tensorlist": return Global.JIT_IDENTITY;
            default:
        }
        if (module.equals("torch")) {
            TorchDType t = TorchDType.ofStorageClass(name);
            if (t != null) return t;
        }
        throw bad("the pickle asks for the Python global '" + clip(q) + "', which a state dict never needs;"
                + " the file is refused without running anything (allowed: collections.OrderedDict,"
                + " torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.*Storage, __torch__.* classes)");
    }

    private Object call(Object f, PyTuple a) {
        if (f instanceof TorchClass c) return new TorchObject(c.name());
        if (!(f instanceof Global g)) throw bad("REDUCE calls a " + typeName(f) + ", which is not callable here");
        switch (g) {
            case ORDERED_DICT -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (a.size() == 1 && a.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (!(p instanceof PyTuple t && t.size() == 2) && !(p instanceof List<?> l && l.size() == 2)) {
                            throw bad("OrderedDict(...) needs (key, value) pairs");
                        }
                        List<?> kv = p instanceof PyTuple t ? t.items() : (List<?>) p;
                        putPairs(m, new ArrayList<>(kv));
                    }
                } else if (a.size() != 0) {
                    throw bad("OrderedDict called with " + a.size() + " arguments");
                }
                return m;
            }
            case REBUILD_TENSOR_V2, REBUILD_TENSOR -> {
                int min = g == Global.REBUILD_TENSOR ? 4 : 6;
                if (a.size() < min || a.size() > 7) throw bad("_rebuild_tensor called with " + a.size() + " arguments");
                if (!(a.get(0) instanceof TorchStorage s)) {
                    throw bad("_rebuild_tensor's first argument is a " + typeName(a.get(0)) + ", not a storage");
                }
                long offset = integer(a.get(1), "storage offset");
                long[] size = longs(a.get(2), "size"), stride = longs(a.get(3), "stride");
                return new TorchTensor(source, s, offset, size, stride);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                if (a.size() < 1 || !(a.get(0) instanceof TorchTensor t)) {
                    throw bad("_rebuild_parameter needs a tensor as its first argument");
                }
                return t;
            }
            case REBUILD_FROM_TYPE_V2 -> {
                if (a.size() != 4) throw bad("_rebuild_from_type_v2 called with " + a.size() + " arguments");
                if (a.get(1) != Global.TENSOR_TYPE && a.get(1) != Global.PARAMETER_TYPE) {
                    throw bad("_rebuild_from_type_v2 with a tensor subclass other than Tensor or Parameter");
                }
                if (!(a.get(2) instanceof PyTuple args)) throw bad("_rebuild_from_type_v2 arguments are not a tuple");
                return call(a.get(0), args);
            }
            case JIT_IDENTITY -> {
                if (a.size() < 1) throw bad("a torch.jit._pickle helper called without arguments");
                return a.get(0);
            }
            default -> throw bad(g + " is a type, not a function");
        }
    }

    private Object newObject(Object cls, String op) {
        if (cls instanceof TorchClass c) return new TorchObject(c.name());
        throw bad(op + " on a " + typeName(cls) + "; only __torch__.* classes are instantiated (as opaque containers)");
    }

    private void build(Object target, Object state) {
        if (target instanceof TorchObject o) {
            if (state instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String k)) throw bad("an attribute name of " + o + " is not a string");
                    o.attributes().put(k, e.getValue());
                }
            } else {
                o.attributes().put("__getstate__", state); // a class with custom state: kept, never interpreted
            }
        } else if (target instanceof Map<?, ?> || target instanceof TorchTensor) {
            // OrderedDict instance attributes (a state dict's _metadata), tensor __dict__: not needed
        } else {
            throw bad("BUILD on a " + typeName(target) + "; only TorchScript objects and dicts take a state here");
        }
    }

    private Object persistentLoad(Object pid) {
        if (persistent == null) throw bad("a persistent id, but this pickle may not reference storages");
        return persistent.load(pid, source + ": pickle byte " + opAt);
    }

    // ---- stack and memo ----

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) throw bad("stack underflow");
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) throw bad("a MARK where a value was expected");
        return o;
    }

    private Object peek() {
        if (stack.isEmpty()) throw bad("stack underflow");
        Object o = stack.get(stack.size() - 1);
        if (o == MARK) throw bad("a MARK where a value was expected");
        return o;
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw bad("no MARK to pop to");
        int at = marks.remove(marks.size() - 1);
        List<Object> sub = stack.subList(at + 1, stack.size());
        List<Object> items = new ArrayList<>(sub);
        sub.clear();
        stack.remove(at); // the MARK itself
        return items;
    }

    private PyTuple tuple(int n) {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) items[i] = pop();
        return new PyTuple(unmodifiable(Arrays.asList(items)));
    }

    private Object memoGet(long key) {
        if (!memo.containsKey(key)) throw bad("memo key " + key + " was never stored");
        return memo.get(key);
    }

    // ---- value checks ----

    private static List<Object> unmodifiable(List<Object> items) {
        return java.util.Collections.unmodifiableList(new ArrayList<>(items));
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, String op) {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw bad(op + " on a " + typeName(o) + ", expected a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, String op) {
        if (o instanceof LinkedHashMap<?, ?> m) return (Map<Object, Object>) m;
        throw bad(op + " on a " + typeName(o) + ", expected a dict");
    }

    private void putPairs(Map<Object, Object> m, List<Object> items) {
        if (items.size() % 2 != 0) throw bad("an odd number of items for a dict");
        for (int i = 0; i < items.size(); i += 2) {
            hashable(items.get(i), 0);
            m.put(items.get(i), items.get(i + 1));
        }
    }

    /** Python dict keys must be hashable: numbers, strings, None, tuples of those; and small here. */
    private void hashable(Object k, int depth) {
        hashable(k, depth, new int[1]);
    }

    private void hashable(Object k, int depth, int[] nodes) {
        if (depth > MAX_KEY_DEPTH) throw bad("a dict key nested deeper than " + MAX_KEY_DEPTH);
        if (++nodes[0] > MAX_KEY_NODES) throw bad("a dict key made of more than " + MAX_KEY_NODES + " values");
        if (k == null || k instanceof String || k instanceof Long || k instanceof Double || k instanceof Boolean) return;
        if (k instanceof BigInteger b) {
            if (b.bitLength() > 4096) throw bad("a dict key is an integer of " + b.bitLength() + " bits");
            return;
        }
        if (k instanceof PyTuple t) {
            for (Object o : t.items()) hashable(o, depth + 1, nodes);
            return;
        }
        throw bad("a dict key is a " + typeName(k) + ", which is not hashable");
    }

    private PyTuple tupleArg(Object args, String op) {
        if (args instanceof PyTuple t) return t;
        throw bad(op + " arguments are a " + typeName(args) + ", expected a tuple");
    }

    private long integer(Object o, String what) {
        if (o instanceof Long l) return l;
        throw bad(what + " is a " + typeName(o) + ", expected an int");
    }

    private long[] longs(Object o, String what) {
        List<?> items = o instanceof PyTuple t ? t.items() : o instanceof List<?> l ? l : null;
        if (items == null) throw bad(what + " is a " + typeName(o) + ", expected a tuple of ints");
        if (items.size() > TorchTensor.MAX_RANK) throw bad(what + " has " + items.size() + " dimensions");
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = integer(items.get(i), what + "[" + i + "]");
        return out;
    }

    static String typeName(Object o) {
        if (o == null) return "None";
        if (o instanceof TorchClass c) return "class " + c.name();
        if (o instanceof Global g) return "global " + g;
        if (o instanceof TorchDType t) return "storage class torch." + t.storageClass();
        if (o instanceof TorchObject t) return t.className() + " object";
        if (o instanceof PyTuple) return "tuple";
        if (o instanceof List) return "list";
        if (o instanceof Map) return "dict";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof TorchStorage) return "storage";
        if (o instanceof TorchTensor) return "tensor";
        return o.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    // ---- raw reads ----

    private void need(long n, String what) {
        if (n < 0 || n > in.remaining()) {
            throw bad(what + " needs " + n + " bytes but only " + in.remaining() + " remain");
        }
    }

    private int u8() {
        need(1, "an opcode argument");
        return in.get() & 0xff;
    }

    private int u16() {
        need(2, "an opcode argument");
        return (in.get() & 0xff) | (in.get() & 0xff) << 8;
    }

    private int i32() {
        need(4, "an opcode argument");
        return (in.get() & 0xff) | (in.get() & 0xff) << 8 | (in.get() & 0xff) << 16 | (in.get() & 0xff) << 24;
    }

    private long i64() {
        need(8, "an opcode argument");
        long v = 0;
        for (int i = 0; i < 8; i++) v |= (in.get() & 0xffL) << (8 * i);
        return v;
    }

    private int len(long n, String what) {
        if (n < 0 || n > in.remaining()) {
            throw bad(what + " declares " + n + " bytes but only " + in.remaining() + " remain");
        }
        return (int) n;
    }

    private byte[] bytes(int n) {
        need(n, "a string or bytes value");
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private String line() {
        int start = in.position();
        int end = start;
        while (end < in.limit() && in.get(end) != '\n') end++;
        if (end >= in.limit()) throw bad("a text argument without its newline");
        byte[] b = new byte[end - start];
        in.get(b);
        in.get(); // the newline
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private Object longBytes(int n) {
        byte[] le = bytes(n);
        if (n == 0) return 0L;
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
        BigInteger v = new BigInteger(be); // two's complement
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Object parseInt(String s) {
        try {
            BigInteger v = new BigInteger(s.trim());
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException e) {
            throw bad("'" + clip(s) + "' is not an integer");
        }
    }

    private long parseIndex(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw bad("memo index '" + clip(s) + "' is not an integer");
        }
    }

    /** A protocol-0 STRING argument: a quoted Python literal with backslash escapes. */
    private String pythonString(String s) {
        if (s.length() < 2 || s.charAt(0) != s.charAt(s.length() - 1) || (s.charAt(0) != '\'' && s.charAt(0) != '"')) {
            throw bad("STRING argument is not quoted");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length() - 1) {
                sb.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'x' -> {
                    if (i + 2 >= s.length()) throw bad("a truncated \\x escape");
                    sb.append((char) hex(s.substring(i + 1, i + 3)));
                    i += 2;
                }
                default -> sb.append(e);
            }
        }
        return sb.toString();
    }

    /** A protocol-0 UNICODE argument: Latin-1 with backslash-u escapes. */
    private String rawUnicodeEscape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'u' || s.charAt(i + 1) == 'U')) {
                int n = s.charAt(i + 1) == 'u' ? 4 : 8;
                if (i + 2 + n > s.length()) throw bad("a truncated unicode escape");
                int cp = hex(s.substring(i + 2, i + 2 + n));
                if (!Character.isValidCodePoint(cp)) throw bad("an invalid code point in a unicode escape");
                sb.appendCodePoint(cp);
                i += 1 + n;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private int hex(String h) {
        try {
            long v = Long.parseLong(h, 16);
            if (v > Integer.MAX_VALUE) throw bad("escape value out of range");
            return (int) v;
        } catch (NumberFormatException e) {
            throw bad("'" + clip(h) + "' is not hexadecimal");
        }
    }

    private static String clip(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
