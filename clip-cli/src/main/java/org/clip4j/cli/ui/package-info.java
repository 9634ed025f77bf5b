/**
 * The training dashboard behind {@code clip train --ui} and {@code clip ui}: a small web server on the JDK's
 * {@code com.sun.net.httpserver} that follows the {@code metrics.jsonl} of one or more run folders and pushes
 * new lines to the browser as server-sent events; the page draws them with uPlot (served from its WebJar, so it
 * works offline).
 *
 * <p>The server only reads files the trainer already writes, on its own threads: the training loop never
 * waits for it, whatever the browsers do.
 */
package org.clip4j.cli.ui;
