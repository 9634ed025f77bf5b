package org.clip4j.train.data.openclipart;

import org.clip4j.core.ClipException;
import org.clip4j.train.data.CsvManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class OpenClipartImporterTest {
    @TempDir
    Path tmp;

    private static final String RDF_SVG = """
            <?xml version="1.0" encoding="UTF-8" standalone="no"?>
            <!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 20010904//EN" "http://www.w3.org/TR/2001/REC-SVG-20010904/DTD/svg10.dtd">
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
                 xmlns:cc="http://web.resource.org/cc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
              <metadata><rdf:RDF><cc:Work rdf:about="">
                <dc:title>%s</dc:title>
                <dc:subject><rdf:Bag>%s</rdf:Bag></dc:subject>
                <dc:creator><cc:Agent><dc:title>Some Artist</dc:title></cc:Agent></dc:creator>
              </cc:Work></rdf:RDF></metadata>
              <path d="M 0 0 L 1 1"/>
            </svg>
            """;

    private static String rdf(String title, String... keywords) {
        StringBuilder li = new StringBuilder();
        for (String k : keywords) li.append("<rdf:li>").append(k).append("</rdf:li>");
        return String.format(RDF_SVG, title, li);
    }

    /** Illustrator style: the namespace comes from an entity declared in the internal DTD subset; an SVG title. */
    private static final String ENTITY_SVG = """
            <?xml version="1.0" encoding="iso-8859-1"?>
            <!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.0//EN" "http://www.w3.org/TR/2001/REC-SVG-20010904/DTD/svg10.dtd" [
              <!ENTITY ns_svg "http://www.w3.org/2000/svg">
            ]>
            <svg xmlns="&ns_svg;"><title>Red
              star</title><g/></svg>
            """;

    private void png(String rel, int rgb) throws IOException {
        Path p = tmp.resolve("png").resolve(rel);
        Files.createDirectories(p.getParent());
        BufferedImage img = new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB);
        img.setRGB(1, 1, rgb);
        ImageIO.write(img, "png", p.toFile());
    }

    private void svg(String rel, String text) throws IOException {
        Path p = tmp.resolve("svg").resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, rel.contains("star") ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    @Test
    void metadataFromRdfAndSvgTitles() {
        SvgMetadata m = SvgMetadata.parse(new ByteArrayInputStream(rdf("  Black\n cat ", "cat", "animal", "", "cat")
                .getBytes(StandardCharsets.UTF_8)), "x.svg");
        assertEquals("Black cat", m.title(), "the work's title, not the creator's");
        assertEquals(List.of("cat", "animal"), m.keywords());
        assertEquals("Black cat: cat, animal", OpenClipartImporter.caption(m));
        SvgMetadata e = SvgMetadata.parse(new ByteArrayInputStream(ENTITY_SVG.getBytes(StandardCharsets.ISO_8859_1)), "y.svg");
        assertEquals(new SvgMetadata("Red star", List.of()), e);
        assertEquals("bat: mammal", OpenClipartImporter.caption(new SvgMetadata("bat", List.of("Bat", "mammal"))));
        assertEquals("a, b", OpenClipartImporter.caption(new SvgMetadata("", List.of("a", "b"))));
        ClipException bad = assertThrows(ClipException.class,
                () -> SvgMetadata.parse(new ByteArrayInputStream("<svg><title>x".getBytes(StandardCharsets.UTF_8)), "z.svg"));
        assertTrue(bad.getMessage().startsWith("z.svg: not a readable SVG"), bad.getMessage());
    }

    @Test
    void importWritesSplitManifestsWithCategories() throws IOException {
        png("animals/cat_01.png", 0xff0000);
        svg("animals/cat_01.svg", rdf("Black cat", "cat", "animal"));
        png("animals/birds/owl.png", 0x00ff00);
        svg("animals/birds/owl.svg", rdf("Owl \"Hoot\"", "bird"));
        png("shapes/star.png", 0x0000ff);
        svg("shapes/star.svg", ENTITY_SVG);
        png("shapes/no_svg.png", 0x111111);
        png("shapes/untitled.png", 0x222222);
        svg("shapes/untitled.svg", rdf(""));
        png("shapes/broken.png", 0x333333);
        svg("shapes/broken.svg", "<svg><title>broken");
        Files.createDirectories(tmp.resolve("png/science"));
        Files.createSymbolicLink(tmp.resolve("png/science/cat_01.png"), Path.of("../animals/cat_01.png"));

        Path out = tmp.resolve("out");
        OpenClipartImporter.Summary s = OpenClipartImporter.run(tmp.resolve("png"), tmp.resolve("svg"), out);
        assertEquals(3, s.total());
        assertEquals(Map.of("animals", 2L, "shapes", 1L), s.categories());
        assertEquals(1, s.duplicates());
        assertEquals(1, s.noSvg());
        assertEquals(1, s.badSvg());
        assertEquals(1, s.untitled());
        assertTrue(s.line().startsWith("3 pairs: train "), s.line());

        // every pair lands in the split its relative path hashes to, with its caption and category
        Map<String, String[]> expected = Map.of(
                "animals/cat_01.png", new String[]{"Black cat: cat, animal", "animals"},
                "animals/birds/owl.png", new String[]{"Owl \"Hoot\": bird", "animals"},
                "shapes/star.png", new String[]{"Red star", "shapes"});
        int found = 0;
        for (Split split : Split.values()) {
            Path tsv = out.resolve(split.fileName());
            assertTrue(Files.isRegularFile(tsv), tsv + " written even when empty");
            CsvManifest m = CsvManifest.read(tsv);
            List<String> cats = CsvManifest.column(tsv, "category", null);
            assertEquals(m.size(), cats.size());
            assertEquals(s.perSplit().get(split), m.size());
            for (int i = 0; i < m.size(); i++) {
                Path img = m.imagePath(i);
                assertTrue(img.isAbsolute() && Files.isRegularFile(img), img.toString());
                String rel = tmp.resolve("png").toRealPath().relativize(img).toString();
                assertEquals(split, Split.of(rel), rel);
                assertArrayEquals(expected.get(rel), new String[]{m.caption(i), cats.get(i)}, rel);
                found++;
            }
        }
        assertEquals(3, found);
        ClipException e = assertThrows(ClipException.class, () -> CsvManifest.column(out.resolve("train.tsv"), "label", null));
        assertTrue(e.getMessage().contains("lacks column 'label'"), e.getMessage());
    }

    @Test
    void splitIsStableAndEightyTenTen() {
        assertEquals(Split.of("animals/cat_01.png"), Split.of("animals/cat_01.png"));
        int[] n = new int[3];
        for (int i = 0; i < 20_000; i++) n[Split.of("category/file_" + i + ".png").ordinal()]++;
        assertEquals(0.8, n[0] / 20_000.0, 0.015);
        assertEquals(0.1, n[1] / 20_000.0, 0.01);
        assertEquals(0.1, n[2] / 20_000.0, 0.01);
    }

    @Test
    void missingPackagesSayWhatToInstall() {
        ClipException e = assertThrows(ClipException.class,
                () -> OpenClipartImporter.run(tmp.resolve("nope/png"), tmp.resolve("nope/svg"), tmp.resolve("out")));
        assertTrue(e.getMessage().contains("apt-get install openclipart-png openclipart-svg"), e.getMessage());
        assertTrue(e.getMessage().startsWith(tmp.resolve("nope/png").toString()), e.getMessage());
    }
}
