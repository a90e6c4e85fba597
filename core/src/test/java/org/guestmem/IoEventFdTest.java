package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.guestmem.listener.EventNotifier;
import org.guestmem.listener.IoEventFd;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.Test;

/** ioeventfds: QEMU's TCG write short-circuit, the region's sorted list and the listener diff. */
class IoEventFdTest {

    /** A device that counts the writes reaching it and remembers the last one. */
    static final class Device {
        final AtomicLong writes = new AtomicLong();
        volatile long lastAddr = -1;
        volatile long lastValue = -1;
        volatile int lastSize;

        MemoryRegionOps ops(Endianness e, int validMin, int validMax) {
            return MemoryRegionOps.builder().endianness(e).valid(validMin, validMax, false).impl(1, 8, false)
                    .read((a, s) -> 0)
                    .write((a, v, s) -> {
                        lastAddr = a;
                        lastValue = v;
                        lastSize = s;
                        writes.incrementAndGet();
                    })
                    .build();
        }
    }

    @Test
    void matchingWriteSignalsTheNotifierInsteadOfTheDevice() {
        try (MemorySystem sys = MemorySystem.create()) {
            Device dev = new Device();
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion mmio = sys.mmio("doorbell", 0x100, dev.ops(Endianness.LITTLE, 1, 8));
            root.addSubregion(mmio, 0x1000);
            AddressSpace as = sys.addressSpace("memory", root);
            EventNotifier n = new EventNotifier();
            mmio.addEventfd(0x10, 4, true, 0x1234, n);

            assertEquals(MemTxResult.OK, as.st32le(0x1010, 0x1234));
            assertTrue(n.testAndClear());
            assertFalse(n.testAndClear());
            assertEquals(0, dev.writes.get());

            assertEquals(MemTxResult.OK, as.st32le(0x1010, 0x1235)); // other data: the device gets it
            assertEquals(1, dev.writes.get());
            assertEquals(0x1235, dev.lastValue);
            assertEquals(MemTxResult.OK, as.st16le(0x1010, 0x1234)); // other size
            assertEquals(2, dev.writes.get());
            assertEquals(MemTxResult.OK, as.st32le(0x1014, 0x1234)); // other address
            assertEquals(3, dev.writes.get());
            assertFalse(n.testAndClear());

            // the buffer path matches too: bytes 34 12 00 00 are the little-endian value 0x1234
            assertEquals(MemTxResult.OK, as.write(0x1010, new byte[] {0x34, 0x12, 0, 0}, 0, 4));
            assertTrue(n.testAndClear());
            assertEquals(3, dev.writes.get());
            assertEquals(2, n.signalCount());
        }
    }

    @Test
    void sizeZeroMatchesEveryWriteAtTheOffsetAndAccessorsShortCircuitToo() {
        try (MemorySystem sys = MemorySystem.create()) {
            Device dev = new Device();
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion mmio = sys.mmio("notify", 0x1000, dev.ops(Endianness.LITTLE, 1, 8));
            root.addSubregion(mmio, 0x4000);
            AddressSpace as = sys.addressSpace("memory", root);
            List<String> handled = new ArrayList<>();
            EventNotifier n = new EventNotifier(() -> handled.add(Thread.currentThread().getName()));
            mmio.addEventfd(0x8, 0, false, 0, n);
            try (RcuReader r = sys.rcu().register()) {
                AddressSpaceAccessor acc = as.accessor(r);
                r.enter();
                assertEquals(MemTxResult.OK, acc.st8(0x4008, 1));
                assertEquals(MemTxResult.OK, acc.st16le(0x4008, 2));
                assertEquals(MemTxResult.OK, acc.st64le(0x4008, 3));
                assertEquals(MemTxResult.OK, acc.st32be(0x4008, 4));
                assertEquals(MemTxResult.OK, acc.st32le(0x400c, 5)); // another offset reaches the device
                r.exit();
            }
            assertEquals(4, n.signalCount());
            assertEquals(List.of(Thread.currentThread().getName(), Thread.currentThread().getName(),
                    Thread.currentThread().getName(), Thread.currentThread().getName()), handled);
            assertEquals(1, dev.writes.get());
            assertEquals(0xc, dev.lastAddr);
        }
    }

