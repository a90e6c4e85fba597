package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.internal.NativeMemoryStats;
import org.guestmem.mtree.MtreePrinter;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One test per rule of {@code docs/lifetimes.md}; each fails if the code stops doing what the rule
 * says.
 */
@Timeout(60)
class LifetimeTest {
    private final MemorySystem sys = MemorySystem.create();

    @AfterEach
    void close() {
        sys.close();
    }

    private NativeMemoryStats stats() {
        return sys.nativeMemoryStats();
    }

    // ---------------------------------------------------------------- rule 1

    @Test
    void shouldCollectADroppedAliasThatWasAFlatviewRoot() throws InterruptedException {
        ContainerRegion pciMem = sys.container("pci-mem", 0x10_0000);
        pciMem.addSubregion(sys.ram("bar0", 0x1000), 0x2000);
        pciMem.addSubregion(sys.mmio("bar1", 0x1000, MemoryRegionOps.builder().read((a, s) -> 7).build()), 0x3000);
        ContainerRegion busMaster = sys.container("bus master container", MemoryRegion.SIZE_2_64);
        AliasRegion alias = sys.alias("bus master", pciMem, 0x1000, 0x8000);
        busMaster.addSubregion(alias, 0);
        AddressSpace dev = sys.addressSpace("dev", busMaster);
        FlatView old = dev.currentView();
        assertEquals("bus master", old.rootName(), "an alias with a non-zero offset is the flatview root");
        AddressSpace.RetainedView held = dev.retainView();

        WeakReference<AliasRegion> weak = new WeakReference<>(alias);
        busMaster.removeSubregion(alias);
        alias = null; // dropped right after it was unparented, as pci-bridge does in QEMU
        for (int i = 0; i < 20; i++) { // keep committing
            RamRegion r = sys.ram("churn" + i, 0x1000);
            busMaster.addSubregion(r, 0x100_0000L + i * 0x1000L);
            busMaster.removeSubregion(r);
            r.destroy();
        }
        // the old view still prints and looks up without its root
        assertEquals("bus master", held.view().rootName());
        assertEquals("bar0", held.view().lookup(0x1000).region().name());
        assertEquals("bar1", held.view().lookup(0x2000).region().name());
        assertTrue(MtreePrinter.flat(sys).contains("AS \"dev\", root: bus master container"));
        try (RcuReader r = sys.rcu().register()) {
            r.enter();
            assertEquals(0, dev.accessor(r).ld32le(0x1000), "the space is empty now");
            r.exit();
        }
        held.close();
        sys.rcu().drain();
        assertTrue(old.isDestroyed(), "the old view was destroyed after its last reference");
        assertTrue(collected(weak), "nothing keeps the dropped alias alive");
    }

    @Test
    void shouldLetTheCollectorTakeAnOldViewThatLaterViewsShareRangesAndHistoryWith() throws InterruptedException {
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        root.addSubregion(sys.ram("ram", 0x1000), 0);
        ReservationRegion dev = sys.reservation("dev", 0x1000);
        root.addSubregion(dev, 0x10000);
        AddressSpace as = sys.addressSpace("as", root);
        WeakReference<FlatView> first = new WeakReference<>(as.currentView());
        for (int i = 0; i < 4; i++) { // later views share its FlatRanges and RAM block set, and
            dev.setEnabled((i & 1) != 0); // their publications list its changes: none may keep it
        }
        sys.rcu().drain();
        assertTrue(collected(first), "an old view is garbage once destroyed: publications keep change lists, not views");
    }

    @Test
    void aClosedRetainedViewShouldKeepNothingReachable() throws InterruptedException {
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        AddressSpace as = sys.addressSpace("as", root);
        AddressSpace.RetainedView handle = viewShowingADroppedRegion(root, as);
        WeakReference<FlatView> view = new WeakReference<>(handle.view());
        WeakReference<MemoryRegion> region = new WeakReference<>(handle.view().ranges().getFirst().region());
        handle.close();
        sys.awaitReclamation();
        assertTrue(collected(view), "a closed handle drops its view");
        assertTrue(collected(region), "and with it every region the view showed");
        assertThrows(IllegalStateException.class, handle::view, "the handle itself is still there, closed");
    }

