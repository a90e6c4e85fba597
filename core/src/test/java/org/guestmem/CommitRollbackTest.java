package org.guestmem;

import static org.guestmem.Fixtures.TOP;
import static org.guestmem.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.listener.EventNotifier;
import org.guestmem.mtree.MtreePrinter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * A commit that fails before the new views are published rolls the transaction back: the region
 * tree as it was before the transaction (compared as {@code info mtree} text and as every region's
 * attributes), the published views the same objects, no listener told anything, the commit count
 * unchanged, and the update lock free for another thread.
 */
@Timeout(60)
class CommitRollbackTest {
    private static final AtomicInteger DEVICE_WRITES = new AtomicInteger();
    private static final MemoryRegionOps COUNTING = MemoryRegionOps.builder().read((a, s) -> 0)
            .write((a, v, s) -> DEVICE_WRITES.incrementAndGet()).build();

    private MemorySystem sys;
    private ContainerRegion system;
    private RamRegion ram;
    private ContainerRegion pci;
    private RamRegion bios;
    private AliasRegion isaBios;
    private RomDeviceRegion flash;
    private MmioRegion uart;
    private ContainerRegion bus;
    private RamRegion spare;
    private ContainerRegion mirrorHost;
    private AliasRegion mirror;
    private AddressSpace memory;
    private final List<String> heard = new ArrayList<>();

    /** A small PC, a listener on its memory, and a mirror alias that shows itself when added to its host. */
    @BeforeEach
    void build() {
        sys = MemorySystem.create();
        system = sys.container("system", TOP);
        ram = sys.ram("pc.ram", 0x10_0000);
        pci = sys.container("pci", TOP);
        bios = sys.rom("pc.bios", 0x4_0000);
        isaBios = sys.alias("isa-bios", bios, 0x2_0000, 0x2_0000);
        flash = sys.romDevice("flash", 0x1_0000, COUNTING);
        uart = sys.mmio("uart", 0x8, COUNTING);
        bus = sys.container("bus", 0x1_0000);
        spare = sys.ram("spare", 0x1000); // unmapped: may be destroyed
        mirrorHost = sys.container("mirror-host", 0x4000);
        mirror = sys.alias("mirror", mirrorHost, 0, 0x2000);
        system.addSubregion(ram, 0);
        system.addSubregionOverlap(pci, 0, -1);
        pci.addSubregion(bios, 0xfffc_0000L);
        pci.addSubregionOverlap(isaBios, 0xe_0000, 1);
        pci.addSubregion(flash, 0xff00_0000L);
        system.addSubregion(bus, 0x1000_0000);
        bus.addSubregion(uart, 0x3f8);
        system.addSubregion(mirrorHost, 0x2000_0000);
        memory = sys.addressSpace("memory", system);
        memory.registerListener(new RecordingListener("l", heard), 0);
        heard.clear();
    }

    @AfterEach
    void close() {
        sys.close();
    }

    /** Everything a failed commit must leave as it was. */
    private record State(Fixtures.Snapshot regions, String tree, String flat, List<FlatRange> ranges) {
    }

    private State state() {
        return new State(snapshot(sys, system, spare, mirror), MtreePrinter.tree(sys, true), MtreePrinter.flat(sys),
                memory.currentView().ranges());
    }

    /** The change that makes the commit fail: the mirror alias shows itself inside its own window. */
    private void poison() {
        mirrorHost.addSubregion(mirror, 0x1000);
    }