    @Test
    void dataIsGivenInTargetOrderAndKeptInDeviceOrder() {
        try (MemorySystem sys = MemorySystem.create()) { // little-endian target
            Device dev = new Device();
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion be = sys.mmio("be-dev", 0x100, dev.ops(Endianness.BIG, 1, 8));
            root.addSubregion(be, 0x1000);
            AddressSpace as = sys.addressSpace("memory", root);
            EventNotifier n = new EventNotifier();
            be.addEventfd(0x0, 4, true, 0x11223344L, n);
            assertEquals(List.of(new IoEventFd(0, 4, true, 0x44332211L, n)), be.ioEventFds());
            assertEquals(MemTxResult.OK, as.st32le(0x1000, 0x11223344L)); // the CPU stores the target-order value
            assertEquals(1, n.signalCount());
            assertEquals(MemTxResult.OK, as.st32be(0x1000, 0x11223344L)); // the device sees 0x11223344: no match
            assertEquals(1, n.signalCount());
            assertEquals(1, dev.writes.get());
            assertEquals(0x11223344L, dev.lastValue);
        }
        try (MemorySystem sys = MemorySystem.builder().targetByteOrder(ByteOrder.BIG_ENDIAN).build()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion le = sys.mmio("le-dev", 0x100, new Device().ops(Endianness.LITTLE, 1, 8));
            MmioRegion nat = sys.mmio("native-dev", 0x100, new Device().ops(Endianness.NATIVE, 1, 8));
            root.addSubregion(le, 0x1000);
            root.addSubregion(nat, 0x2000);
            EventNotifier n = new EventNotifier();
            le.addEventfd(0x0, 2, true, 0xabcd, n);
            nat.addEventfd(0x0, 2, true, 0xabcd, n);
            le.addEventfd(0x2, 1, true, 0x1ff, n); // truncated to one byte, never swapped
            assertEquals(List.of(new IoEventFd(0, 2, true, 0xcdab, n), new IoEventFd(2, 1, true, 0xff, n)), le.ioEventFds());
            assertEquals(List.of(new IoEventFd(0, 2, true, 0xabcd, n)), nat.ioEventFds());
        }
    }

    @Test
    void aRejectedWriteStaysRejected() {
        try (MemorySystem sys = MemorySystem.create()) {
            Device dev = new Device();
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion mmio = sys.mmio("dev", 0x100, dev.ops(Endianness.LITTLE, 4, 4));
            root.addSubregion(mmio, 0x1000);
            AddressSpace as = sys.addressSpace("memory", root);
            EventNotifier n = new EventNotifier();
            mmio.addEventfd(0x0, 0, false, 0, n);
            assertEquals(MemTxResult.DECODE_ERROR, as.st8(0x1000, 1)); // valid.min 4: rejected before the eventfd
            assertEquals(0, n.signalCount());
            assertEquals(MemTxResult.OK, as.st32le(0x1000, 1));
            assertEquals(1, n.signalCount());
            assertEquals(0, dev.writes.get());
        }
    }

