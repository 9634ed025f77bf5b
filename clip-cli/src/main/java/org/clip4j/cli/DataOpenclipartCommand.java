package org.clip4j.cli;

import org.clip4j.train.data.openclipart.OpenClipartImporter;
import org.clip4j.train.data.openclipart.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code clip data openclipart}: Debian's Open Clip Art Library packages as train/val/test manifests. */
@Command(name = "openclipart", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Builds train.tsv, val.tsv and test.tsv (columns filepath, title, category) from Debian's",
                "openclipart-png and openclipart-svg packages: the caption is the SVG's title and keywords,",
                "the category its top folder; the split (80/10/10) hashes the file's relative path."})
final class DataOpenclipartCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder for the manifests (created).")
    Path out;

    @Option(names = "--png-dir", paramLabel = "DIR", description = "PNG renderings (default ${DEFAULT-VALUE}).")
    Path pngDir = OpenClipartImporter.DEFAULT_PNG_DIR;

    @Option(names = "--svg-dir", paramLabel = "DIR", description = "SVG drawings (default ${DEFAULT-VALUE}).")
    Path svgDir = OpenClipartImporter.DEFAULT_SVG_DIR;

    @Override
    public Integer call() {
        OpenClipartImporter.Summary s = OpenClipartImporter.run(pngDir, svgDir, out);
        System.out.println(s.line());
        for (Split split : Split.values()) System.out.println(out.resolve(split.fileName()));
        System.out.println("categories: " + s.categories());
        return 0;
    }
}
