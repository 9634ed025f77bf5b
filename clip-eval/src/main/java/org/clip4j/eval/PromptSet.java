package org.clip4j.eval;

import org.clip4j.core.ClipException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Class names and prompt templates ({@code "a photo of a {}."}) for zero-shot classification. Built-in sets come
 * from the CLIP paper's prompt data (openai/CLIP, MIT licence): {@code imagenet1k} (the curated class names and
 * the 80 templates), {@code imagenet1k-7} templates (the 7-template subset the paper's notebook recommends),
 * {@code cifar10}, {@code cifar100}; and {@code fashion-mnist} (the dataset's class names with templates chosen
 * here) and {@code openclipart} (a readable name per category of Debian's Open Clip Art packages, in the order of
 * {@code ManifestDataset.OPENCLIPART_CATEGORIES}, with 8 drawing/clip-art templates chosen here).
 */
public record PromptSet(String name, List<String> classes, List<String> templates) {
    public PromptSet {
        classes = List.copyOf(classes);
        templates = List.copyOf(templates);
        if (classes.isEmpty()) throw new ClipException("prompt set '" + name + "': no class names");
        if (templates.isEmpty()) throw new ClipException("prompt set '" + name + "': no templates");
        for (String t : templates) {
            if (!t.contains("{}")) throw new ClipException("prompt set '" + name + "': template '" + t + "' has no {} placeholder");
        }
    }

    /** The single template of the CLIP README examples. */
    public static final String PHOTO_OF = "a photo of a {}.";

    /** Names of the built-in sets. */
    public static List<String> builtinNames() {
        return List.of("imagenet1k", "cifar10", "cifar100", "fashion-mnist", "openclipart");
    }

    /** A built-in set by name (see the class comment). */
    public static PromptSet builtin(String name) {
        if (!builtinNames().contains(name)) {
            throw new ClipException("no built-in prompt set '" + name + "'; available: " + builtinNames());
        }
        return new PromptSet(name, resource(name + ".classes.txt"), resource(name + ".templates.txt"));
    }

    /** Built-in templates: {@code imagenet1k} (80), {@code imagenet1k-7}, {@code cifar10}, ... or {@code photo} (one). */
    public static List<String> builtinTemplates(String name) {
        if (name.equals("photo")) return List.of(PHOTO_OF);
        return resource(name + ".templates.txt");
    }

    /** This set's classes with other templates. */
    public PromptSet withTemplates(List<String> t) {
        return new PromptSet(name, classes, t);
    }

    /** One non-empty line per entry (UTF-8), e.g. a class-name or template file. */
    public static List<String> readLines(Path file) {
        try {
            List<String> out = new ArrayList<>();
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) if (!l.isBlank()) out.add(l.strip());
            if (out.isEmpty()) throw new ClipException(file + ": no entries (one per line expected)");
            return out;
        } catch (IOException e) {
            throw new ClipException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** The prompt of {@code template} for {@code className}. */
    public static String prompt(String template, String className) {
        return template.replace("{}", className);
    }

    private static List<String> resource(String file) {
        try (InputStream in = PromptSet.class.getResourceAsStream("prompts/" + file)) {
            if (in == null) throw new ClipException("no built-in prompt file " + file);
            List<String> out = new ArrayList<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) if (!l.isBlank()) out.add(l);
            return out;
        } catch (IOException e) {
            throw new ClipException("cannot read built-in prompt file " + file, e);
        }
    }
}
