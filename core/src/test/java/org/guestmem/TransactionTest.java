package org.guestmem;

import static org.guestmem.Fixtures.OPS;
import static org.guestmem.Fixtures.TOP;
import static org.guestmem.Fixtures.r;
import static org.guestmem.Fixtures.ranges;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Transactions (spec section 4): nesting, self-committing mutators, which changes re-render and
 * which do not, FlatView sharing between address spaces, the empty view, and independence of two
 * memory systems.
 */
class TransactionTest {
    private MemorySystem sys;
    private ContainerRegion system;
    private RamRegion ram;
    private ContainerRegion bus;
    private AddressSpace memory;

    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        system = sys.container("system", TOP);
        ram = sys.ram("ram", 0x10000);
        bus = sys.container("bus", 0x100000);
        system.addSubregion(ram, 0);
        system.addSubregion(bus, 0x100000);
        memory = sys.addressSpace("memory", system);
    }

    @AfterEach
    void close() {
        sys.close();
    }

    /** Asserts that {@code change} neither commits nor replaces the published view. */
    private void assertNoRender(Runnable change) {
        long commits = sys.commitCount();
        FlatView view = memory.currentView();
        change.run();
        assertEquals(commits, sys.commitCount(), "no commit expected");
        assertSame(view, memory.currentView(), "the published view must stay the same object");
    }

    /**
     * Asserts that {@code change}, outside any transaction, commits exactly once, which listeners
     * see as one {@code begin} and one {@code commit} (the view object is new only where the map
     * changed: a commit keeps the views its changes do not reach).
     */
    private void assertRendersOnce(Runnable change) {
        long commits = sys.commitCount();
        List<String> log = new ArrayList<>();
        RecordingListener l = new RecordingListener("l", log);
        memory.registerListener(l, 0);
        log.clear();
        change.run();
        memory.unregisterListener(l);
        assertEquals(commits + 1, sys.commitCount(), "exactly one commit expected");
        // the unregistration adds its own begin and commit at the end
        assertEquals(List.of("l:begin", "l:commit", "l:begin", "l:commit"),
                log.stream().filter(e -> e.equals("l:begin") || e.equals("l:commit")).toList(), log.toString());
    }

    // ------------------------------------------------------------------ nesting

    @Test
    void shouldRenderOnlyWhenTheOutermostTransactionCloses() {
        MmioRegion dev = sys.mmio("dev", 0x1000, OPS);
        long commits = sys.commitCount();
        FlatView before = memory.currentView();
        try (MemoryTransaction outer = sys.begin()) {
            try (MemoryTransaction inner = sys.begin()) {
                bus.addSubregion(dev, 0x2000);
                try (MemoryTransaction innermost = sys.begin()) {
                    ram.setEnabled(false);
                }
                assertSame(before, memory.currentView());
                assertEquals(commits, sys.commitCount());
            }
            assertSame(before, memory.currentView(), "an inner close must not publish");
            assertEquals(commits, sys.commitCount());
        }
        assertEquals(commits + 1, sys.commitCount(), "one commit for the whole transaction");
        assertEquals(List.of(r(0x102000, 0x102fff, "dev", 0)), ranges(memory));
    }

    @Test
    void shouldTreatASecondCloseOfTheSameTransactionAsANoOp() {
        long commits = sys.commitCount();
        FlatView before = memory.currentView();
        MemoryTransaction outer = sys.begin();
        MemoryTransaction inner = sys.begin();
        ram.setEnabled(false);
        inner.close();
        inner.close(); // must not close the outer level too
        assertSame(before, memory.currentView());
        assertEquals(commits, sys.commitCount());
        assertTrue(sys.holdsUpdateLock(), "the outer transaction still holds the update lock");
        outer.close();
        outer.close();
        assertEquals(commits + 1, sys.commitCount());
        assertFalse(sys.holdsUpdateLock());
        assertEquals(List.of(), ranges(memory));
    }

    @Test
    void shouldCommitEachMutatorOutsideATransactionByItself() {
        assertRendersOnce(() -> ram.setEnabled(false));
        assertEquals(List.of(), ranges(memory));
        assertRendersOnce(() -> ram.setEnabled(true));
        assertEquals(List.of(r(0, 0xffff, "ram", 0)), ranges(memory));
        assertRendersOnce(() -> bus.addSubregion(sys.mmio("dev", 0x100, OPS), 0x10));
        assertEquals(List.of(r(0, 0xffff, "ram", 0), r(0x100010, 0x10010f, "dev", 0)), ranges(memory));
        assertFalse(sys.holdsUpdateLock());
    }

    @Test
    void shouldKeepTheTransactionOpenAndItsEarlierChangesWhenAMutatorInsideItIsRejected() {
        long commits = sys.commitCount();
        try (MemoryTransaction tx = sys.begin()) {
            ram.setReadonly(true);
            assertThrows(IllegalArgumentException.class, () -> system.addSubregion(system, 0));
            assertTrue(sys.holdsUpdateLock());
            assertEquals(commits, sys.commitCount(), "the rejected mutator must not commit the open transaction");
        }
        assertEquals(commits + 1, sys.commitCount());
        assertEquals(List.of(r(0, 0xffff, "ram", 0).ro()), ranges(memory));
        assertFalse(sys.holdsUpdateLock());
    }

    // ------------------------------------------------------------------ what re-renders (spec section 4 table)

    @Test
    void shouldNotRenderForSubregionChangesOfADisabledContainer() {
        bus.setEnabled(false);
        MmioRegion dev = sys.mmio("dev", 0x1000, OPS);
        assertNoRender(() -> bus.addSubregion(dev, 0));
        assertNoRender(() -> bus.removeSubregion(dev));
        assertNoRender(() -> bus.addSubregionOverlap(dev, 0x1000, 3));
    }

    @Test
    void shouldNotRenderWhenARegionMovesInsideADisabledContainer() {
        // set_address is a delete and an add, and both look at the container's enabled flag
        MmioRegion dev = sys.mmio("dev", 0x1000, OPS);
        bus.addSubregion(dev, 0);
        bus.setEnabled(false);
        assertNoRender(() -> dev.setAddress(0x4000));
        assertEquals(0x4000, dev.address());
        bus.setEnabled(true);
        assertEquals(List.of(r(0, 0xffff, "ram", 0), r(0x104000, 0x104fff, "dev", 0)), ranges(memory));
    }

    @Test
    void shouldNotRenderForAddingOrRemovingADisabledSubregion() {
        MmioRegion dev = sys.mmio("dev", 0x1000, OPS);
        dev.setEnabled(false);
        assertNoRender(() -> bus.addSubregion(dev, 0));
        assertNoRender(() -> bus.removeSubregion(dev));
    }

    @Test
    void shouldRenderForSubregionChangesWhenOnlyAFartherAncestorIsDisabled() {
        // QEMU looks at the immediate container only
        ContainerRegion inner = sys.container("inner", 0x10000);
        bus.addSubregion(inner, 0);
        bus.setEnabled(false);
        MmioRegion dev = sys.mmio("dev", 0x1000, OPS);
        assertRendersOnce(() -> inner.addSubregion(dev, 0));
        assertRendersOnce(() -> inner.removeSubregion(dev));
    }

    @Test
    void shouldNotRenderForFlagChangesOfADisabledRegion() {
        AliasRegion window = sys.alias("window", ram, 0, 0x1000);
        RomDeviceRegion flash = sys.romDevice("flash", 0x1000, OPS);
        bus.addSubregion(window, 0);
        bus.addSubregion(flash, 0x10000);
        window.setEnabled(false);
        flash.setEnabled(false);
        assertNoRender(() -> window.setReadonly(true));
        assertNoRender(() -> window.setNonvolatile(true));
        assertNoRender(() -> window.setAliasOffset(0x2000));
        assertNoRender(() -> flash.setRomdMode(false));
        assertNoRender(() -> flash.setReadonly(true));
        assertTrue(window.isReadonly() && window.isNonvolatile() && window.aliasOffset() == 0x2000 && !flash.isRomdMode(),
                "the changes themselves are recorded");
        // and they show once the regions are enabled again
        try (MemoryTransaction tx = sys.begin()) {
            window.setEnabled(true);
            flash.setEnabled(true);
        }
        assertEquals(List.of(r(0, 0xffff, "ram", 0), r(0x100000, 0x100fff, "ram", 0x2000).ro().nv(),
                r(0x110000, 0x110fff, "flash", 0).ro().romdOff()), ranges(memory));
    }

    @Test
    void shouldRenderForFlagChangesOfAnEnabledRegion() {
        AliasRegion window = sys.alias("window", ram, 0, 0x1000);
        RomDeviceRegion flash = sys.romDevice("flash", 0x1000, OPS);
        bus.addSubregion(window, 0);
        bus.addSubregion(flash, 0x10000);
        assertRendersOnce(() -> window.setReadonly(true));
        assertRendersOnce(() -> window.setNonvolatile(true));
        assertRendersOnce(() -> window.setAliasOffset(0x2000));
        assertRendersOnce(() -> flash.setRomdMode(false));
        assertEquals(List.of(r(0, 0xffff, "ram", 0), r(0x100000, 0x100fff, "ram", 0x2000).ro().nv(),
                r(0x110000, 0x110fff, "flash", 0).romdOff()), ranges(memory));
    }

    @Test
    void shouldAlwaysRenderWhenEnabledOrSizeChanges() {
        // QEMU sets update_pending for these unconditionally, even for a region nobody shows
        ContainerRegion loose = sys.container("loose", 0x1000);
        assertRendersOnce(() -> loose.setEnabled(false));
        assertRendersOnce(() -> loose.setEnabled(true));
        assertRendersOnce(() -> loose.setSize(0x2000));
        bus.setEnabled(false);
        assertRendersOnce(() -> ram.setSize(0x8000));
        assertEquals(List.of(r(0, 0x7fff, "ram", 0)), ranges(memory));
    }

    @Test
    void shouldRenderForSetAddressOfAMappedRegionOnly() {
        ContainerRegion loose = sys.container("loose", 0x1000);
        assertNoRender(() -> loose.setAddress(0x5000));
        assertEquals(0x5000, loose.address());
        assertRendersOnce(() -> ram.setAddress(0x20000));
        assertEquals(List.of(r(0x20000, 0x2ffff, "ram", 0)), ranges(memory));
    }

    /** Every setter called with the value the region already has. */
    enum SameValue {
        ENABLED(f -> f.ram.setEnabled(true)),
        DISABLED_AGAIN(f -> f.disabled.setEnabled(false)),
        ADDRESS(f -> f.ram.setAddress(0)),
        SIZE(f -> f.ram.setSize(0x10000)),
        SIZE_2_64(f -> f.system.setSize(TOP)),
        READONLY(f -> f.ram.setReadonly(false)),
        NONVOLATILE(f -> f.ram.setNonvolatile(false)),
        ALIAS_OFFSET(f -> f.window.setAliasOffset(0x1000)),
        ROMD(f -> f.flash.setRomdMode(true));

        final Consumer<TransactionTest> setter;

        SameValue(Consumer<TransactionTest> setter) {
            this.setter = setter;
        }
    }

    private AliasRegion window;
    private RomDeviceRegion flash;
    private MmioRegion disabled;

    @ParameterizedTest
    @EnumSource(SameValue.class)
    void shouldNeverRenderWhenAValueIsSetToWhatItAlreadyIs(SameValue setter) {
        window = sys.alias("window", ram, 0x1000, 0x1000);
        flash = sys.romDevice("flash", 0x1000, OPS);
        disabled = sys.mmio("disabled", 0x1000, OPS);
        bus.addSubregion(window, 0);
        bus.addSubregion(flash, 0x10000);
        bus.addSubregion(disabled, 0x20000);
        disabled.setEnabled(false);
        assertNoRender(() -> setter.setter.accept(this));
    }

    // ------------------------------------------------------------------ sharing and the empty view

    @Test
    void shouldShareOneFlatViewBetweenSpacesWithTheSameFlatviewRoot() {
        AddressSpace cpu = sys.addressSpace("cpu-memory-0", system);
        assertSame(memory.currentView(), cpu.currentView(), "same root region");

        AliasRegion whole = sys.alias("whole", system, 0, TOP);
        AddressSpace viaAlias = sys.addressSpace("via-alias", whole);
        assertSame(memory.currentView(), viaAlias.currentView(), "alias with offset 0 covering its whole target");

        ContainerRegion wrapper = sys.container("wrapper", TOP);
        AliasRegion whole2 = sys.alias("whole2", system, 0, TOP);
        wrapper.addSubregion(whole2, 0);
        ContainerRegion off = sys.container("off", 0x1000);
        wrapper.addSubregion(off, 0x5000);
        off.setEnabled(false);
        AddressSpace viaWrapper = sys.addressSpace("via-wrapper", wrapper);
        assertSame(memory.currentView(), viaWrapper.currentView(), "container whose only enabled child sits at 0");

        // and they keep sharing across commits
        ram.setReadonly(true);
        FlatView v = memory.currentView();
        assertSame(v, cpu.currentView());
        assertSame(v, viaAlias.currentView());
        assertSame(v, viaWrapper.currentView());
        assertEquals(List.of(r(0, 0xffff, "ram", 0).ro()), ranges(v));
    }

    @Test
    void shouldNotShareWhenTheAliasHasAnOffsetOrASmallerWindow() {
        AddressSpace shifted = sys.addressSpace("shifted", sys.alias("shifted", system, 0x1000, 0x10000));
        AddressSpace narrow = sys.addressSpace("narrow", sys.alias("narrow", system, 0, 0x8000));
        assertNotSame(memory.currentView(), shifted.currentView());
        assertNotSame(memory.currentView(), narrow.currentView());
        assertNotSame(shifted.currentView(), narrow.currentView());
        assertEquals(List.of(r(0, 0xefff, "ram", 0x1000)), ranges(shifted));
        assertEquals(List.of(r(0, 0x7fff, "ram", 0)), ranges(narrow));
    }

    @Test
    void shouldGiveTheEmptyViewToARootThatReducesToNothing() {
        ContainerRegion empty = sys.container("empty", 0x1000);
        ContainerRegion allDisabled = sys.container("all-disabled", 0x1000);
        MmioRegion off = sys.mmio("off", 0x10, OPS);
        allDisabled.addSubregion(off, 0);
        off.setEnabled(false);
        MmioRegion disabledRoot = sys.mmio("disabled-root", 0x1000, OPS);
        disabledRoot.setEnabled(false);
        AliasRegion aliasOfEmpty = sys.alias("alias-of-empty", empty, 0, 0x1000);
        for (MemoryRegion root : List.of(empty, allDisabled, disabledRoot, aliasOfEmpty)) {
            AddressSpace as = sys.addressSpace("as-" + root.name(), root);
            assertSame(sys.emptyView(), as.currentView(), root.name());
        }
        assertEquals(0, sys.emptyView().rangeCount());
        assertFalse(sys.emptyView().hasRoot());
        // and after a commit they still share the empty view
        ram.setReadonly(true);
        for (AddressSpace as : sys.addressSpaces()) {
            if (as != memory) {
                assertSame(sys.emptyView(), as.currentView(), as.name());
            }
        }
        // a root that becomes non-empty leaves it
        off.setEnabled(true);
        AddressSpace allDisabledSpace = sys.addressSpaces().stream().filter(a -> a.root() == allDisabled).findFirst().orElseThrow();
        assertEquals(List.of(r(0, 0xf, "off", 0)), ranges(allDisabledSpace));
    }

    @Test
    void shouldShowTheEmptyViewForASpaceCreatedInsideATransactionUntilTheCommit() {
        AddressSpace late;
        long commits = sys.commitCount();
        try (MemoryTransaction tx = sys.begin()) {
            late = sys.addressSpace("late", system);
            assertSame(sys.emptyView(), late.currentView());
            assertSame(sys.emptyView(), late.currentView(), "still empty inside the transaction");
        }
        assertEquals(commits + 1, sys.commitCount());
        assertSame(memory.currentView(), late.currentView());
        assertEquals(List.of(r(0, 0xffff, "ram", 0)), ranges(late));
    }

    // ------------------------------------------------------------------ threads

    @Test
    void shouldLetTwoSystemsChangeIndependently() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MemorySystem other = MemorySystem.builder().name("other").build()) {
            ContainerRegion otherRoot = other.container("other-root", TOP);
            AddressSpace otherSpace = other.addressSpace("other-memory", otherRoot);
            CountDownLatch opened = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<?> holder = pool.submit(() -> {
                try (MemoryTransaction tx = sys.begin()) {
                    ram.setReadonly(true);
                    opened.countDown();
                    release.await();
                }
                return null;
            });
            assertTrue(opened.await(10, TimeUnit.SECONDS), "the holder opened its transaction");
            try {
                Future<?> mutation = pool.submit(() -> otherRoot.addSubregion(other.mmio("dev", 0x1000, OPS), 0x4000));
                mutation.get(10, TimeUnit.SECONDS); // would time out if system A's lock blocked system B
                assertEquals(List.of(r(0x4000, 0x4fff, "dev", 0)), ranges(otherSpace));
                assertEquals(List.of(r(0, 0xffff, "ram", 0)), ranges(memory), "A's open transaction is not visible yet");
            } finally {
                release.countDown();
            }
            holder.get(10, TimeUnit.SECONDS);
            assertEquals(List.of(r(0, 0xffff, "ram", 0).ro()), ranges(memory));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldMakeAWriterOfTheSameSystemWaitForAnOpenTransaction() throws Exception {
        MemoryTransaction tx = sys.begin();
        ram.setReadonly(true);
        Thread writer = Thread.ofPlatform().start(() -> ram.setNonvolatile(true));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (writer.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(Thread.State.WAITING, writer.getState(), "the writer waits for the update lock");
            assertFalse(ram.isNonvolatile());
        } finally {
            tx.close();
        }
        assertTrue(writer.join(java.time.Duration.ofSeconds(10)));
        assertTrue(ram.isNonvolatile());
        assertEquals(List.of(r(0, 0xffff, "ram", 0).ro().nv()), ranges(memory));
    }

    @Test
    void shouldRefuseToCloseATransactionFromAnotherThread() throws Exception {
        long commits = sys.commitCount();
        MemoryTransaction tx = sys.begin();
        ram.setEnabled(false);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread other = Thread.ofPlatform().name("intruder").start(() -> {
            try {
                tx.close();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        assertTrue(other.join(java.time.Duration.ofSeconds(10)));
        assertTrue(thrown.get() instanceof WrongThreadException, () -> "got " + thrown.get());
        assertTrue(thrown.get().getMessage().contains("intruder"), thrown.get().getMessage());
        assertTrue(sys.holdsUpdateLock(), "the transaction is still open on its own thread");
        assertEquals(commits, sys.commitCount());
        tx.close();
        assertEquals(commits + 1, sys.commitCount());
        assertEquals(List.of(), ranges(memory));
    }
}
