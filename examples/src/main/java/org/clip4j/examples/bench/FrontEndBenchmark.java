package org.clip4j.examples.bench;

import org.clip4j.core.image.ImageDecoder;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.tokenizer.ClipTokenizer;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Throughput of the two front ends: tokenizer (tokens/s on a caption corpus) and image preprocessing
 * (images/s at 224, JPEG decode included; also per CPU-second of the one thread, which a shared machine disturbs
 * less than wall time). Writes the corpus and images to a folder so that
 * {@code examples/bench/frontend_peer.py} measures the Python reference on exactly the same inputs.
 *
 * <p>Usage: {@code java -cp ... org.clip4j.examples.bench.FrontEndBenchmark [DIR [CAPTIONS [IMAGES]]]}; see
 * {@code examples/bench/run-frontend-bench.sh}.
 */
public final class FrontEndBenchmark {
    private static final String[] ADJ = {"red", "small", "old", "wooden", "bright", "sleepy", "tall", "striped",
            "vintage", "colorful", "tiny", "broken", "shiny", "dark", "fluffy", "modern", "rusty", "golden"};
    private static final String[] NOUN = {"cat", "dog", "bicycle", "house", "mountain", "boat", "teapot", "car",
            "bird", "tree", "guitar", "lamp", "horse", "bridge", "castle", "robot", "sandwich", "umbrella",
            "lighthouse", "elephant", "skateboard", "violin", "cathedral", "strawberry"};
    private static final String[] PLACE = {"on a beach", "in the snow", "next to a window", "at night",
            "in a busy street", "on a wooden table", "under the rain", "in a field of flowers", "near the river"};
    private static final String[] TEMPLATE = {"a photo of a %s %s %s.", "A %s %s %s, high resolution",
            "there is a %s %s %s!", "%s %s %s - stock photo #%d", "my %s %s %s :) (taken in %d)",
            "Close-up of the %s %s %s; it's lovely."};

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/frontend-bench");
        int nCaptions = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
        int nImages = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        Files.createDirectories(dir);
        List<String> captions = captions(nCaptions, 1234);
        Files.write(dir.resolve("captions.txt"), captions, StandardCharsets.UTF_8);
        List<String> web = webCaptions(captions);
        Files.write(dir.resolve("captions_web.txt"), web, StandardCharsets.UTF_8);
        List<Path> images = images(dir.resolve("images"), nImages, 99);

        ClipTokenizer tok = ClipTokenizer.openai();
        tok.tokenize(captions.subList(0, Math.min(2000, captions.size())), 77, true); // warm-up (JIT)
        long tokens = 0;
        for (String c : captions) tokens += tok.encode(c).length;
        // Each measurement: 3 rounds after warm-up, the median reported (Python peer does the same).
        long[][][] rows = new long[1][][];
        double tokSec = median(() -> rows[0] = tok.tokenize(captions, 77, true));
        // The same without ftfy's fix_text, and both on the web-like corpus (curly quotes, accents, mojibake).
        ClipTokenizer noFtfy = tok.withFtfy(false);
        double tokSecNoFtfy = median(() -> noFtfy.tokenize(captions, 77, true));
        long webTokens = 0;
        for (String c : web) webTokens += tok.encode(c).length;
        double webSec = median(() -> tok.tokenize(web, 77, true));
        double webSecNoFtfy = median(() -> noFtfy.tokenize(web, 77, true));
        int threads = Runtime.getRuntime().availableProcessors();

        ImagePreprocessor pre = ImagePreprocessor.clip(224);
        // Warm-up: two passes over all images, so that the JIT has compiled the decode and resize loops before
        // the first timed round (16 images were too few: the first round then ran partly interpreted).
        for (int round = 0; round < 2; round++) for (Path p : images) pre.apply(p);
        pre.batch(images.subList(0, Math.min(16, images.size()))).close();
        double imgSec1 = median(() -> {
            for (Path p : images) pre.apply(p);
        });
        // The same loop in CPU seconds of this thread: on a shared machine, wall time also counts waiting for a core.
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        double imgCpu1 = median(() -> {
            long c0 = mx.getCurrentThreadCpuTime();
            for (Path p : images) pre.apply(p);
            cpuSeconds[0] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
        }, cpuSeconds);
        double imgSecN = median(() -> pre.batch(images).close());

