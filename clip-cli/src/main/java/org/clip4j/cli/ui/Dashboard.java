package org.clip4j.cli.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.clip4j.core.ClipException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dashboard's web server. One watcher thread polls the run folders twice a second; each browser holds one
 * server-sent-event stream ({@code /events}) on its own thread, which sends what that browser has not seen
 * yet. A browser that stops reading only blocks its own thread; the trainer is never involved.
 *
 * <p>Routes: {@code /} the page, {@code /dashboard.js}, {@code /dashboard.css}, {@code /vendor/uPlot.*}
 * (from the uPlot WebJar), {@code /events} the stream, {@code /api/state} everything as one JSON document.
 */
public final class Dashboard implements AutoCloseable {
    /** Default port of {@code --ui-port}. */
    public static final int DEFAULT_PORT = 8700;
    /** Most event streams served at once; more get 503 (each holds a thread). */
    static final int MAX_STREAMS = 32;
    private static final long POLL_MILLIS = 500, KEEPALIVE_MILLIS = 15_000;
    /** Records per event: a long finished run reaches a new browser in pieces of this size. */
    private static final int RECORDS_PER_EVENT = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<RunFollower> runs;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Thread watcher;
    private final boolean loopback;
    private final Object changed = new Object();
    private final AtomicInteger streams = new AtomicInteger();
    private final Map<String, byte[]> assets = new HashMap<>();
    private long changes;
    private volatile boolean closed;

    private Dashboard(List<RunFollower> runs, HttpServer server, boolean loopback) {
        this.runs = runs;
        this.server = server;
        this.loopback = loopback;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "clip-ui-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        this.watcher = new Thread(this::watch, "clip-ui-watcher");
        watcher.setDaemon(true);
    }

