package org.clip4j.core.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mutated and truncated files: opening one and reading every tensor either works or throws
 * {@link SafetensorsException}. Nothing else may escape (no OutOfMemoryError, no IndexOutOfBounds, no Jackson
 * exception), and a file that opens must read back consistently with its header.
 */
class SafetensorsFuzzTest {
    @TempDir
    Path tmp;

    static byte[] file(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(header.length).put(header).put(data).array();
    }

    private static byte[] seedFile(Path dir) throws IOException {
        Path p = dir.resolve("seed.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt").metadata("clip_config", "{\"embed_dim\": 32}")
                .putFloats("w", new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6})
                .putFloats("h", DType.F16, new long[]{4}, new float[]{1, 2, 3, 4})
                .putFloats("b", DType.BF16, new long[]{2}, new float[]{1, 2})
                .putLongs("ids", DType.I64, new long[]{1, 3}, new long[]{49406, 1, 49407})
                .putLongs("i", DType.I32, new long[]{2}, new long[]{1, 2})
                .putBytes("px", new long[]{2, 2}, new byte[]{1, 2, 3, 4})
                .putDoubles("d", new long[]{}, new double[]{2.5})
                .write(p);
        return Files.readAllBytes(p);
    }

    @Test
    void onlySafetensorsExceptionEscapes() throws IOException {
        byte[] seed = seedFile(tmp);
        int headerLen = (int) ByteBuffer.wrap(seed, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(seed, 8, headerLen, StandardCharsets.UTF_8);
        Random rnd = new Random(20261129);
        int opened = 0, rejected = 0;
        Path p = tmp.resolve("fuzz.safetensors");
        for (int iter = 0; iter < 4000; iter++) {
            byte[] bytes = mutate(seed, header, headerLen, rnd);
            Files.write(p, bytes);
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                opened++;
                for (String n : f.names()) {
                    TensorInfo t = f.info(n);
                    assertTrue(t.end() <= bytes.length, n);
                    switch (t.dtype()) {
                        case F32, F64, F16, BF16 -> assertEquals(t.numel(), f.floats(n).length);
                        default -> assertEquals(t.numel(), f.longs(n).length);
                    }
                }
            } catch (SafetensorsException e) {
                rejected++;
                assertNotNull(e.getMessage());
                assertTrue(e.getMessage().contains("fuzz.safetensors"), e.getMessage());
            } catch (Throwable t) {
                fail("iteration " + iter + ": " + t + " escaped for a file of " + bytes.length + " bytes", t);
            }
        }
        // the mutations must exercise both outcomes a fair number of times
        assertTrue(opened > 100 && rejected > 2000, "opened " + opened + ", rejected " + rejected);
    }

    private static byte[] mutate(byte[] seed, String header, int headerLen, Random rnd) {
        byte[] b = seed.clone();
        switch (rnd.nextInt(7)) {
            case 0 -> { // truncate anywhere
                byte[] t = new byte[rnd.nextInt(b.length)];
                System.arraycopy(b, 0, t, 0, t.length);
                return t;
            }
            case 1 -> { // flip random bytes in the header
                int k = 1 + rnd.nextInt(4);
                for (int i = 0; i < k; i++) b[8 + rnd.nextInt(headerLen)] = (byte) rnd.nextInt(256);
                return b;
            }
            case 2 -> { // random header length
                long len = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextLong();
                    case 1 -> headerLen + rnd.nextInt(64) - 32;
                    case 2 -> Long.MAX_VALUE;
                    default -> rnd.nextInt(Integer.MAX_VALUE);
                };
                ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(len);
                return b;
            }
            case 3 -> { // change one digit in the header (shapes and offsets)
                return file(replaceDigit(header, rnd).getBytes(StandardCharsets.UTF_8),
                        java.util.Arrays.copyOfRange(b, 8 + headerLen, b.length));
            }
            case 4 -> { // replace a number by a huge, negative or fractional one
                String[] repl = {"-1", "99999999999999999999", "1.5", "9223372036854775807", "\"3\"", "null", "[]"};
                String h = header.replaceFirst("(?<=[\\[,])\\d+(?=[,\\]])", "~");
                int idx = h.indexOf('~');
                if (idx < 0) return b;
                String[] parts = header.split("(?<=[\\[,])\\d+(?=[,\\]])", -1);
                StringBuilder sb = new StringBuilder(parts[0]);
                int target = rnd.nextInt(parts.length - 1);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?<=[\\[,])\\d+(?=[,\\]])").matcher(header);
                int i = 0;
                while (m.find()) {
                    sb.append(i == target ? repl[rnd.nextInt(repl.length)] : m.group());
                    sb.append(parts[++i]);
                }
                return file(sb.toString().getBytes(StandardCharsets.UTF_8),
                        java.util.Arrays.copyOfRange(b, 8 + headerLen, b.length));
            }
            case 5 -> { // cut the data section, keeping the header
                int cut = 8 + headerLen + rnd.nextInt(b.length - 8 - headerLen);
                return java.util.Arrays.copyOf(b, cut);
            }
            default -> { // change a dtype
                String[] dts = {"F32", "F64", "F16", "BF16", "I64", "I32", "U8", "I8", "BOOL", "f32", ""};
                String h = header.replaceFirst("\"(F32|F16|BF16|I64|I32|U8|F64)\"",
                        "\"" + dts[rnd.nextInt(dts.length)] + "\"");
                return file(h.getBytes(StandardCharsets.UTF_8), java.util.Arrays.copyOfRange(b, 8 + headerLen, b.length));
            }
        }
    }

    private static String replaceDigit(String s, Random rnd) {
        int[] digits = s.chars().map(c -> Character.isDigit(c) ? 1 : 0).toArray();
        int count = 0;
        for (int d : digits) count += d;
        int target = rnd.nextInt(Math.max(count, 1));
        StringBuilder sb = new StringBuilder(s);
        for (int i = 0, seen = 0; i < s.length(); i++) {
            if (Character.isDigit(s.charAt(i)) && seen++ == target) {
                sb.setCharAt(i, (char) ('0' + rnd.nextInt(10)));
                break;
            }
        }
        return sb.toString();
    }
}