    @Test
    void regionListIsSortedAndDeleteFollowsQemuEquality() {
        try (MemorySystem sys = MemorySystem.create()) {
            MmioRegion mmio = sys.mmio("dev", 0x100, new Device().ops(Endianness.LITTLE, 1, 8));
            EventNotifier a = new EventNotifier();
            EventNotifier b = new EventNotifier();
            mmio.addEventfd(0x10, 4, true, 7, b);
            mmio.addEventfd(0x10, 4, true, 7, a);
            mmio.addEventfd(0x10, 4, false, 0, b);
            mmio.addEventfd(0x10, 2, true, 9, b);
            mmio.addEventfd(0x08, 4, true, 1, b);
            mmio.addEventfd(0x10, 4, true, 3, b);
            // by offset, size, match flag (false first), data, notifier serial (a was created first)
            assertEquals(List.of(new IoEventFd(0x08, 4, true, 1, b), new IoEventFd(0x10, 2, true, 9, b),
                    new IoEventFd(0x10, 4, false, 0, b), new IoEventFd(0x10, 4, true, 3, b),
                    new IoEventFd(0x10, 4, true, 7, a), new IoEventFd(0x10, 4, true, 7, b)), mmio.ioEventFds());

            mmio.delEventfd(0x10, 4, true, 7, b); // exact match
            assertEquals(5, mmio.ioEventFds().size());
            assertFalse(mmio.ioEventFds().contains(new IoEventFd(0x10, 4, true, 7, b)));
            mmio.delEventfd(0x10, 0, false, 0, a); // size 0 is a wildcard: removes the first entry at 0x10
            assertEquals(List.of(new IoEventFd(0x08, 4, true, 1, b), new IoEventFd(0x10, 4, false, 0, b),
                    new IoEventFd(0x10, 4, true, 3, b), new IoEventFd(0x10, 4, true, 7, a)), mmio.ioEventFds());
            assertThrows(IllegalArgumentException.class, () -> mmio.delEventfd(0x10, 4, true, 99, b));
            assertThrows(IllegalArgumentException.class, () -> mmio.addEventfd(0xfe, 4, false, 0, b));
            assertThrows(IllegalArgumentException.class, () -> mmio.addEventfd(0, 3, false, 0, b));
            assertEquals(4, mmio.ioEventFds().size());
        }
    }

    @Test
    void eventfdDiffDeletesForwardAndAddsInReverse() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion dev = sys.mmio("dev", 0x100, new Device().ops(Endianness.LITTLE, 1, 8));
            root.addSubregion(dev, 0x1000);
            AddressSpace as = sys.addressSpace("memory", root);
            List<String> log = new ArrayList<>();
            as.registerListener(new RecordingListener("B", log), 20);
            as.registerListener(new RecordingListener("A", log), 10);
            log.clear();
            EventNotifier n = new EventNotifier();

            dev.addEventfd(0x0, 4, false, 0, n); // no begin/commit: QEMU's ioeventfd-only commit
            assertEquals(List.of("B:eventfdAdd dev @0x1000 size 4 " + n, "A:eventfdAdd dev @0x1000 size 4 " + n), log);
            dev.addEventfd(0x8, 4, true, 0x55, n);
            log.clear();

            try (MemoryTransaction tx = sys.begin()) {
                dev.delEventfd(0x0, 4, false, 0, n);
                dev.addEventfd(0x4, 2, false, 0, n);
                assertEquals(List.of(), log); // deferred to the outermost commit
            }
            // old [0x1000, 0x1008], new [0x1004, 0x1008]: 0x1000 only old, 0x1004 only new, 0x1008 in both
            assertEquals(List.of(
                    "A:eventfdDel dev @0x1000 size 4 " + n, "B:eventfdDel dev @0x1000 size 4 " + n,
                    "B:eventfdAdd dev @0x1004 size 2 " + n, "A:eventfdAdd dev @0x1004 size 2 " + n), log);
            log.clear();

