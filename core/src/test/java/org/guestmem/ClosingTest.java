package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.listener.MemoryListener;
import org.guestmem.listener.MemoryListenerException;
import org.guestmem.rcu.RcuDomain;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link MemorySystem#close()} where it cannot simply wait: inside a read section, on a CPU thread
 * whose own reader is online, from a deferred callback; and what a closed system leaves behind
 * (its threads, its thread-local state).
 */
@Timeout(60)
class ClosingTest {
    /** A system with one RAM region mapped in one address space, written once. */
    private static RamRegion machine(MemorySystem sys) {
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        RamRegion ram = sys.ram("ram", 0x10000);
        root.addSubregion(ram, 0);
        sys.addressSpace("memory", root).st64le(8, 42);
        return ram;
    }

    private static boolean threadsOf(String systemName) {
        return ReclamationTest.threadAlive("guestmem-rcu-" + systemName + "-")
                || ReclamationTest.threadAlive("guestmem-free-" + systemName + "-");
    }

    @Test
    void aCloseRefusedInsideAReadSectionShouldChangeNothingAndARetryShouldClose() {
        MemorySystem sys = MemorySystem.builder().name("refused-close").build();
        RamRegion ram = machine(sys);
        MemorySegment seg = ram.segment();
        RamRegion gone = sys.ram("gone", 0x1000);
        gone.destroy(); // starts both reclamation threads
        sys.awaitReclamation();
        RcuReader r = sys.rcu().register();
        r.enter();
        IllegalStateException e = assertThrows(IllegalStateException.class, sys::close);
        assertTrue(e.getMessage().contains("refused-close") && e.getMessage().contains("leave the read section first"),
                e.getMessage());
        assertFalse(sys.rcu().isClosed(), "the domain is not closed");
        assertEquals(1, sys.addressSpaces().size(), "the address space is still there");
        assertEquals(42, seg.get(ValueLayout.JAVA_LONG, 8), "the RAM is still mapped");
        assertEquals(1, r.depth());
        r.exit();
        RamRegion later = sys.ram("later", 0x1000);
        later.destroy(); // the system still works

        sys.close();
        assertTrue(sys.rcu().isClosed());
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_LONG, 8), "the RAM is freed");
        assertEquals(0, sys.nativeMemoryStats().liveAllocations(), sys.nativeMemoryStats().toString());
        assertFalse(threadsOf("refused-close"), "the reclamation threads are gone");
        assertThrows(IllegalStateException.class, () -> sys.ram("too-late", 0x1000));
        r.close();
    }

    @Test
    void closeOnACpuThreadWhoseOwnReaderIsOnlineShouldNotHang() throws Exception {
        MemorySystem sys = MemorySystem.builder().name("cpu-closes").build();
        RamRegion ram = machine(sys);
        MemorySegment seg = ram.segment();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread cpu = Thread.ofPlatform().daemon().start(() -> {
            try (RcuReader q = sys.rcu().registerQuiescent()) { // the README's CPU-thread setup
                AddressSpaceAccessor acc = sys.addressSpaces().getFirst().accessor(q);
                assertEquals(42, acc.ld64le(8));
                sys.close();
                assertFalse(q.isOnline(), "left offline: its domain is gone");
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.countDown();
            }
        });
        assertTrue(done.await(20, TimeUnit.SECONDS), "close() on the CPU thread returned");
        cpu.join(10_000);
        assertNull(failure.get());
        assertTrue(sys.rcu().isClosed());
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_LONG, 8));
        assertFalse(threadsOf("cpu-closes"));
    }

    @Test
    void closeFromADeferredCallbackShouldBeRefusedAndChangeNothing() throws Exception {
        MemorySystem sys = MemorySystem.builder().name("callback-closes").build();
        machine(sys);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        sys.rcu().defer(() -> {
            try {
                sys.close();
            } catch (Throwable t) {
                thrown.set(t);
            }
            ran.countDown();
        });
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
        assertFalse(sys.rcu().isClosed());
        assertEquals(1, sys.addressSpaces().size());
        sys.close();
        assertTrue(sys.rcu().isClosed());
    }

    @Test
    void aListenerThatThrowsAtCloseShouldNotLeaveTheSystemHalfClosed() {
        MemorySystem sys = MemorySystem.builder().name("listener-throws").build();
        MemorySegment seg = machine(sys).segment();
        sys.addressSpaces().getFirst().registerListener(new MemoryListener() {
            @Override
            public void regionDel(MemoryRegionSection section) {
                throw new IllegalStateException("device refuses");
            }
        }, 0);
        MemoryListenerException e = assertThrows(MemoryListenerException.class, sys::close);
        assertTrue(e.getCause().getMessage().contains("device refuses"), e.toString());
        assertTrue(sys.rcu().isClosed(), "the domain closed all the same");
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_LONG, 8), "the RAM is freed");
        assertEquals(0, sys.nativeMemoryStats().liveAllocations());
        assertFalse(threadsOf("listener-throws"));
        sys.close(); // and a second close has nothing left to do
    }

    @Test
    void aClosedSystemShouldBeGarbageThoughAReaderOfItWasNeverClosed() throws InterruptedException {
        WeakReference<RcuDomain> weak = systemLeftWithAnOpenReader();
        for (int i = 0; i < 50 && weak.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(weak.get(), "no thread-local map of this thread keeps the closed system's domain, queue or threads");
    }

    private static WeakReference<RcuDomain> systemLeftWithAnOpenReader() {
        MemorySystem sys = MemorySystem.builder().name("forgotten").build();
        machine(sys);
        RcuReader r = sys.rcu().register(); // never closed
        assertEquals(42, sys.addressSpaces().getFirst().accessor(r).ld64le(8));
        sys.close();
        return new WeakReference<>(sys.rcu());
    }
}