        System.out.printf(Locale.ROOT, "{\"impl\": \"clip4j\", \"captions\": %d, \"bpe_tokens\": %d, "
                        + "\"tokenize_s\": %.3f, \"tokens_per_s\": %.0f, \"captions_per_s\": %.0f, "
                        + "\"tokens_per_s_no_ftfy\": %.0f, \"web_bpe_tokens\": %d, \"web_tokens_per_s\": %.0f, "
                        + "\"web_tokens_per_s_no_ftfy\": %.0f, "
                        + "\"images\": %d, \"preprocess_1thread_images_per_s\": %.1f, "
                        + "\"preprocess_1thread_images_per_cpu_s\": %.1f, "
                        + "\"preprocess_batch_images_per_s\": %.1f, \"batch_threads\": %d, \"rows\": %d, "
                        + "\"jpeg_decoder\": \"%s\"}%n",
                captions.size(), tokens, tokSec, tokens / tokSec, captions.size() / tokSec, tokens / tokSecNoFtfy,
                webTokens, webTokens / webSec, webTokens / webSecNoFtfy, images.size(),
                images.size() / imgSec1, images.size() / imgCpu1, images.size() / imgSecN, threads, rows[0].length,
                ImageDecoder.jpegDecoder());
    }

    private static final double[] cpuSeconds = new double[1];

    /** Median of 3 runs of {@code work} of the value it leaves in {@code result[0]} (e.g. CPU seconds). */
    static double median(Runnable work, double[] result) {
        double[] t = new double[3];
        for (int i = 0; i < t.length; i++) {
            work.run();
            t[i] = result[0];
        }
        java.util.Arrays.sort(t);
        return t[1];
    }

    /** Median wall time in seconds of 3 runs of {@code work}. */
    static double median(Runnable work) {
        double[] t = new double[3];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            work.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        java.util.Arrays.sort(t);
        return t[1];
    }

    /**
     * The captions as scraped web text often is: every second one gets curly quotes, every fourth an accented
     * word, every eighth UTF-8 mojibake (the accented word read as windows-1252), so that ftfy has work to do.
     */
    static List<String> webCaptions(List<String> captions) {
        String[] words = {"café", "naïve", "Zürich", "São Paulo", "jalapeño", "Ελλάδα", "Москва"};
        List<String> out = new ArrayList<>(captions.size());
        for (int i = 0; i < captions.size(); i++) {
            String c = captions.get(i);
            if (i % 2 == 0) c = c.replace("it's", "it\u2019s") + " \u201cnice\u201d";
            if (i % 4 == 1) c = c + " in " + words[i / 4 % words.length];
            if (i % 8 == 3) {
                String w = words[i / 8 % words.length];
                c = c + " in " + new String(w.getBytes(StandardCharsets.UTF_8), java.nio.charset.Charset.forName("windows-1252"));
            }
            out.add(c);
        }
        return out;
    }

    /** Deterministic, varied captions: templates × adjectives × nouns × places, punctuation and numbers. */
    static List<String> captions(int n, long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String t = TEMPLATE[r.nextInt(TEMPLATE.length)];
            String a = ADJ[r.nextInt(ADJ.length)], b = NOUN[r.nextInt(NOUN.length)], c = PLACE[r.nextInt(PLACE.length)];
            out.add(t.contains("%d") ? String.format(Locale.ROOT, t, a, b, c, 1900 + r.nextInt(125))
                    : String.format(Locale.ROOT, t, a, b, c));
        }
        return out;
    }

    /** Photo-sized JPEGs (640×480 and 480×640, some 1024×768) with gradients and shapes. */
    static List<Path> images(Path dir, int n, long seed) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(seed);
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve(String.format(Locale.ROOT, "img%04d.jpg", i));
            out.add(p);
            if (Files.exists(p)) continue;
            int w = i % 3 == 0 ? 480 : i % 7 == 0 ? 1024 : 640;
            int h = i % 3 == 0 ? 640 : i % 7 == 0 ? 768 : 480;
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setPaint(new GradientPaint(0, 0, new Color(r.nextInt(0xffffff)), w, h, new Color(r.nextInt(0xffffff))));
            g.fillRect(0, 0, w, h);
            for (int k = 0; k < 20; k++) {
                g.setColor(new Color(r.nextInt(0xffffff)));
                g.fillOval(r.nextInt(w), r.nextInt(h), 20 + r.nextInt(w / 3), 20 + r.nextInt(h / 3));
            }
            g.dispose();
            ImageWriter wr = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam prm = wr.getDefaultWriteParam();
            prm.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            prm.setCompressionQuality(0.9f);
            try (ImageOutputStream os = ImageIO.createImageOutputStream(p.toFile())) {
                wr.setOutput(os);
                wr.write(null, new IIOImage(img, null, null), prm);
            } finally {
                wr.dispose();
            }
        }
        return out;
    }

    private FrontEndBenchmark() {
    }
}
