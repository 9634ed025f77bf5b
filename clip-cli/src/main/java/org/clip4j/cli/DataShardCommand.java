package org.clip4j.cli;

import org.clip4j.train.data.CsvManifest;
import org.clip4j.train.data.wds.ShardWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code clip data shard}: a manifest's pairs as WebDataset tar shards plus sizes.json. */
@Command(name = "shard", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes the pairs of a CSV/TSV manifest, in order, as WebDataset shards 000000.tar,",
                "000001.tar, ... (members KEY.jpg|png|jpeg|webp with the original bytes, KEY.txt, KEY.json)",
                "and sizes.json; 'clip train --data DIR/{000000..000009}.tar' reads them. Rows whose",
                "image is missing or not JPEG/PNG/WebP by extension are skipped and counted."})
final class DataShardCommand implements Callable<Integer> {
    @Option(names = "--manifest", paramLabel = "M.tsv", required = true, description = "The manifest (paths relative to it or absolute).")
    Path manifest;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder for the shards (created).")
    Path out;

    @Option(names = "--samples-per-shard", paramLabel = "N", defaultValue = "10000", description = "Default ${DEFAULT-VALUE}.")
    int perShard;

    @Mixin
    ManifestOptions manifestOptions = new ManifestOptions();

    @Mixin
    CaptionKeyOption captionKey = new CaptionKeyOption();

    @Override
    public Integer call() {
        if (perShard < 1) throw new IllegalArgumentException("--samples-per-shard " + perShard + ": expected an integer >= 1");
        OutputGuard.notAnInput("--out", out, OutputGuard.input("--manifest", manifest));
        CsvManifest m = CsvManifest.read(manifest, manifestOptions.imageKey(), captionKey.captionKey(), manifestOptions.separator());
        ShardWriter.Summary s = ShardWriter.write(m, out, perShard);
        System.out.printf(Locale.ROOT, "wrote %d pairs in %d shard%s to %s (%d skipped)%n", s.samples(), s.shards().size(),
                s.shards().size() == 1 ? "" : "s", out, s.skipped());
        if (!s.shards().isEmpty()) {
            System.out.printf(Locale.ROOT, "train with: --data '%s'%n", out.resolve(s.shards().size() == 1 ? "000000.tar"
                    : String.format(Locale.ROOT, "{000000..%06d}.tar", s.shards().size() - 1)));
        }
        return 0;
    }
}
