package org.clip4j.cli;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import picocli.CommandLine.Command;

import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code clip models}: the built-in OpenCLIP configs with parameter counts, image size and embedding size. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = {"Lists the built-in model configs (OpenCLIP names) with their trainable parameter",
                "counts (computed from the shapes), input image size, embedding size and towers."})
final class ModelsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println(String.format(Locale.ROOT, "%-24s %13s %6s %6s  %s", "name", "parameters", "image", "embed",
                "towers"));
        for (String name : ClipConfig.names()) {
            ClipConfig c = ClipConfig.builtin(name);
            System.out.println(line(name, c, ClipModel.parameterCount(c)));
        }
        return 0;
    }

    /** One table row; the count uses ',' as thousands separator whatever the locale. */
    static String line(String name, ClipConfig c, long params) {
        ClipConfig.Vision v = c.vision();
        String vision = v.isResNet()
                ? "ModifiedResNet " + v.layers() + " width " + v.width()
                : "ViT " + v.depth() + "x" + v.width() + " patch " + v.patchSize();
        String towers = vision + "; text " + c.text().layers() + "x" + c.text().width()
                + (c.quickGelu() ? "; QuickGELU" : "; GELU");
        return String.format(Locale.US, "%-24s %,13d %6d %6d  %s", name, params, v.imageSize(), c.embedDim(), towers);
    }
}