    /** Maps a device in {@code root}, retains the view showing it, then removes and destroys the device. */
    private AddressSpace.RetainedView viewShowingADroppedRegion(ContainerRegion root, AddressSpace as) {
        MmioRegion dev = sys.mmio("dev", 0x1000, Fixtures.OPS);
        root.addSubregion(dev, 0x1000);
        AddressSpace.RetainedView handle = as.retainView();
        root.removeSubregion(dev);
        dev.destroy();
        return handle;
    }

    @Test
    void aDestroyedAddressSpaceShouldKeepItsRootsNameOnly() throws InterruptedException {
        ContainerRegion root = sys.container("bus", MemoryRegion.SIZE_2_64);
        root.addSubregion(sys.ram("ram", 0x1000), 0);
        AddressSpace as = sys.addressSpace("dma", root);
        WeakReference<ContainerRegion> weakRoot = new WeakReference<>(root);
        as.destroy();
        root.destroy();
        root = null;
        sys.awaitReclamation();
        assertTrue(collected(weakRoot), "a destroyed space does not keep its root reachable");
        assertEquals("AddressSpace['dma' root 'bus', destroyed]", as.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class, as::root);
        assertTrue(e.getMessage().contains("'bus'"), e.getMessage());
        assertEquals(0, as.ld64le(0), "it shows the empty view");
    }