            dev.setAddress(0x2000); // a topology commit moves every registration
            assertEquals(List.of(
                    "A:begin", "B:begin",
                    "B:del dev [0x1000..0x10ff] @0x0", "A:del dev [0x1000..0x10ff] @0x0",
                    "A:add dev [0x2000..0x20ff] @0x0", "B:add dev [0x2000..0x20ff] @0x0",
                    "A:eventfdDel dev @0x1004 size 2 " + n, "B:eventfdDel dev @0x1004 size 2 " + n,
                    "A:eventfdDel dev @0x1008 size 4 data 0x55 " + n, "B:eventfdDel dev @0x1008 size 4 data 0x55 " + n,
                    "B:eventfdAdd dev @0x2004 size 2 " + n, "A:eventfdAdd dev @0x2004 size 2 " + n,
                    "B:eventfdAdd dev @0x2008 size 4 data 0x55 " + n, "A:eventfdAdd dev @0x2008 size 4 data 0x55 " + n,
                    "A:commit", "B:commit"), log);
        }
    }

    @Test
    void spaceListFollowsWhatTheViewShows() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion dev = sys.mmio("dev", 0x100, new Device().ops(Endianness.LITTLE, 1, 8));
            EventNotifier n = new EventNotifier();
            dev.addEventfd(0x10, 4, false, 0, n);
            dev.addEventfd(0x80, 4, false, 0, n);
            root.addSubregion(sys.alias("win-a", dev, 0, 0x100), 0x1000);
            root.addSubregion(sys.alias("win-b", dev, 0x40, 0x40), 0x3000); // shows dev [0x40, 0x7f]: only 0x10's twin is out
            MmioRegion cover = sys.mmio("cover", 0x10, new Device().ops(Endianness.LITTLE, 1, 8));
            root.addSubregionOverlap(cover, 0x1080, 1); // hides 0x80 in win-a
            AddressSpace as = sys.addressSpace("memory", root);
            sys.begin().close();
            List<String> got = new ArrayList<>();
            for (MemoryRegionSection s : sys.ioEventFdSections(as)) {
                got.add(s.region().name() + "@" + Long.toHexString(s.offsetWithinAddressSpace()));
            }
            assertEquals(List.of("dev@1010"), got);

            List<String> log = new ArrayList<>();
            as.registerListener(new RecordingListener("L", log), 0);
            log.clear();
            dev.setEnabled(false);
            assertTrue(log.contains("L:eventfdDel dev @0x1010 size 4 " + n));
            log.clear();
            dev.addEventfd(0x20, 4, false, 0, n); // disabled region: nothing pending
            assertEquals(List.of(), log);
            dev.setEnabled(true);
            assertEquals(List.of("L:eventfdAdd dev @0x1010 size 4 " + n, "L:eventfdAdd dev @0x1020 size 4 " + n),
                    log.stream().filter(s -> s.contains("eventfd")).toList());
        }
    }

    @Test
    void writersRacingWithRegistrationEitherSignalOrReachTheDevice() throws Exception {
        try (MemorySystem sys = MemorySystem.create()) {
            Device dev = new Device();
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            MmioRegion mmio = sys.mmio("dev", 0x100, dev.ops(Endianness.LITTLE, 1, 8));
            root.addSubregion(mmio, 0x1000);
            AddressSpace as = sys.addressSpace("memory", root);
            EventNotifier n = new EventNotifier();
            int writers = 2;
            int perWriter = 200_000;
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int w = 0; w < writers; w++) {
                Thread t = new Thread(() -> {
                    try (RcuReader r = sys.rcu().register()) {
                        AddressSpaceAccessor acc = as.accessor(r);
                        start.await();
                        for (int i = 0; i < perWriter; i++) {
                            r.enter();
                            if (acc.st32le(0x1010, 0xcafe) != MemTxResult.OK) {
                                errors.add(new AssertionError("write failed"));
                            }
                            r.exit();
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            start.countDown();
            int toggles = 0;
            while (threads.stream().anyMatch(Thread::isAlive)) {
                mmio.addEventfd(0x10, 4, true, 0xcafe, n);
                mmio.delEventfd(0x10, 4, true, 0xcafe, n);
                toggles++;
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(List.of(), errors);
            assertTrue(toggles > 0);
            assertEquals((long) writers * perWriter, dev.writes.get() + n.signalCount());
        }
    }
}
