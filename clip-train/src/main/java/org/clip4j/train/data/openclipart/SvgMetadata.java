package org.clip4j.train.data.openclipart;

import org.clip4j.core.ClipException;

import javax.xml.XMLConstants;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The descriptive metadata of an SVG drawing as Open Clip Art Library files carry it: the title (the Dublin Core
 * {@code dc:title} of the RDF {@code cc:Work}, else the SVG {@code <title>} element) and the keywords (the
 * {@code rdf:li} items of {@code dc:subject}'s {@code rdf:Bag}, or its text split at commas). Whitespace is
 * collapsed to single spaces; empty values are dropped, repeated keywords kept once.
 *
 * <p>The parser never fetches anything: external DTDs and entities resolve to nothing, while entities declared
 * inside the file (as Illustrator writes them for namespaces) still expand.
 */
public record SvgMetadata(String title, List<String> keywords) {
    private static final String DC = "http://purl.org/dc/elements/1.1/";
    private static final XMLInputFactory XML = factory();

    private static XMLInputFactory factory() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLInputFactory.SUPPORT_DTD, true);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, true);
        f.setXMLResolver((publicId, systemId, base, ns) -> new ByteArrayInputStream(new byte[0]));
        try {
            f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        } catch (IllegalArgumentException ignored) {
            // not every StAX implementation knows the JAXP property; the resolver above still applies
        }
        return f;
    }

    /** Reads the metadata of {@code svg}; throws a {@link ClipException} naming the file when it is not XML. */
    public static SvgMetadata read(Path svg) {
        try (InputStream in = Files.newInputStream(svg)) {
            return parse(in, svg.toString());
        } catch (IOException e) {
            throw new ClipException(svg + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Parses an SVG document from {@code in}; {@code name} appears in error messages. */
    public static SvgMetadata parse(InputStream in, String name) {
        String workTitle = null, svgTitle = null;
        Set<String> keywords = new LinkedHashSet<>();
        Deque<String> path = new ArrayDeque<>(); // local names, innermost first
        XMLStreamReader r = null;
        try {
            r = XML.createXMLStreamReader(in);
            while (r.hasNext()) {
                int ev = r.next();
                if (ev == XMLStreamConstants.START_ELEMENT) {
                    String local = r.getLocalName(), ns = r.getNamespaceURI();
                    String parent = path.peek();
                    if (DC.equals(ns) && local.equals("title") && "Work".equals(parent) && workTitle == null) {
                        workTitle = clean(r.getElementText());
                        continue; // getElementText consumed the end tag
                    }
                    if (local.equals("title") && !DC.equals(ns) && "svg".equals(parent) && svgTitle == null) {
                        svgTitle = clean(r.getElementText());
                        continue;
                    }
                    if (DC.equals(ns) && local.equals("subject") && "Work".equals(parent)) {
                        path.push(local);
                        StringBuilder text = new StringBuilder();
                        boolean items = false;
                        int depth = 1;
                        while (depth > 0 && r.hasNext()) {
                            int e = r.next();
                            if (e == XMLStreamConstants.START_ELEMENT) {
                                depth++;
                                if (r.getLocalName().equals("li")) {
                                    items = true;
                                    String k = clean(r.getElementText());
                                    if (!k.isEmpty()) keywords.add(k);
                                    depth--;
                                }
                            } else if (e == XMLStreamConstants.END_ELEMENT) {
                                depth--;
                            } else if (e == XMLStreamConstants.CHARACTERS || e == XMLStreamConstants.CDATA) {
                                text.append(r.getText());
                            }
                        }
                        path.pop();
                        if (!items) {
                            for (String k : text.toString().split(",")) if (!clean(k).isEmpty()) keywords.add(clean(k));
                        }
                        continue;
                    }
                    path.push(local);
                } else if (ev == XMLStreamConstants.END_ELEMENT) {
                    String local = path.pop();
                    if (local.equals("metadata") && workTitle != null) break; // the drawing itself is of no interest
                }
            }
        } catch (XMLStreamException | RuntimeException e) {
            throw new ClipException(name + ": not a readable SVG (XML) file: " + e.getMessage(), e);
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // closing a reader of a file we are done with
                }
            }
        }
        String title = workTitle != null && !workTitle.isEmpty() ? workTitle : svgTitle != null ? svgTitle : "";
        return new SvgMetadata(title, List.copyOf(new ArrayList<>(keywords)));
    }

    private static String clean(String s) {
        return s.replaceAll("[\\s\\u00a0]+", " ").strip();
    }
}
