package org.clip4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The option mixins ({@link ModelOption}, {@link EvalBatch}, {@link EvalOutput}, {@link OutputFile},
 * {@link ManifestOptions}, {@link CaptionKeyOption}, {@link UiOptions}): every command that carries one reads the
 * option the same way and reports a bad value naming the flag.
 */
class SharedOptionsTest {
    @TempDir
    Path tmp;

    private static CommandSpec command(String... path) {
        CommandLine cl = new CommandLine(new ClipCommand());
        for (String p : path) cl = cl.getSubcommands().get(p);
        return cl.getCommandSpec();
    }

    @Test
    void theCommandsThatLoadAModelAllTakeARequiredModelAndAConfig() {
        List<String[]> loaders = List.of(new String[]{"embed"}, new String[]{"zeroshot"}, new String[]{"convert"},
                new String[]{"eval", "zeroshot"}, new String[]{"eval", "retrieval"});
        for (String[] c : loaders) {
            CommandSpec s = command(c);
            OptionSpec model = s.findOption("--model");
            assertTrue(model.required(), String.join(" ", c));
            assertEquals("PATH", model.paramLabel());
            assertNotNull(s.findOption("--config"), String.join(" ", c));
        }
        // linear-probe: --model is optional there (feature files are the alternative), --config still applies
        assertFalse(command("eval", "linear-probe").findOption("--model").required());
        assertNotNull(command("eval", "linear-probe").findOption("--config"));
    }

    @Test
    void aBatchBelowOneIsAUsageErrorNamingTheFlagInEveryEvalCommand() throws IOException {
        Path model = Files.writeString(tmp.resolve("m.safetensors"), "not read: the batch is checked first");
        for (String c : new String[]{"zeroshot", "retrieval", "linear-probe"}) {
            CliRun r = CliRun.of("eval", c, "--model", model.toString(), "--dataset", "csv:nothing.csv", "--batch", "0");
            assertEquals(2, r.exit, c + ": " + r.err());
            assertTrue(r.err().contains("clip: usage error: --batch 0: expected at least 1"), c + ": " + r.err());
        }
    }

    @Test
    void anEvalOutputFolderIsCheckedAgainstTheModelBeforeAnyWork() throws IOException {
        Path model = Files.writeString(tmp.resolve("m.safetensors"), "not read");
        for (String c : new String[]{"zeroshot", "retrieval", "linear-probe"}) {
            CliRun r = CliRun.of("eval", c, "--model", model.toString(), "--dataset", "csv:nothing.csv", "--out", model.toString());
            assertEquals(1, r.exit, c + ": " + r.err());
            assertTrue(r.err().contains("--out " + model + " is the input --model " + model), c + ": " + r.err());
        }
        Path blocked = Files.writeString(tmp.resolve("file"), "a file where the folder should go");
        CliRun r = CliRun.of("eval", "zeroshot", "--model", model.toString(), "--dataset", "csv:nothing.csv",
                "--out", blocked.resolve("report").toString());
        assertEquals(1, r.exit);
        assertTrue(r.err().contains("--out " + blocked.resolve("report") + ": cannot write there"), r.err());
    }

    @Test
    void theManifestSeparatorIsOneCharacterOrTab() {
        assertNull(parse().separator(), "default: by the manifest's extension");
        assertEquals('\t', parse("--csv-separator", "tab").separator());
        assertEquals('\t', parse("--csv-separator", "TAB").separator());
        assertEquals('\t', parse("--csv-separator", "\\t").separator());
        assertEquals(';', parse("--csv-separator", ";").separator());
        assertEquals("filepath", parse().imageKey());
        assertEquals("image", parse("--csv-img-key", "image").imageKey());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--csv-separator", ";;").separator());
        assertEquals("--csv-separator ';;': expected one character", e.getMessage());
    }

    @Test
    void aBadSeparatorEndsDataCommandsWithAnErrorNamingTheFlag() throws IOException {
        Path m = Files.writeString(tmp.resolve("m.tsv"), "filepath\ttitle\n");
        CliRun shard = CliRun.of("data", "shard", "--manifest", m.toString(), "--out", tmp.resolve("s").toString(),
                "--csv-separator", "ab");
        assertEquals(1, shard.exit);
        assertEquals("clip: error: --csv-separator 'ab': expected one character", shard.err());
        CliRun resize = CliRun.of("data", "resize", "--manifest", m.toString(), "--out", tmp.resolve("r").toString(),
                "--shorter-side", "8", "--csv-separator", "ab");
        assertEquals(1, resize.exit);
        assertEquals("clip: error: --csv-separator 'ab': expected one character", resize.err());
    }

    @Test
    void theCaptionColumnDefaultsToTitle() {
        CaptionKeyOption o = new CaptionKeyOption();
        new CommandLine(o).parseArgs();
        assertEquals("title", o.captionKey());
        new CommandLine(o).parseArgs("--csv-caption-key", "text");
        assertEquals("text", o.captionKey());
    }

    private static ManifestOptions parse(String... args) {
        ManifestOptions o = new ManifestOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }
}
