package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.edgegateway.config.RuntimeConfig;
import io.netty.channel.uring.IoUring;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Naming io_uring warns, once per selection, with what it was seen to do and where that is written
 * down; {@code auto}, epoll and NIO select without a word.
 */
class TransportCautionTest {
    private final Logger logger = (Logger) org.slf4j.LoggerFactory.getLogger(Transport.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void capture() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
    }

    @Test
    void namingIoUringWarnsWhatItWasSeenToDo() {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        assertThat(Transport.select(RuntimeConfig.Transport.IO_URING).name()).isEqualTo("io_uring");
        assertThat(warnings()).containsExactly(Transport.CAUTION);
        assertThat(Transport.CAUTION).contains("runtime.transport is io_uring", "aborted", "docs/architecture.md");
    }

    @Test
    void theOtherTransportsSelectWithoutAWarning() {
        Transport.select(RuntimeConfig.Transport.AUTO);
        Transport.select(RuntimeConfig.Transport.NIO);
        assertThat(warnings()).isEmpty();
    }

    private List<String> warnings() {
        return logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
