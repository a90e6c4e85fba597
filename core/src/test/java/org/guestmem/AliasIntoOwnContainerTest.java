package org.guestmem;

import static org.guestmem.Fixtures.OPS;
import static org.guestmem.Fixtures.TOP;
import static org.guestmem.Fixtures.r;
import static org.guestmem.Fixtures.ranges;
import static org.guestmem.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.mtree.MtreePrinter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Aliases whose target contains the alias, as QEMU renders them (QEMU 7.2's
 * {@code render_memory_region}: the alias's clip ends the recursion), and the structures whose
 * rendering would not end, refused at commit with the transaction rolled back. Every expected flat
 * view is worked out by hand from QEMU's rules.
 */
class AliasIntoOwnContainerTest {
    private MemorySystem sys;
    private ContainerRegion system;

    @BeforeEach
    void create() {
        sys = MemorySystem.create();
        system = sys.container("system", TOP);
    }

    @AfterEach
    void close() {
        sys.close();
    }

    /**
     * Arm SSE-200: container C holds alias 1 at 0x10000000 (priority -1500) onto C's
     * [0x0, 0xfffffff] and alias 2 at 0x30000000 onto C's [0x20000000, 0x2fffffff]; C's periph
     * container holds alias 3 at 0x8000000 onto its parent C's [0x40000000, +0x1000).
     */
    private record Sse200(ContainerRegion c, AliasRegion alias1, AliasRegion alias2, AliasRegion alias3,
                          MmioRegion mpc, ContainerRegion periph) {
    }

    private Sse200 buildSse200() {
        ContainerRegion c = sys.container("C", 0x1_0000_0000L);
        c.addSubregion(sys.ram("sram", 0x100_0000), 0x0);
        c.addSubregion(sys.ram("ssram", 0x100_0000), 0x2000_0000);
        MmioRegion mpc = sys.mmio("mpc", 0x1000, OPS);
        c.addSubregion(mpc, 0x1000_1000); // above alias 1 (priority 0 > -1500), outside its window
        ContainerRegion periph = sys.container("periph", 0x1000_0000);
        periph.addSubregion(sys.mmio("uart", 0x1000, OPS), 0x0);
        c.addSubregion(periph, 0x4000_0000);
        AliasRegion alias1 = sys.alias("alias 1", c, 0x0, 0x1000_0000);
        AliasRegion alias2 = sys.alias("alias 2", c, 0x2000_0000, 0x1000_0000);
        AliasRegion alias3 = sys.alias("alias 3", c, 0x4000_0000, 0x1000);
        c.addSubregionOverlap(alias1, 0x1000_0000, -1500);
        c.addSubregionOverlap(alias2, 0x3000_0000, -1500);
        periph.addSubregionOverlap(alias3, 0x800_0000, -1500);
        system.addSubregion(c, 0x0);
        return new Sse200(c, alias1, alias2, alias3, mpc, periph);
    }

    @Test
    void shouldRenderTheSse200PatternAsQemuDoes() {
        Sse200 m = buildSse200();
        AddressSpace as = sys.addressSpace("memory", system);
        assertEquals(List.of(
                r(0x0000_0000L, 0x00ff_ffffL, "sram", 0),
                r(0x1000_0000L, 0x1000_0fffL, "sram", 0),          // alias 1 shows C's [0, 0xfffffff]: sram
                r(0x1000_1000L, 0x1000_1fffL, "mpc", 0),           // C's own device wins over alias 1
                r(0x1000_2000L, 0x10ff_ffffL, "sram", 0x2000),
                r(0x2000_0000L, 0x20ff_ffffL, "ssram", 0),
                r(0x3000_0000L, 0x30ff_ffffL, "ssram", 0),         // alias 2 shows C's [0x20000000, ...]
                r(0x4000_0000L, 0x4000_0fffL, "uart", 0),
                r(0x4800_0000L, 0x4800_0fffL, "uart", 0)),         // alias 3 shows its grandparent's periph
                ranges(as));
        assertEquals(system, m.c().container().orElseThrow());
        assertSame(m.c(), m.alias1().container().orElseThrow(), "the alias lives inside its own target");
        assertTrue(m.c().isMapped());
    }

    @Test
    void shouldFollowChangesInsideTheAliasWindowOnTheNextCommit() {
        Sse200 m = buildSse200();
        AddressSpace as = sys.addressSpace("memory", system);
        m.alias1().setAliasOffset(0x2000_0000); // alias 1 now shows C's [0x20000000, 0x2fffffff]: ssram, under mpc
        assertEquals(List.of(r(0x1000_0000L, 0x1000_0fffL, "ssram", 0), r(0x1000_1000L, 0x1000_1fffL, "mpc", 0),
                r(0x1000_2000L, 0x10ff_ffffL, "ssram", 0x2000)), ranges(as).subList(1, 4));
        m.mpc().setAddress(0x1000); // into the part of C that alias 1 no longer shows, above sram (added later)
        assertEquals(List.of(r(0x0, 0xfff, "sram", 0), r(0x1000, 0x1fff, "mpc", 0), r(0x2000, 0xff_ffff, "sram", 0x2000),
                r(0x1000_0000L, 0x10ff_ffffL, "ssram", 0)), ranges(as).subList(0, 4));
        m.alias1().setAliasOffset(0x0); // and back: alias 1 shows sram with mpc on top of it
        assertEquals(List.of(r(0x1000_0000L, 0x1000_0fffL, "sram", 0), r(0x1000_1000L, 0x1000_1fffL, "mpc", 0),
                r(0x1000_2000L, 0x10ff_ffffL, "sram", 0x2000)), ranges(as).subList(3, 6));
    }

    @Test
    void shouldPrintTheSse200MachineWithItsAliasesIntoTheirOwnContainer() {
        buildSse200();
        sys.addressSpace("memory", system);
        String flat = MtreePrinter.flat(sys);
        assertTrue(flat.contains("  0000000010000000-0000000010000fff (prio 0, ram): sram\n"), flat);
        assertTrue(flat.contains("  0000000048000000-0000000048000fff (prio 0, i/o): uart\n"), flat);
        String tree = MtreePrinter.tree(sys, false);
        assertTrue(tree.contains("0000000010000000-000000001fffffff (prio -1500, i/o): alias alias 1 @C 0000000000000000-000000000fffffff"),
                tree);
        assertTrue(tree.contains("memory-region: C"), tree);
    }

    /** The machine of {@link #buildSse200}, as QEMU's {@code info mtree -D} prints it. */
    private static final String SSE_200_DUMP = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000000000-00000000ffffffff (prio 0, i/o): C
                  0000000000000000-0000000000ffffff (prio 0, ram): sram
                  0000000010000000-000000001fffffff (prio -1500, i/o): alias alias 1 @C 0000000000000000-000000000fffffff
                  0000000010001000-0000000010001fff (prio 0, i/o): mpc
                  0000000020000000-0000000020ffffff (prio 0, ram): ssram
                  0000000030000000-000000003fffffff (prio -1500, i/o): alias alias 2 @C 0000000020000000-000000002fffffff
                  0000000040000000-000000004fffffff (prio 0, i/o): periph
                    0000000040000000-0000000040000fff (prio 0, i/o): uart
                    0000000048000000-0000000048000fff (prio -1500, i/o): alias alias 3 @C 0000000040000000-0000000040000fff

            memory-region: C
              0000000000000000-00000000ffffffff (prio 0, i/o): C
                0000000000000000-0000000000ffffff (prio 0, ram): sram
                0000000010000000-000000001fffffff (prio -1500, i/o): alias alias 1 @C 0000000000000000-000000000fffffff
                0000000010001000-0000000010001fff (prio 0, i/o): mpc
                0000000020000000-0000000020ffffff (prio 0, ram): ssram
                0000000030000000-000000003fffffff (prio -1500, i/o): alias alias 2 @C 0000000020000000-000000002fffffff
                0000000040000000-000000004fffffff (prio 0, i/o): periph
                  0000000040000000-0000000040000fff (prio 0, i/o): uart
                  0000000048000000-0000000048000fff (prio -1500, i/o): alias alias 3 @C 0000000040000000-0000000040000fff

            """;

    /** Its {@code info mtree -f}, worked out by hand from QEMU's rules (the flatview root is C: system's only child). */
    private static final String SSE_200_FLAT = """
            FlatView #0
             AS "memory", root: system
             Root memory region: C
              0000000000000000-0000000000ffffff (prio 0, ram): sram
              0000000010000000-0000000010000fff (prio 0, ram): sram
              0000000010001000-0000000010001fff (prio 0, i/o): mpc
              0000000010002000-0000000010ffffff (prio 0, ram): sram @0000000000002000
              0000000020000000-0000000020ffffff (prio 0, ram): ssram
              0000000030000000-0000000030ffffff (prio 0, ram): ssram
              0000000040000000-0000000040000fff (prio 0, i/o): uart
              0000000048000000-0000000048000fff (prio 0, i/o): uart

            """;

    @Test
    void shouldImportTheSse200DumpAndPrintTheFlatViewQemuPrints() {
        buildSse200();
        sys.addressSpace("memory", system);
        assertEquals(SSE_200_DUMP, MtreePrinter.tree(sys, true), "the dump is what the API-built machine prints");
        assertEquals(SSE_200_FLAT, MtreePrinter.flat(sys));
        try (ImportedMachine m = MtreeImporter.importText(SSE_200_DUMP, null, MemorySystem.builder())) {
            assertEquals(SSE_200_FLAT, MtreePrinter.flat(m.system()));
            assertEquals(SSE_200_DUMP, MtreePrinter.tree(m.system(), true));
        }
    }

    // ------------------------------------------------------------------ accepted where QEMU renders

    @Test
    void shouldAcceptAnAliasOfAnAncestorWhoseWindowDoesNotReachTheAlias() {
        ContainerRegion pci = sys.container("pci", TOP);
        RamRegion ram = sys.ram("ram", 0x10_0000);
        system.addSubregion(ram, 0);
        system.addSubregionOverlap(pci, 0, -1);
        AliasRegion wholeSystem = sys.alias("system-alias", system, 0, TOP);
        AliasRegion peek = sys.alias("peek", wholeSystem, 0x1000, 0x1000); // system's [0x1000, 0x1fff]: ram
        pci.addSubregion(peek, 0x20_0000);
        AddressSpace as = sys.addressSpace("memory", system);
        assertEquals(List.of(r(0x0, 0xf_ffff, "ram", 0), r(0x20_0000, 0x20_0fff, "ram", 0x1000)), ranges(as));
    }

    @Test
    void shouldAcceptAnAliasOfItsOwnContainerInsideADisabledContainerAndRefuseItWhenEnabled() {
        ContainerRegion c = sys.container("C", 0x10000);
        c.setEnabled(false);
        system.addSubregion(c, 0x0);
        AddressSpace as = sys.addressSpace("memory", system);
        AliasRegion self = sys.alias("self", c, 0x0, 0x2000);
        c.addSubregion(self, 0x1000); // not rendered: accepted
        assertSame(c, self.container().orElseThrow());
        FlatView before = as.currentView();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setEnabled(true));
        assertTrue(e.getMessage().contains("'self'") && e.getMessage().contains("'C'"), e.getMessage());
        assertFalse(c.isEnabled(), "the refused commit rolled the change back");
        assertSame(before, as.currentView());
    }

    // ------------------------------------------------------------------ refused: the rendering would not end

    /** Runs {@code bad}, expects the refusal naming {@code fragments}, and nothing changed (regions, views, printout). */
    private IllegalArgumentException refuses(Executable bad, String... fragments) {
        Fixtures.Snapshot before = snapshot(sys, system);
        String tree = MtreePrinter.tree(sys, true);
        String flat = MtreePrinter.flat(sys);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message should name " + f + ": " + e.getMessage());
        }
        assertEquals(before, snapshot(sys, system), "a refused commit leaves every region and view as it was");
        assertEquals(tree, MtreePrinter.tree(sys, true));
        assertEquals(flat, MtreePrinter.flat(sys));
        return e;
    }

    @Test
    void shouldRefuseAnAliasThatIsItsOwnWindow() {
        ContainerRegion c = sys.container("C", 0x1000);
        system.addSubregion(c, 0x8000);
        AddressSpace as = sys.addressSpace("memory", system);
        AliasRegion self = sys.alias("self", c, 0x0, 0x1000);
        IllegalArgumentException e = refuses(() -> c.addSubregion(self, 0x0), "'self'", "'C'", "0x8000");
        assertTrue(e.getMessage().contains("commit refused"), e.getMessage());
        assertFalse(self.container().isPresent());
        assertEquals(List.of(), ranges(as));
    }

    @Test
    void shouldRefuseAnAliasThatIsItsOwnWindowAsTheFlatviewRootOfASpace() {
        ContainerRegion c = sys.container("C", 0x1000);
        AliasRegion self = sys.alias("self", c, 0x0, 0x1000);
        c.addSubregion(self, 0x0); // in no address space: never rendered, accepted
        // C's only child covers it and is an alias covering C: the flatview root cannot be found
        refuses(() -> sys.addressSpace("loop", c), "'self'", "'C'", "flatview root");
        assertTrue(sys.addressSpaces().isEmpty(), "no address space was created");
        AddressSpace[] made = new AddressSpace[2];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (MemoryTransaction tx = sys.begin()) {
                made[0] = sys.addressSpace("other", system);
                made[1] = sys.addressSpace("loop", c); // inside a transaction: refused at the commit
                assertTrue(made[1].currentView().ranges().isEmpty());
            }
        });
        assertTrue(e.getMessage().contains("'loop'") && e.getMessage().contains("'self'"), e.getMessage());
        assertEquals(List.of(), sys.addressSpaces(), "both spaces made in the refused transaction are gone");
        assertTrue(made[0].isDestroyed() && made[1].isDestroyed());
        assertEquals(0, c.addressSpaceRoots, "C is no space's root any more: it may be destroyed");
    }

    @Test
    void shouldRefuseTwoAliasesOntoEachOther() {
        ContainerRegion c1 = sys.container("C1", 0x1000);
        ContainerRegion c2 = sys.container("C2", 0x1000);
        system.addSubregion(c1, 0x1_0000);
        sys.addressSpace("memory", system);
        AliasRegion a1 = sys.alias("a1", c2, 0x0, 0x1000);
        AliasRegion a2 = sys.alias("a2", c1, 0x0, 0x1000);
        c2.addSubregion(a2, 0x0); // C2 is not rendered yet
        refuses(() -> c1.addSubregion(a1, 0x0), "'a1'", "'C2'", "'a2'", "'C1'", "0x10000");
        assertFalse(a1.isMapped() || a1.container().isPresent());
    }

    @Test
    void shouldRefuseAnAliasThatShowsItselfInsideItsWindowWhereQemuWouldRecurseTwice() {
        // alias at 0x1000 of C shows C's [0x0, 0x1fff]: itself at 0x1000 again, one level deeper
        // (QEMU renders it twice before the clip is empty; guestmem refuses every re-entry)
        ContainerRegion c = sys.container("C", 0x4000);
        c.addSubregion(sys.ram("r", 0x1000), 0x0);
        system.addSubregion(c, 0x0);
        sys.addressSpace("memory", system);
        AliasRegion a = sys.alias("mirror", c, 0x0, 0x2000);
        refuses(() -> c.addSubregion(a, 0x1000), "'mirror'", "'C'", "[0x1000, 0x2fff]", "[0x2000, 0x2fff]");
        refuses(() -> {
            try (MemoryTransaction tx = sys.begin()) {
                c.addSubregion(a, 0x3000); // fine here: the window [0, 0x1fff] does not reach 0x3000
                a.setAddress(0x1000);      // and now it does
            }
        }, "'mirror'");
        c.addSubregion(a, 0x3000);
        assertEquals(List.of(r(0x0, 0xfff, "r", 0), r(0x3000, 0x3fff, "r", 0)), ranges(sys.addressSpaces().getFirst()));
    }

    @Test
    void shouldStillRefuseARegionAddedIntoItselfOrItsDescendantsAtOnce() {
        ContainerRegion bus = sys.container("bus", 0x1_0000);
        ContainerRegion leaf = sys.container("leaf", 0x1000);
        system.addSubregion(bus, 0);
        bus.addSubregion(leaf, 0);
        IllegalArgumentException self = assertThrows(IllegalArgumentException.class, () -> leaf.addSubregion(leaf, 0));
        assertTrue(self.getMessage().contains("'leaf'"), self.getMessage());
        IllegalArgumentException up = assertThrows(IllegalArgumentException.class, () -> leaf.addSubregion(system, 0));
        assertTrue(up.getMessage().contains("'system'") && up.getMessage().contains("'leaf'"), up.getMessage());
        assertTrue(leaf.subregions().isEmpty());
    }
}