    /** Runs {@code failing}, expects the refusal, and checks the rollback and that the lock is free. */
    private IllegalArgumentException rollsBack(Executable failing) throws Exception {
        State before = state();
        FlatView view = memory.currentView();
        heard.clear();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, failing);
        assertTrue(e.getMessage().contains("'mirror'") && e.getMessage().contains("'mirror-host'")
                && e.getMessage().contains("rolled back"), e.getMessage());
        assertEquals(before, state(), "the tree, its printout and the views are as before the transaction");
        assertSame(view, memory.currentView(), "the published view is the very same object");
        assertEquals(List.of(), heard, "no listener heard of the failed transaction");
        assertFalse(sys.holdsUpdateLock(), "the failing thread released the update lock");
        long commits = sys.commitCount();
        CompletableFuture.runAsync(() -> { // another thread commits at once
            try (MemoryTransaction tx = sys.begin()) {
                pci.setNonvolatile(!pci.isNonvolatile());
            }
        }).get(10, TimeUnit.SECONDS);
        assertEquals(commits + 1, sys.commitCount());
        assertEquals(pci.isNonvolatile(), memory.currentView().lookup(0xfffc_0000L).nonvolatile());
        heard.clear();
        return e;
    }

    @Test
    void shouldRollBackAFailingMutatorOutsideATransaction() throws Exception {
        IllegalArgumentException e = rollsBack(this::poison);
        assertTrue(e.getMessage().contains("[0x20001000, 0x20002fff]") && e.getMessage().contains("'memory'"), e.getMessage());
        mirrorHost.addSubregion(mirror, 0x2000); // there its window [0x0, 0x1fff] does not reach it
        rollsBack(() -> mirror.setAddress(0x1000));
        rollsBack(() -> mirror.setAliasOffset(0x1000));
        mirror.setSize(0x800);
        mirror.setAliasOffset(0x800); // [0x800, 0xfff]
        rollsBack(() -> mirror.setSize(0x2000));
        mirror.setEnabled(false);
        mirror.setSize(0x2000); // disabled: not rendered, accepted
        rollsBack(() -> mirror.setEnabled(true));
        assertFalse(mirror.isEnabled());
    }

    @Test
    void shouldRollBackEveryKindOfChangeOfAFailingTransaction() throws Exception {
        EventNotifier kick = new EventNotifier();
        IllegalArgumentException e = rollsBack(() -> {
            try (MemoryTransaction tx = sys.begin()) {
                system.addSubregion(spare, 0x3000_0000);               // add
                pci.removeSubregion(isaBios);                           // remove
                bus.setAddress(0x1800_0000);                           // move
                system.removeSubregion(bus);                            // priority: re-added with another
                system.addSubregionOverlap(bus, 0x1000_0000, 7);
                pci.setEnabled(false);                                  // enable
                uart.setEnabled(false);
                isaBios.setAliasOffset(0x1_0000);                       // alias offset
                ram.setSize(0x8_0000);                                  // size
                ram.setReadonly(true);                                  // readonly
                bus.setNonvolatile(true);
                flash.setRomdMode(false);                               // romd
                uart.setLog(true, DirtyLogClient.VGA);                  // dirty-log request
                uart.addEventfd(0, 1, false, 0, kick);                  // ioeventfd
                ContainerRegion scratch = sys.container("scratch", 0x1000);
                bus.addSubregion(scratch, 0x8000);
                bus.removeSubregion(scratch);
                scratch.destroy();                                      // destroy (a container)
                system.removeSubregion(spare);
                spare.destroy();                                        // destroy (RAM: its block must survive)
                sys.addressSpace("late", bus);                          // a space made in the transaction
                poison();
            }
        });
        assertTrue(e.getMessage().contains("change(s) rolled back"), e.getMessage());
        assertFalse(spare.isDestroyed());
        spare.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 5); // its RAM was not released
        assertEquals(5, spare.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        assertEquals(List.of("memory"), sys.addressSpaces().stream().map(AddressSpace::name).toList());
        assertEquals(Set.of(), uart.dirtyLogClients());
        assertEquals(List.of(), uart.ioEventFds());
        int writes = DEVICE_WRITES.get();
        memory.st8(0x1000_03f8, 1); // the ioeventfd's short-circuit was withdrawn: the device gets the write
        assertEquals(writes + 1, DEVICE_WRITES.get());
        assertEquals(0, kick.signalCount());
        assertTrue(flash.isRomdMode());
        system.addSubregion(spare, 0x3000_0000); // everything still works
        assertEquals("spare", memory.currentView().lookup(0x3000_0000).region().name());
    }

    @Test
    void shouldEndANestedTransactionAtTheOutermostCloseAndLeaveTheSystemUsable() throws Exception {
        MemoryTransaction[] outer = new MemoryTransaction[1];
        rollsBack(() -> {
            outer[0] = sys.begin();
            try (MemoryTransaction inner = sys.begin()) {
                ram.setEnabled(false);
                poison();
            } // the inner close does not commit
            assertTrue(sys.holdsUpdateLock());
            outer[0].close();
        });
        outer[0].close(); // the transaction is over: a second close does nothing
        assertFalse(sys.holdsUpdateLock());
        ram.setEnabled(false);
        assertNull(memory.currentView().lookup(0x1000), "a hole now: the system works on");
    }

    @Test
    void shouldReleaseTheViewsAlreadyRenderedForOtherSpaces() throws Exception {
        ContainerRegion other = sys.container("other", 0x1_0000);
        other.addSubregion(sys.ram("other-ram", 0x1000), 0);
        other.addSubregion(sys.ram("other-ram2", 0x1000), 0x2000);
        AddressSpace second = sys.addressSpace("second", other);
        ContainerRegion loop = sys.container("loop", 0x1000);
        loop.addSubregion(sys.alias("self", loop, 0, 0x1000), 0x0); // not rendered yet
        sys.rcu().drain();
        long live = sys.nativeMemoryStats().liveBytes();
        try (MemoryTransaction tx = sys.begin()) {
            other.setReadonly(true); // the spaces render in creation order: memory and second get new
            ram.setReadonly(true);   // views with tables, then the third space fails
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                sys.addressSpace("third", loop);
                tx.close();
            });
            assertTrue(e.getMessage().contains("'third'") && e.getMessage().contains("'self'"), e.getMessage());
        }
        assertFalse(second.currentView().ranges().getFirst().readonly());
        sys.rcu().drain();
        assertEquals(live, sys.nativeMemoryStats().liveBytes(), "the views rendered before the failure were released");
    }

    @Test
    void shouldRollBackWhateverFailsBeforePublicationAndRethrowAnErrorAsItIs() throws Exception {
        State before = state();
        sys.viewContext().beforeTables = () -> {
            throw new IllegalStateException("no native memory for the tables");
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ram.setEnabled(false));
        assertTrue(e.getMessage().contains("rolled back") && e.getMessage().contains("'memory'")
                && e.getMessage().contains("no native memory"), e.getMessage());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        OutOfMemoryError oom = new OutOfMemoryError("simulated");
        sys.viewContext().beforeTables = () -> {
            throw oom;
        };
        try (MemoryTransaction tx = sys.begin()) {
            ram.setAddress(0x4000_0000);
            OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, tx::close);
            assertSame(oom, thrown, "an Error is rethrown as it is");
            assertTrue(thrown.getSuppressed()[0].getMessage().contains("1 change(s) rolled back"),
                    thrown.getSuppressed()[0].getMessage());
        }
        sys.viewContext().beforeTables = null;
        assertEquals(before, state());
        assertEquals(List.of(), heard);
        ram.setAddress(0x4000_0000);
        assertEquals("pc.ram", memory.currentView().lookup(0x4000_0000).region().name());
    }

    @Test
    void shouldKeepGlobalDirtyLoggingStartedInAFailedTransactionAndRenderItNextTime() throws Exception {
        try (MemoryTransaction tx = sys.begin()) {
            sys.startGlobalDirtyLog(Set.of(GlobalDirtyReason.MIGRATION));
            poison();
            assertThrows(IllegalArgumentException.class, tx::close);
        }
        assertEquals(Set.of(GlobalDirtyReason.MIGRATION), sys.globalDirtyLogReasons(), "not undone: listeners were told");
        assertEquals(0, memory.currentView().lookup(0).dirtyLogMask(), "the view is the old one");
        uart.setReadonly(true); // the next commit renders the pending change too
        assertEquals(DirtyLogClient.MIGRATION.bit(), memory.currentView().lookup(0).dirtyLogMask());
    }
}
