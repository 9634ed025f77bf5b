package org.clip4j.examples;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** clip-bom names every installed module of the build (all but itself and {@code examples}), with the build's version. */
class BomTest {
    private final Path root = Path.of(System.getProperty("clip4j.notebooks.dir", ".")).toAbsolutePath().getParent();

    @Test
    void bomListsEveryLibraryModule() throws Exception {
        Document parent = read(root.resolve("pom.xml"));
        Set<String> modules = new TreeSet<>();
        for (String m : texts(parent.getDocumentElement(), "modules", "module")) {
            String artifact = child(read(root.resolve(m).resolve("pom.xml")).getDocumentElement(), "artifactId").getTextContent().strip();
            if (!artifact.equals("clip-bom") && !artifact.equals("examples")) modules.add(artifact);
        }
        assertTrue(modules.contains("clip-core") && modules.size() >= 5, modules.toString());

        Element bom = read(root.resolve("clip-bom").resolve("pom.xml")).getDocumentElement();
        String version = child(parent.getDocumentElement(), "version").getTextContent().strip();
        assertEquals(version, child(bom, "version").getTextContent().strip(), "clip-bom's version");
        Set<String> listed = new TreeSet<>();
        NodeList deps = child(child(bom, "dependencyManagement"), "dependencies").getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            assertEquals("org.clip4j", child(d, "groupId").getTextContent().strip());
            assertEquals("${project.version}", child(d, "version").getTextContent().strip());
            listed.add(child(d, "artifactId").getTextContent().strip());
        }
        assertEquals(modules, listed, "modules of " + root.resolve("pom.xml") + " vs clip-bom");
    }

    private static Document read(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    private static Element child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) return c;
        }
        throw new AssertionError("<" + e.getTagName() + "> has no <" + name + ">");
    }

    private static List<String> texts(Element e, String list, String item) {
        List<String> out = new ArrayList<>();
        NodeList items = child(e, list).getElementsByTagName(item);
        for (int i = 0; i < items.getLength(); i++) out.add(items.item(i).getTextContent().strip());
        return out;
    }
}
