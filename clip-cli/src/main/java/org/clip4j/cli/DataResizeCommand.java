package org.clip4j.cli;

import org.clip4j.train.data.resize.ManifestResizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code clip data resize}: copies of manifests whose images are downscaled once (Pillow-exact bicubic). */
@Command(name = "resize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes copies of CSV/TSV manifests to DIR whose images (DIR/images/*.png) are downscaled",
                "once to a shorter side of N pixels (aspect kept, never upscaled; Pillow's bicubic resize bit",
                "for bit, alpha and palettes kept), as img2dataset resizes at download time: decoding large",
                "originals otherwise dominates training. Images already small enough are copied. Unreadable",
                "images are named in the log, counted, and their rows left out."})
final class DataResizeCommand implements Callable<Integer> {
    @Option(names = "--manifest", paramLabel = "M.tsv", required = true, arity = "1..*",
            description = "One or more manifests (paths relative to each or absolute); each is written to DIR under its file name.")
    List<Path> manifests;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder for the manifests and images/ (created).")
    Path out;

    @Option(names = "--shorter-side", paramLabel = "N", required = true, description = "Target shorter side in pixels (e.g. 64).")
    int shorterSide;

    @Option(names = "--threads", paramLabel = "N", description = "Images at once (default: all processors, ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Mixin
    ManifestOptions manifestOptions = new ManifestOptions();

    @Override
    public Integer call() {
        if (shorterSide < 1) throw new IllegalArgumentException("--shorter-side " + shorterSide + ": expected an integer >= 1");
        if (threads < 1) throw new IllegalArgumentException("--threads " + threads + ": expected an integer >= 1");
        for (Path m : manifests) {
            OutputGuard.notAnInput("--out", out.resolve(m.getFileName()), OutputGuard.input("--manifest", m));
        }
        EvalProgress bar = new EvalProgress(System.err, "resize");
        ManifestResizer.Summary s = ManifestResizer.builder(shorterSide).threads(threads).imageKey(manifestOptions.imageKey())
                .separator(manifestOptions.separator())
                .progress((done, total, skipped) -> bar.update(skipped > 0 ? "images (" + skipped + " skipped)" : "images", done, total))
                .build().run(manifests, out);
        System.out.println(s.line());
        for (Path m : s.manifests()) System.out.println(m);
        return 0;
    }
}
