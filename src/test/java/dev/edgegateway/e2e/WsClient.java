package dev.edgegateway.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A WebSocket client (the JDK's) that sends text and waits for the echo. */
final class WsClient implements AutoCloseable {
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final WebSocket ws;
    volatile boolean closed;

    WsClient(HttpClient client, int port, String session) throws Exception {
        ws = client.newWebSocketBuilder()
                .header("x-session", session)
                .connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            received.add(text.toString());
                            text.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                        closed = true;
                        received.add("<closed>");
                        return null;
                    }

                    @Override
                    public void onError(WebSocket w, Throwable error) {
                        closed = true;
                        received.add("<closed>");
                    }
                }).get(10, TimeUnit.SECONDS);
    }

    /** Sends {@code text}; the echo, or {@code <closed>}, or null after 10 s. */
    String echo(String text) throws Exception {
        ws.sendText(text, true).get(10, TimeUnit.SECONDS);
        return received.poll(10, TimeUnit.SECONDS);
    }

    /** Waits up to {@code millis} for the session to end. */
    boolean awaitClosed(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!closed && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return closed;
    }

    @Override
    public void close() {
        ws.abort();
    }
}