    /**
     * Starts a dashboard of the given run folders on {@code host:port} (port 0: any free port).
     *
     * @throws ClipException if the port is taken or the host cannot be bound, with a message saying so
     */
    public static Dashboard start(List<Path> runDirs, String host, int port) {
        if (runDirs.isEmpty()) throw new IllegalArgumentException("no run folder given");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--ui-port " + port + ": expected 0-65535");
        InetAddress addr;
        try {
            addr = InetAddress.getByName(host);
        } catch (IOException e) {
            throw new ClipException("--ui-host " + host + ": unknown host");
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(addr, port), 64);
        } catch (BindException e) {
            throw new ClipException("--ui-port " + port + ": cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "; is another dashboard running?); choose another port, or 0 for any free one");
        } catch (IOException e) {
            throw new ClipException("cannot start the dashboard on " + host + ":" + port + ": " + e.getMessage());
        }
        Dashboard d = new Dashboard(followers(runDirs), server, addr.isLoopbackAddress());
        d.runs.forEach(RunFollower::poll);
        d.watcher.start();
        server.start();
        return d;
    }

    /** One follower per folder, named by the folder; equal names get their parent folders prefixed. */
    static List<RunFollower> followers(List<Path> dirs) {
        List<Path> abs = dirs.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        List<RunFollower> out = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Path p : abs) {
            String name = p.getFileName() == null ? p.toString() : p.getFileName().toString();
            long same = abs.stream().filter(q -> q.getFileName() != null && q.getFileName().toString().equals(p.getFileName() == null ? "" : p.getFileName().toString())).count();
            if (same > 1 && p.getParent() != null && p.getParent().getFileName() != null) {
                name = p.getParent().getFileName() + "/" + name;
            }
            String unique = name;
            for (int k = 2; !used.add(unique); k++) unique = name + " (" + k + ")";
            out.add(new RunFollower(p, unique));
        }
        return out;
    }

    /** The address browsers open, e.g. {@code http://127.0.0.1:8700/}. */
    public URI url() {
        InetSocketAddress a = server.getAddress();
        InetAddress ip = a.getAddress();
        String host = ip.isAnyLocalAddress() ? "localhost" : ip.getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    /** The runs shown. */
    public List<RunFollower> runs() {
        return runs;
    }

    private void watch() {
        while (!closed) {
            boolean any = false;
            for (RunFollower r : runs) any |= r.poll();
            if (any) {
                synchronized (changed) {
                    changes++;
                    changed.notifyAll();
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (loopback && !loopbackHost(ex.getRequestHeaders().getFirst("Host"))) {
                // bound to loopback: refuse pages reached through another name (DNS rebinding)
                send(ex, 403, "text/plain", "forbidden host\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                send(ex, 405, "text/plain", "GET only\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = ex.getRequestURI().getPath();
            switch (path) {
                case "/", "/index.html" -> asset(ex, "index.html", "text/html; charset=utf-8");
                case "/dashboard.js" -> asset(ex, "dashboard.js", "text/javascript; charset=utf-8");
                case "/dashboard.css" -> asset(ex, "dashboard.css", "text/css; charset=utf-8");
                case "/vendor/uPlot.iife.min.js" -> webjar(ex, "dist/uPlot.iife.min.js", "text/javascript; charset=utf-8");
                case "/vendor/uPlot.min.css" -> webjar(ex, "dist/uPlot.min.css", "text/css; charset=utf-8");
                case "/vendor/uPlot.LICENSE" -> webjar(ex, "LICENSE", "text/plain; charset=utf-8");
                case "/api/state" -> send(ex, 200, "application/json", JSON.writeValueAsBytes(state()));
                case "/events" -> events(ex);
                default -> send(ex, 404, "text/plain", ("no such page: " + path + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the browser went away
        }
    }

    private static boolean loopbackHost(String host) {
        if (host == null) return true; // HTTP/1.0 clients
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) h = h.substring(0, h.indexOf(']') + 1);
        else if (h.contains(":")) h = h.substring(0, h.indexOf(':'));
        return h.equals("localhost") || h.equals("[::1]") || h.matches("127\\.\\d+\\.\\d+\\.\\d+");
    }

    private ObjectNode state() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray("runs");
        for (int i = 0; i < runs.size(); i++) {
            RunFollower.Slice s = runs.get(i).since(-1, 0);
            ObjectNode r = runInfo(i, s);
            ArrayNode recs = r.putArray("records");
            for (String rec : s.records()) recs.add(readTree(rec));
            a.add(r);
        }
        return root;
    }

    private ObjectNode runInfo(int id, RunFollower.Slice s) {
        RunFollower r = runs.get(id);
        ObjectNode n = JSON.createObjectNode();
        n.put("id", id);
        n.put("name", r.name());
        n.put("dir", r.dir().toString());
        n.put("generation", s.generation());
        n.put("checkpoint", r.checkpointName());
        n.set("trainer", s.trainerJson() == null ? null : readTree(s.trainerJson()));
        ArrayNode p = n.putArray("problems");
        s.problems().forEach(p::add);
        return n;
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("RunFollower keeps only valid JSON", e);
        }
    }

    /** The event stream of one browser: runs, then records as they come; returns when the browser leaves. */
    private void events(HttpExchange ex) throws IOException {
        if (streams.incrementAndGet() > MAX_STREAMS) {
            streams.decrementAndGet();
            send(ex, 503, "text/plain", "too many dashboard pages open\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            int n = runs.size();
            int[] generation = new int[n], sent = new int[n];
            String[] trainer = new String[n];
            int[] problems = new int[n];
            java.util.Arrays.fill(generation, -1);
            long lastWrite = System.nanoTime();
            while (!closed) {
                long seen;
                synchronized (changed) {
                    seen = changes;
                }
                boolean wrote = false;
                for (int i = 0; i < n; i++) {
                    RunFollower.Slice s = runs.get(i).since(generation[i], sent[i]);
                    if (s.generation() != generation[i] || !java.util.Objects.equals(s.trainerJson(), trainer[i])
                            || s.problems().size() != problems[i]) {
                        event(out, "run", JSON.writeValueAsString(runInfo(i, s)));
                        generation[i] = s.generation();
                        trainer[i] = s.trainerJson();
                        problems[i] = s.problems().size();
                        wrote = true;
                    }
                    for (int a = 0; a < s.records().size(); a += RECORDS_PER_EVENT) {
                        List<String> part = s.records().subList(a, Math.min(s.records().size(), a + RECORDS_PER_EVENT));
                        event(out, "records", "{\"id\":" + i + ",\"from\":" + (s.from() + a) + ",\"records\":["
                                + String.join(",", part) + "]}");
                        wrote = true;
                    }
                    sent[i] = s.from() + s.records().size();
                }
                if (!wrote && System.nanoTime() - lastWrite > KEEPALIVE_MILLIS * 1_000_000L) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII)); // finds browsers that left
                    wrote = true;
                }
                if (wrote) {
                    out.flush();
                    lastWrite = System.nanoTime();
                }
                synchronized (changed) {
                    if (changes == seen) {
                        try {
                            changed.wait(KEEPALIVE_MILLIS);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }
        } finally {
            streams.decrementAndGet();
        }
    }

    private static void event(OutputStream out, String type, String json) throws IOException {
        out.write(("event: " + type + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private void asset(HttpExchange ex, String name, String type) throws IOException {
        send(ex, 200, type, load("/org/clip4j/cli/ui/" + name));
    }

    private void webjar(HttpExchange ex, String file, String type) throws IOException {
        send(ex, 200, type, load("/META-INF/resources/webjars/uplot/" + uplotVersion() + "/" + file));
    }

    /** The uPlot version on the class path, from its WebJar's Maven properties. */
    static String uplotVersion() {
        try (InputStream in = Dashboard.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
            if (in == null) throw new IllegalStateException("the uPlot WebJar (org.webjars.npm:uplot) is not on the class path");
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the uPlot WebJar's version", e);
        }
    }

    private byte[] load(String resource) throws IOException {
        synchronized (assets) {
            byte[] b = assets.get(resource);
            if (b == null) {
                try (InputStream in = Dashboard.class.getResourceAsStream(resource)) {
                    if (in == null) throw new IllegalStateException("missing resource " + resource);
                    b = in.readAllBytes();
                }
                assets.put(resource, b);
            }
            return b;
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) ex.getResponseBody().write(body);
    }

    /** Stops serving; open event streams are closed. */
    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        synchronized (changed) {
            changed.notifyAll();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}
