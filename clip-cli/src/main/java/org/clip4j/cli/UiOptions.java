package org.clip4j.cli;

import org.clip4j.cli.ui.Dashboard;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;

/** Where the training dashboard listens: {@code --ui-port} and {@code --ui-host}, shared by {@code train} and {@code ui}. */
final class UiOptions {
    @Option(names = "--ui-port", paramLabel = "N", defaultValue = "" + Dashboard.DEFAULT_PORT,
            description = "Dashboard port (default ${DEFAULT-VALUE}; 0: any free port).")
    private int port;

    @Option(names = "--ui-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = {"Address the dashboard listens on (default ${DEFAULT-VALUE}: this machine",
                    "only). Any other lets other machines read it, without a password."})
    private String host;

    /** The {@code --ui-port} (0: any free port). */
    int port() {
        return port;
    }

    /** The {@code --ui-host} address, as given. */
    String host() {
        return host;
    }

    /** Starts the dashboard of {@code runs}, printing its address (and a warning if it is reachable from outside). */
    Dashboard start(List<Path> runs, PrintStream out, PrintStream err) {
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--ui-host " + host + ": unknown host");
        }
        if (!loopback) {
            err.println("clip: warning: --ui-host " + host + ": the dashboard is open to other machines, without a "
                    + "password; it shows the run's folders and configuration");
        }
        Dashboard d = Dashboard.start(runs, host, port);
        out.println("dashboard: " + d.url());
        out.flush();
        return d;
    }
}