    private static boolean collected(WeakReference<?> weak) throws InterruptedException {
        for (int i = 0; i < 50 && weak.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return weak.get() == null;
    }

    // ---------------------------------------------------------------- rule 2

    @Test
    void shouldRefuseToDestroyAMappedRegion() {
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        RamRegion child = sys.ram("child", 0x1000);
        root.addSubregion(child, 0);
        assertThrows(IllegalStateException.class, child::destroy);
        RamRegion target = sys.ram("target", 0x1000);
        root.addSubregion(sys.alias("window", target, 0, 0x1000), 0x1000);
        assertThrows(IllegalStateException.class, target::destroy);
        AddressSpace as = sys.addressSpace("as", root);
        assertThrows(IllegalStateException.class, root::destroy);
        as.destroy();
        root.removeSubregion(child);
        child.destroy();
        assertThrows(IllegalStateException.class, () -> child.setEnabled(false));
        assertThrows(IllegalStateException.class, () -> root.addSubregion(child, 0));
        assertThrows(IllegalStateException.class, () -> sys.alias("late", child, 0, 0x10));
    }

    // ---------------------------------------------------------------- rules 3 and 5

    @Test
    void shouldFreeTheRamOfADestroyedRegionOnceNoViewMapsIt() {
        long allocations0 = stats().liveAllocations();
        long bytes0 = stats().liveBytes();
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        RamRegion ram = sys.ram("ram", 0x10000);
        root.addSubregion(ram, 0x4000_0000L);
        AddressSpace as = sys.addressSpace("as", root);
        as.st64le(0x4000_0008L, 0x1234);
        assertEquals(allocations0 + 1, stats().liveAllocations());
        MemorySegment seg = ram.segment();

        root.removeSubregion(ram);
        ram.destroy();
        sys.awaitReclamation();
        assertEquals(allocations0, stats().liveAllocations(), "the block's arena is closed");
        assertTrue(stats().liveBytes() <= bytes0 + 2 * 4096, "only view tables may remain: " + stats());
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_LONG, 8),
                "an access to freed RAM fails instead of reading freed memory");
        assertThrows(IllegalStateException.class, () -> ram.segment().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void shouldKeepRamAliveWhileARetainedViewMapsIt() {
        long allocations0 = stats().liveAllocations();
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        RamRegion ram = sys.ram("ram", 0x1000);
        root.addSubregion(ram, 0x1000);
        AddressSpace as = sys.addressSpace("as", root);
        as.st32le(0x1000, 0xcafe);
        AddressSpace.RetainedView held = as.retainView();
        root.removeSubregion(ram);
        ram.destroy();
        sys.awaitReclamation();
        assertEquals(allocations0 + 1, stats().liveAllocations(), "the retained view still maps the block");
        assertEquals(0xcafe, ram.segment().get(ValueLayout.JAVA_INT, 0));
        held.close();
        sys.awaitReclamation();
        assertEquals(allocations0, stats().liveAllocations());
        assertThrows(IllegalStateException.class, () -> ram.segment().get(ValueLayout.JAVA_INT, 0));
    }

    @Test
    void shouldKeepRamAliveWhileAnyViewSharingItsBlockSetIsAlive() {
        long allocations0 = stats().liveAllocations();
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        RamRegion ram = sys.ram("ram", 0x1000);
        ReservationRegion dev = sys.reservation("dev", 0x1000);
        root.addSubregion(ram, 0x1000);
        root.addSubregion(dev, 0x10000);
        AddressSpace as = sys.addressSpace("as", root);
        as.st32le(0x1000, 0xcafe);
        AddressSpace.RetainedView first = as.retainView();
        dev.setEnabled(false); // a new view that maps the same blocks
        AddressSpace.RetainedView second = as.retainView();
        assertSame(first.view().ramBlocks(), second.view().ramBlocks(), "consecutive views share one block set");
        assertEquals(2, second.view().ramBlocks().refCount(), "one count per view that shares the set");
        root.removeSubregion(ram);
        ram.destroy();
        sys.awaitReclamation();
        first.close();
        sys.awaitReclamation();
        assertEquals(allocations0 + 1, stats().liveAllocations(), "the second view still maps the block through the shared set");
        assertEquals(0xcafe, ram.segment().get(ValueLayout.JAVA_INT, 0));
        second.close();
        sys.awaitReclamation();
        assertEquals(allocations0, stats().liveAllocations(), "the last view sharing the set is gone: the block is freed");
        assertThrows(IllegalStateException.class, () -> ram.segment().get(ValueLayout.JAVA_INT, 0));
    }

    @Test
    void shouldNotFreeRamBeforeAReaderThatSawItLeavesItsSection() throws Exception {
        long allocations0 = stats().liveAllocations();
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        RamRegion ram = sys.ram("ram", 0x1000);
        root.addSubregion(ram, 0x1000);
        AddressSpace as = sys.addressSpace("as", root);
        as.st64le(0x1008, 42);

        CountDownLatch inSection = new CountDownLatch(1);
        CountDownLatch readAgain = new CountDownLatch(1);
        AtomicLong secondRead = new AtomicLong(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (RcuReader r = sys.rcu().register()) {
                AddressSpaceAccessor acc = as.accessor(r);
                r.enter();
                acc.ld64le(0x1008);
                inSection.countDown();
                readAgain.await();
                secondRead.set(acc.ld64le(0x1008)); // same section: still the old view, still mapped
                r.exit();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        assertTrue(inSection.await(10, TimeUnit.SECONDS));
        root.removeSubregion(ram);
        ram.destroy();
        CountDownLatch drained = new CountDownLatch(1);
        Thread drainer = Thread.ofPlatform().start(() -> {
            sys.awaitReclamation();
            drained.countDown();
        });
        assertFalse(drained.await(300, TimeUnit.MILLISECONDS), "the grace period waits for the reader");
        assertEquals(allocations0 + 1, stats().liveAllocations(), "the block is still mapped while the reader may use it");
        readAgain.countDown();
        reader.join(10_000);
        assertTrue(drained.await(10, TimeUnit.SECONDS));
        drainer.join();
        assertNull(failure.get());
        assertEquals(42, secondRead.get());
        assertEquals(allocations0, stats().liveAllocations(), "freed once the reader left its section");
    }

    // ---------------------------------------------------------------- rule 4

    @Test
    void shouldDestroyAViewOnlyAfterItsLastReferenceAndAGracePeriod() throws Exception {
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        root.addSubregion(sys.ram("ram", 0x1000), 0);
        AddressSpace as = sys.addressSpace("as", root);
        FlatView v0 = as.currentView();
        AddressSpace.RetainedView held = as.retainView();
        root.addSubregion(sys.ram("more", 0x1000), 0x1000);
        assertFalse(v0 == as.currentView());
        sys.rcu().drain();
        assertFalse(v0.isReleased());
        assertFalse(v0.isDestroyed(), "a retained view is not destroyed");

        CountDownLatch inSection = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> {
            try (RcuReader r = sys.rcu().register()) {
                r.enter();
                inSection.countDown();
                leave.await();
                r.exit();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(inSection.await(10, TimeUnit.SECONDS));
        held.close();
        assertTrue(v0.isReleased());
        CountDownLatch drained = new CountDownLatch(1);
        Thread.ofPlatform().start(() -> {
            sys.rcu().drain();
            drained.countDown();
        });
        assertFalse(drained.await(300, TimeUnit.MILLISECONDS));
        assertFalse(v0.isDestroyed(), "not before the grace period");
        leave.countDown();
        reader.join(10_000);
        assertTrue(drained.await(10, TimeUnit.SECONDS));
        assertTrue(v0.isDestroyed());
    }

    // ---------------------------------------------------------------- rule 6

    @Test
    void shouldNotCallRemovedOpsAfterTheCommitAndAGracePeriod() throws Exception {
        AtomicBoolean torndown = new AtomicBoolean();
        AtomicLong callsAfterTeardown = new AtomicLong();
        AtomicLong calls = new AtomicLong();
        MmioRegion dev = sys.mmio("dev", 0x1000, MemoryRegionOps.builder().read((a, s) -> {
            calls.incrementAndGet();
            if (torndown.get()) {
                callsAfterTeardown.incrementAndGet();
            }
            return 1;
        }).build());
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        root.addSubregion(dev, 0x8000);
        AddressSpace as = sys.addressSpace("as", root);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(1);
        Thread cpu = Thread.ofPlatform().start(() -> {
            try (RcuReader r = sys.rcu().registerQuiescent()) {
                AddressSpaceAccessor acc = as.accessor(r);
                while (!stop.get()) {
                    for (int i = 0; i < 256; i++) {
                        acc.ld32le(0x8000 + (i & 0xff) * 4);
                    }
                    running.countDown();
                    r.quiescentState();
                }
            }
        });
        assertTrue(running.await(10, TimeUnit.SECONDS));
        root.removeSubregion(dev);
        sys.rcu().synchronize();
        torndown.set(true); // the device tears down now
        long before = calls.get();
        for (int i = 0; i < 20; i++) { // let the CPU loop run many more passes
            sys.rcu().synchronize();
        }
        stop.set(true);
        cpu.join(10_000);
        assertEquals(0, callsAfterTeardown.get(), "ops called after removal and a grace period");
        assertEquals(before, calls.get());
    }

    // ---------------------------------------------------------------- rule 7

    @Test
    void shouldFreeEverythingAtClose() {
        MemorySystem other = MemorySystem.create();
        ContainerRegion root = other.container("root", MemoryRegion.SIZE_2_64);
        RamRegion a = other.ram("a", 0x10000);
        RamRegion b = other.rom("b", 0x1000);
        root.addSubregion(a, 0);
        root.addSubregion(b, 0x10000);
        try (Arena mine = Arena.ofConfined()) {
            MemorySegment supplied = mine.allocate(0x1000);
            RamRegion c = other.ramFromSegment("c", supplied);
            root.addSubregion(c, 0x20000);
            other.addressSpace("as", root).st8(0x20000, 0x5a);
            assertTrue(other.nativeMemoryStats().liveAllocations() >= 4);
            other.close();
            assertEquals(0, other.nativeMemoryStats().liveAllocations(), other.nativeMemoryStats().toString());
            assertEquals(0, other.nativeMemoryStats().liveBytes(), other.nativeMemoryStats().toString());
            assertThrows(IllegalStateException.class, () -> a.segment().get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0x5a, supplied.get(ValueLayout.JAVA_BYTE, 0), "caller-supplied memory is never freed");
            assertThrows(IllegalStateException.class, () -> root.addSubregion(other.container("late", 1), 0));
        }
    }

    @Test
    void shouldAcceptARetainedViewClosedAfterTheSystem() {
        MemorySystem other = MemorySystem.create();
        ContainerRegion root = other.container("root", MemoryRegion.SIZE_2_64);
        root.addSubregion(other.ram("a", 0x1000), 0);
        AddressSpace.RetainedView held = other.addressSpace("as", root).retainView();
        FlatView v = held.view();
        other.close();
        assertDoesNotThrow(held::close);
        assertTrue(v.isReleased());
        assertTrue(v.isDestroyed(), "late releases complete inline once the domain is closed");
    }

    // ---------------------------------------------------------------- rule 8

    @Test
    void shouldServeThreadsThatNeverRegisteredThroughCountedReferences() throws Exception {
        ContainerRegion root = sys.container("root", MemoryRegion.SIZE_2_64);
        RamRegion ram = sys.ram("ram", 0x1000);
        root.addSubregion(ram, 0x1000);
        AddressSpace as = sys.addressSpace("as", root);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                assertNull(sys.rcu().currentReader(), "this thread never registered");
                assertEquals(MemTxResult.OK, as.st64le(0x1010, 99));
                assertEquals(99, as.ld64le(0x1010));
                FlatView v = as.currentView();
                try (AddressSpace.RetainedView rv = as.retainView()) {
                    assertSame(v, rv.view());
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join(10_000);
        assertNull(failure.get());
    }
}
