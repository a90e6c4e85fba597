package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.guestmem.AliasRegion;
import org.guestmem.ContainerRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;
import org.guestmem.RomDeviceRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code info mtree} text (QEMU's {@code mtree_info}), with the expected text written from QEMU's
 * rules: tree child order, {@code [disabled]}, children of hidden parents, the alias queue and its
 * {@code memory-region:} blocks, type words and {@code nv-}, {@code @offset}, the flatview root
 * line, {@code No rendered FlatView}, and the overflow marker.
 */
class MtreePrinterTest {
    private static final long TOP = MemoryRegion.SIZE_2_64;
    private static final MemoryRegionOps OPS = MemoryRegionOps.builder().read((a, s) -> 0).write((a, v, s) -> { }).build();

    private MemorySystem sys;

    @BeforeEach
    void create() {
        sys = MemorySystem.create();
    }

    @AfterEach
    void close() {
        sys.close();
    }

    /** A PC-like map, its regions added in an order that differs from the print order. */
    private void buildPc() {
        ContainerRegion system = sys.container("system", TOP);
        RamRegion ram = sys.ram("pc.ram", 0x100000);
        ContainerRegion pci = sys.container("pci", TOP);
        RamRegion bios = sys.rom("pc.bios", 0x40000);
        RamRegion pcRom = sys.rom("pc.rom", 0x20000);
        system.addSubregion(sys.alias("ram-below-4g", ram, 0, 0x100000), 0);
        system.addSubregionOverlap(pci, 0, -1);
        pci.addSubregion(bios, 0xfffc0000L);
        pci.addSubregionOverlap(sys.alias("isa-bios", bios, 0x20000, 0x20000), 0xe0000, 1);
        pci.addSubregionOverlap(pcRom, 0xc0000, 1);
        system.addSubregionOverlap(sys.alias("smram-region", pci, 0xa0000, 0x20000), 0xa0000, 1);
        AliasRegion pamPci = sys.alias("pam-pci", pci, 0xc0000, 0x4000);
        system.addSubregionOverlap(pamPci, 0xc0000, 1);
        system.addSubregionOverlap(sys.alias("pam-ram", ram, 0xc0000, 0x4000), 0xc0000, 1);
        pamPci.setEnabled(false);

        MmioRegion io = sys.mmio("io", 0x10000, OPS);
        io.addSubregion(sys.mmio("pic", 2, OPS), 0x20);
        ContainerRegion pm = sys.container("piix4-pm", 0x40);
        pm.addSubregion(sys.mmio("acpi-evt", 4, OPS), 0);
        pm.addSubregion(sys.mmio("acpi-cnt", 2, OPS), 4);
        io.addSubregion(pm, 0x600);
        pm.setEnabled(false);

        sys.addressSpace("memory", system);
        sys.addressSpace("cpu-memory-0", system);
        sys.addressSpace("I/O", io);
    }

    @Test
    void shouldPrintTheTreeWithDisabledRegionsLikeQemu() {
        buildPc();
        assertEquals("""
                address-space: cpu-memory-0
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-00000000000fffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-00000000000fffff
                    0000000000000000-ffffffffffffffff (prio -1, i/o): pci
                      00000000000c0000-00000000000dffff (prio 1, rom): pc.rom
                      00000000000e0000-00000000000fffff (prio 1, rom): alias isa-bios @pc.bios 0000000000020000-000000000003ffff
                      00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios
                    00000000000a0000-00000000000bffff (prio 1, i/o): alias smram-region @pci 00000000000a0000-00000000000bffff
                    00000000000c0000-00000000000c3fff (prio 1, ram): alias pam-ram @pc.ram 00000000000c0000-00000000000c3fff
                    00000000000c0000-00000000000c3fff (prio 1, i/o): alias pam-pci @pci 00000000000c0000-00000000000c3fff [disabled]

                address-space: I/O
                  0000000000000000-000000000000ffff (prio 0, i/o): io
                    0000000000000020-0000000000000021 (prio 0, i/o): pic
                    0000000000000600-000000000000063f (prio 0, i/o): piix4-pm [disabled]
                      0000000000000600-0000000000000603 (prio 0, i/o): acpi-evt
                      0000000000000604-0000000000000605 (prio 0, i/o): acpi-cnt

                memory-region: pc.ram
                  0000000000000000-00000000000fffff (prio 0, ram): pc.ram

                memory-region: pc.bios
                  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios

                memory-region: pci
                  0000000000000000-ffffffffffffffff (prio -1, i/o): pci
                    00000000000c0000-00000000000dffff (prio 1, rom): pc.rom
                    00000000000e0000-00000000000fffff (prio 1, rom): alias isa-bios @pc.bios 0000000000020000-000000000003ffff
                    00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios

                """, MtreePrinter.tree(sys, true));
    }

    @Test
    void shouldHideDisabledRegionsButNotTheirChildrenWithoutD() {
        buildPc();
        String tree = MtreePrinter.tree(sys, false);
        assertFalse(tree.contains("[disabled]"), tree);
        assertFalse(tree.contains("pam-pci"), tree);
        assertFalse(tree.contains("piix4-pm"), tree);
        assertTrue(tree.contains("""
                address-space: I/O
                  0000000000000000-000000000000ffff (prio 0, i/o): io
                    0000000000000020-0000000000000021 (prio 0, i/o): pic
                      0000000000000600-0000000000000603 (prio 0, i/o): acpi-evt
                      0000000000000604-0000000000000605 (prio 0, i/o): acpi-cnt

                """), tree);
    }

    @Test
    void shouldQueueTheTargetOfAHiddenAliasAndFollowAliasesInsideQueuedBlocks() {
        ContainerRegion system = sys.container("system", TOP);
        ContainerRegion smram = sys.container("smram", 0x20000);
        RamRegion ram = sys.ram("ram", 0x10000);
        smram.addSubregion(sys.alias("smram-low", ram, 0, 0x10000), 0);
        AliasRegion hidden = sys.alias("smram-alias", smram, 0, 0x20000);
        system.addSubregion(hidden, 0xa0000);
        hidden.setEnabled(false);
        sys.addressSpace("memory", system);
        assertEquals("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system

                memory-region: smram
                  0000000000000000-000000000001ffff (prio 0, i/o): smram
                    0000000000000000-000000000000ffff (prio 0, ram): alias smram-low @ram 0000000000000000-000000000000ffff

                memory-region: ram
                  0000000000000000-000000000000ffff (prio 0, ram): ram

                """, MtreePrinter.tree(sys, false));
    }

    @Test
    void shouldOrderChildrenByAddressThenPriorityKeepingListOrderOnTies() {
        ContainerRegion root = sys.container("root", 0x10000);
        root.addSubregion(sys.mmio("a", 0x100, OPS), 0x2000);
        root.addSubregion(sys.mmio("b", 0x100, OPS), 0x1000);
        root.addSubregionOverlap(sys.mmio("c", 0x100, OPS), 0x1000, 5);
        root.addSubregion(sys.mmio("d", 0x100, OPS), 0x1000); // newest of prio 0 at 0x1000: printed before b
        root.addSubregionOverlap(sys.mmio("e", 0x100, OPS), 0x1000, -3);
        sys.addressSpace("as", root);
        assertEquals("""
                address-space: as
                  0000000000000000-000000000000ffff (prio 0, i/o): root
                    0000000000001000-00000000000010ff (prio 5, i/o): c
                    0000000000001000-00000000000010ff (prio 0, i/o): d
                    0000000000001000-00000000000010ff (prio 0, i/o): b
                    0000000000001000-00000000000010ff (prio -3, i/o): e
                    0000000000002000-00000000000020ff (prio 0, i/o): a

                """, MtreePrinter.tree(sys, true));
    }

    @Test
    void shouldGroupSpacesOfOneRootSortedByteWise() {
        ContainerRegion root = sys.container("root", 0x1000);
        sys.addressSpace("memory", root);
        sys.addressSpace("cpu-memory-0", root);
        sys.addressSpace("Zeta", root);
        sys.addressSpace("cpu-memory-1", root);
        assertEquals("""
                address-space: Zeta
                address-space: cpu-memory-0
                address-space: cpu-memory-1
                address-space: memory
                  0000000000000000-0000000000000fff (prio 0, i/o): root

                """, MtreePrinter.tree(sys, true));
    }

    @Test
    void shouldPrintTheRegionsOwnNonvolatileFlagInTheTreeAndThePropagatedOneInTheFlatView() {
        ContainerRegion root = sys.container("root", TOP);
        RamRegion nvram = sys.ram("nvram", 0x1000);
        nvram.setNonvolatile(true);
        root.addSubregion(nvram, 0x1000);
        root.addSubregion(sys.alias("plain-alias", nvram, 0, 0x1000), 0x2000);
        RamRegion ram = sys.ram("ram", 0x1000);
        AliasRegion nvAlias = sys.alias("nv-alias", ram, 0, 0x1000);
        nvAlias.setNonvolatile(true);
        root.addSubregion(nvAlias, 0x3000);
        sys.addressSpace("memory", root);
        assertEquals("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): root
                    0000000000001000-0000000000001fff (prio 0, nv-ram): nvram
                    0000000000002000-0000000000002fff (prio 0, ram): alias plain-alias @nvram 0000000000000000-0000000000000fff
                    0000000000003000-0000000000003fff (prio 0, nv-ram): alias nv-alias @ram 0000000000000000-0000000000000fff

                memory-region: nvram
                  0000000000001000-0000000000001fff (prio 0, nv-ram): nvram

                memory-region: ram
                  0000000000000000-0000000000000fff (prio 0, ram): ram

                """, MtreePrinter.tree(sys, true));
        assertEquals("""
                FlatView #0
                 AS "memory", root: root
                 Root memory region: root
                  0000000000001000-0000000000001fff (prio 0, nv-ram): nvram
                  0000000000002000-0000000000002fff (prio 0, nv-ram): nvram
                  0000000000003000-0000000000003fff (prio 0, nv-ram): ram

                """, MtreePrinter.flat(sys));
    }

    @Test
    void shouldMarkOverflowingLinesEvenWhenTheLineIsHidden() {
        ContainerRegion root = sys.container("root", TOP);
        ContainerRegion box = sys.container("box", 0x2000);
        root.addSubregion(box, 0x2000);
        box.addSubregion(sys.mmio("wrapped", 0x1000, OPS), 0xfffffffffffff000L); // start wraps below its base
        ContainerRegion box2 = sys.container("box2", 0x2000);
        root.addSubregion(box2, 0x1000);
        MmioRegion hidden = sys.mmio("hidden", 0x1000, OPS);
        box2.addSubregion(hidden, 0xffffffffffffe800L); // end wraps below its start
        hidden.setEnabled(false);
        sys.addressSpace("as", root);
        assertEquals("""
                address-space: as
                  0000000000000000-ffffffffffffffff (prio 0, i/o): root
                    0000000000001000-0000000000002fff (prio 0, i/o): box2
                [DETECTED OVERFLOW!]       fffffffffffff800-00000000000007ff (prio 0, i/o): hidden [disabled]
                    0000000000002000-0000000000003fff (prio 0, i/o): box
                [DETECTED OVERFLOW!]       0000000000001000-0000000000001fff (prio 0, i/o): wrapped

                """, MtreePrinter.tree(sys, true));
        assertEquals("""
                address-space: as
                  0000000000000000-ffffffffffffffff (prio 0, i/o): root
                    0000000000001000-0000000000002fff (prio 0, i/o): box2
                [DETECTED OVERFLOW!]     0000000000002000-0000000000003fff (prio 0, i/o): box
                [DETECTED OVERFLOW!]       0000000000001000-0000000000001fff (prio 0, i/o): wrapped

                """, MtreePrinter.tree(sys, false));
    }

    // ------------------------------------------------------------------ flat

    @Test
    void shouldPrintFlatViewsLikeQemu() {
        ContainerRegion system = sys.container("system", TOP);
        RamRegion ram = sys.ram("pc.ram", 0x100000);
        system.addSubregion(sys.alias("ram-below-4g", ram, 0, 0x100000), 0);
        AliasRegion pamRom = sys.alias("pam-rom", ram, 0xc0000, 0x4000);
        pamRom.setReadonly(true);
        system.addSubregionOverlap(pamRom, 0xc0000, 1);
        RamRegion nvram = sys.ram("nvram", 0x1000);
        nvram.setNonvolatile(true);
        system.addSubregion(nvram, 0x200000);
        system.addSubregionOverlap(sys.romDevice("flash", 0x10000, OPS), 0xffff0000L, 2);
        RomDeviceRegion flash2 = sys.romDevice("flash2", 0x1000, OPS);
        system.addSubregion(flash2, 0xfffe0000L);
        flash2.setRomdMode(false);
        ContainerRegion roBox = sys.container("ro-box", 0x1000);
        roBox.setReadonly(true);
        roBox.addSubregion(sys.mmio("ro-dev", 0x1000, OPS), 0);
        system.addSubregion(roBox, 0x300000);

        MmioRegion io = sys.mmio("io", 0x10000, OPS);
        io.addSubregionOverlap(sys.mmio("pic", 2, OPS), 0x20, 1);

        ContainerRegion busMaster = sys.container("bus master container", TOP);
        AliasRegion busMasterAlias = sys.alias("bus master", system, 0, TOP);
        busMaster.addSubregion(busMasterAlias, 0);
        busMasterAlias.setEnabled(false);

        sys.addressSpace("memory", system);
        sys.addressSpace("cpu-memory-0", system);
        sys.addressSpace("I/O", io);
        sys.addressSpace("dma", sys.alias("dma-window", system, 0, 0x100000));
        sys.addressSpace("i440FX", busMaster);
        sys.addressSpace("whole", sys.alias("whole", system, 0, TOP));
        sys.addressSpace("PIIX3", busMaster);
        assertEquals("""
                FlatView #0
                 AS "memory", root: system
                 AS "cpu-memory-0", root: system
                 AS "whole", root: whole, alias system
                 Root memory region: system
                  0000000000000000-00000000000bffff (prio 0, ram): pc.ram
                  00000000000c0000-00000000000c3fff (prio 0, rom): pc.ram @00000000000c0000
                  00000000000c4000-00000000000fffff (prio 0, ram): pc.ram @00000000000c4000
                  0000000000200000-0000000000200fff (prio 0, nv-ram): nvram
                  0000000000300000-0000000000300fff (prio 0, rom): ro-dev
                  00000000fffe0000-00000000fffe0fff (prio 0, i/o): flash2
                  00000000ffff0000-00000000ffffffff (prio 2, romd): flash

                FlatView #1
                 AS "I/O", root: io
                 Root memory region: io
                  0000000000000000-000000000000001f (prio 0, i/o): io
                  0000000000000020-0000000000000021 (prio 1, i/o): pic
                  0000000000000022-000000000000ffff (prio 0, i/o): io @0000000000000022

                FlatView #2
                 AS "dma", root: dma-window, alias system
                 Root memory region: dma-window
                  0000000000000000-00000000000bffff (prio 0, ram): pc.ram
                  00000000000c0000-00000000000c3fff (prio 0, rom): pc.ram @00000000000c0000
                  00000000000c4000-00000000000fffff (prio 0, ram): pc.ram @00000000000c4000

                FlatView #3
                 AS "i440FX", root: bus master container
                 AS "PIIX3", root: bus master container
                 Root memory region: (none)
                  No rendered FlatView

                """, MtreePrinter.flat(sys));
    }

    @Test
    void shouldNameTheReducedFlatviewRootInTheFlatView() {
        ContainerRegion system = sys.container("system", TOP);
        system.addSubregion(sys.ram("s390.ram", 0x8000000), 0);
        sys.addressSpace("memory", system);
        assertEquals("""
                FlatView #0
                 AS "memory", root: system
                 Root memory region: s390.ram
                  0000000000000000-0000000007ffffff (prio 0, ram): s390.ram

                """, MtreePrinter.flat(sys));
    }

    @Test
    void shouldPrintTypeWordsFollowingAliasesToTheirFinalTarget() {
        RomDeviceRegion flash = sys.romDevice("flash", 0x1000, OPS);
        AliasRegion a1 = sys.alias("a1", flash, 0, 0x1000);
        AliasRegion a2 = sys.alias("a2", a1, 0, 0x1000);
        assertEquals("romd", MtreePrinter.typeWord(a2));
        flash.setRomdMode(false);
        assertEquals("i/o", MtreePrinter.typeWord(a2));
        RamRegion ram = sys.ram("ram", 0x1000);
        assertEquals("ram", MtreePrinter.typeWord(sys.alias("r", ram, 0, 0x1000)));
        ram.setReadonly(true);
        assertEquals("rom", MtreePrinter.typeWord(ram));
        assertEquals("i/o", MtreePrinter.typeWord(sys.container("c", 0x1000)));
        assertEquals("i/o", MtreePrinter.typeWord(sys.reservation("res", 0x1000)));
    }

    @Test
    void shouldPrintNullNamesAsNull() {
        ContainerRegion root = sys.container(null, 0x10000);
        root.addSubregion(sys.mmio(null, 0x10, OPS), 0x10);
        root.addSubregion(sys.mmio("named", 0x10, OPS), 0x20);
        sys.addressSpace(null, root);
        assertEquals("""
                address-space: anonymous
                  0000000000000000-000000000000ffff (prio 0, i/o): (null)
                    0000000000000010-000000000000001f (prio 0, i/o): (null)
                    0000000000000020-000000000000002f (prio 0, i/o): named

                """, MtreePrinter.tree(sys, true));
        assertEquals("""
                FlatView #0
                 AS "anonymous", root: (null)
                 Root memory region: (null)
                  0000000000000010-000000000000001f (prio 0, i/o): (null)
                  0000000000000020-000000000000002f (prio 0, i/o): named

                """, MtreePrinter.flat(sys));
    }
}
