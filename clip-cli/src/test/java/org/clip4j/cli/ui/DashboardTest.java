package org.clip4j.cli.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The dashboard's server without a browser: assets, state, events, a stuck client, a taken port. */
class DashboardTest {
    @TempDir
    Path tmp;

    private static String get(URI u, String path) throws Exception {
        HttpURLConnection c = (HttpURLConnection) u.resolve(path).toURL().openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(60_000);
        int code = c.getResponseCode();
        try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
            return code + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The status line of GET / with this Host header (HttpURLConnection will not send another Host). */
    private static String rawStatusLine(URI u, String host) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), u.getPort())) {
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    private static Path run(Path dir, int steps) throws Exception {
        Files.createDirectories(dir);
        StringBuilder b = new StringBuilder();
        for (int s = 1; s <= steps; s++) {
            b.append("{\"step\":").append(s).append(",\"loss\":").append(4.0 - s * 1e-5)
                    .append(",\"lr\":0.001,\"logit_scale\":14.28,\"samples_per_s\":100.0,\"data_wait_s\":0.0}\n");
        }
        Files.writeString(dir.resolve("metrics.jsonl"), b);
        return dir;
    }

    @Test
    void servesThePageUplotAndTheRunsState() throws Exception {
        Path a = run(tmp.resolve("a"), 3), b = run(tmp.resolve("other").resolve("a"), 2);
        try (Dashboard d = Dashboard.start(List.of(a, b), "127.0.0.1", 0)) {
            URI u = d.url();
            assertTrue(u.toString().startsWith("http://127.0.0.1:"), u.toString());
            assertTrue(get(u, "/").contains("<script src=\"vendor/uPlot.iife.min.js\"></script>"));
            assertTrue(get(u, "/vendor/uPlot.iife.min.js").startsWith("200 "));
            assertTrue(get(u, "/dashboard.js").startsWith("200 "));
            assertTrue(get(u, "/nothing").startsWith("404 "));
            assertEquals("HTTP/1.1 403 Forbidden", rawStatusLine(u, "evil.example"), "DNS rebinding: other host names are refused");
            assertEquals("HTTP/1.1 200 OK", rawStatusLine(u, "localhost:" + u.getPort()));
            String state = get(u, "/api/state");
            JsonNode n = new ObjectMapper().readTree(state.substring(4));
            // two folders named "a": the parent tells them apart
            assertEquals(tmp.getFileName() + "/a", n.at("/runs/0/name").asText());
            assertEquals("other/a", n.at("/runs/1/name").asText());
            assertEquals(3, n.at("/runs/0/records").size());
            assertEquals(2, n.at("/runs/1/records").size());
            assertEquals(3.99998, n.at("/runs/0/records/1/loss").asDouble(), 0);
        }
    }

    /**
     * A browser that opens the event stream and never reads fills the socket buffers and blocks its thread for
     * good; the watcher and other browsers carry on, and appended steps still reach them.
     */
    @Test
    void aClientThatNeverReadsBlocksOnlyItself() throws Exception {
        Path a = run(tmp.resolve("a"), 40_000); // about 4 MB of events: more than any socket buffers hold
        try (Dashboard d = Dashboard.start(List.of(a), "127.0.0.1", 0);
             Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), d.url().getPort()));
            OutputStream out = stuck.getOutputStream();
            out.write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Files.writeString(a.resolve("metrics.jsonl"), "{\"step\":40001,\"loss\":1.5}\n", StandardOpenOption.APPEND);
            // another page's stream gets every record, the appended one included
            HttpURLConnection c = (HttpURLConnection) d.url().resolve("/events").toURL().openConnection();
            c.setReadTimeout(60_000);
            int records = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                ObjectMapper json = new ObjectMapper();
                for (String line; records < 40_001 && (line = r.readLine()) != null; ) {
                    if (line.startsWith("data: {\"id\":0,\"from\":")) {
                        JsonNode n = json.readTree(line.substring(6));
                        assertEquals(records, n.get("from").asInt());
                        records += n.get("records").size();
                        if (records == 40_001) assertEquals(1.5, n.at("/records/" + (n.get("records").size() - 1) + "/loss").asDouble());
                    }
                }
            } finally {
                c.disconnect();
            }
            assertEquals(40_001, records);
        }
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        Path a = run(tmp.resolve("a"), 1);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            ClipException e = assertThrows(ClipException.class,
                    () -> Dashboard.start(List.of(a), "127.0.0.1", taken.getLocalPort()));
            assertTrue(e.getMessage().startsWith("--ui-port " + taken.getLocalPort() + ": cannot listen on 127.0.0.1:"
                    + taken.getLocalPort()), e.getMessage());
        }
    }
}
