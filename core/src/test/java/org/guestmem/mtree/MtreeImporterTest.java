package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.guestmem.AddressSpace;
import org.guestmem.AliasRegion;
import org.guestmem.ContainerRegion;
import org.guestmem.FlatRange;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;
import org.guestmem.RomDeviceRegion;
import org.junit.jupiter.api.Test;

/**
 * The import rules on small hand-written dumps: what the dump says (kinds, aliases,
 * identity with {@code memory-region:} blocks, root addresses, {@code [disabled]}, repeated names)
 * and what is inferred (terminating i/o regions, the order of equal-priority siblings).
 */
class MtreeImporterTest {

    private static ImportedMachine importText(String tree, String flatHint) {
        return MtreeImporter.importText(tree, flatHint, MemorySystem.builder());
    }

    /** Ranges as {@code "start-last name@offset"} in hex, in address order. */
    private static List<String> ranges(AddressSpace as) {
        return as.currentView().ranges().stream()
                .map(r -> Long.toHexString(r.start()) + "-" + Long.toHexString(r.last()) + " " + r.region().name()
                        + "@" + Long.toHexString(r.offsetInRegion()))
                .toList();
    }

    private static MemoryRegion child(MemoryRegion parent, String name) {
        return parent.subregions().stream().filter(r -> name.equals(r.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no child " + name + " in " + parent.subregions()));
    }

    private static final String DEVICES = """
            address-space: memory
              0000000000000000-ffffffffffffffff (prio 0, i/o): system
                0000000000000000-0000000000000fff (prio 0, ram): ram
                0000000000001000-0000000000001fff (prio 0, i/o): dev
                0000000000010000-000000000001ffff (prio 0, i/o): bus
                  0000000000010000-00000000000100ff (prio 0, i/o): bus-dev

            """;

    @Test
    void shouldMakeLeavesTerminateAndParentsContainersWithoutAHint() {
        try (ImportedMachine m = importText(DEVICES, null)) {
            AddressSpace memory = m.addressSpaces().getFirst();
            MemoryRegion system = memory.root();
            assertInstanceOf(ContainerRegion.class, system);
            assertInstanceOf(RamRegion.class, child(system, "ram"));
            MemoryRegion dev = child(system, "dev");
            assertInstanceOf(MmioRegion.class, dev);
            assertNotNull(m.stub(dev), "terminating i/o regions get a stub");
            MemoryRegion bus = child(system, "bus");
            assertInstanceOf(ContainerRegion.class, bus);
            assertNull(m.stub(bus));
            assertEquals(List.of("0-fff ram@0", "1000-1fff dev@0", "10000-100ff bus-dev@0"), ranges(memory));
        }
    }

    @Test
    void shouldMakeAnIoRegionTerminateExactlyWhenTheFlatHintShowsItWithItsPriority() {
        String hint = """
                FlatView #0
                 AS "memory", root: system
                 Root memory region: system
                  0000000000000000-0000000000000fff (prio 0, ram): ram
                  0000000000001000-0000000000001fff (prio 0, i/o): dev
                  0000000000010000-00000000000100ff (prio 0, i/o): bus-dev
                  0000000000010100-000000000001ffff (prio 0, i/o): bus @0000000000000100

                """;
        try (ImportedMachine m = importText(DEVICES, hint)) {
            AddressSpace memory = m.addressSpaces().getFirst();
            assertInstanceOf(MmioRegion.class, child(memory.root(), "bus"), "bus appears as an i/o range");
            assertEquals(List.of("0-fff ram@0", "1000-1fff dev@0", "10000-100ff bus-dev@0", "10100-1ffff bus@100"),
                    ranges(memory));
        }
        // a hint with 'dev' at another priority only: dev is then a container (it shows nothing)
        String otherPrio = hint.replace("(prio 0, i/o): dev", "(prio 3, i/o): dev");
        try (ImportedMachine m = importText(DEVICES, otherPrio)) {
            AddressSpace memory = m.addressSpaces().getFirst();
            assertInstanceOf(ContainerRegion.class, child(memory.root(), "dev"));
        }
    }

    @Test
    void shouldResolveAliasesToTheirBlocksAndReuseTheRegionPrintedInATree() {
        String tree = """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, ram): alias ram-lo @pc.ram 0000000000000000-0000000000000fff
                    00000000000e0000-00000000000fffff (prio 1, rom): alias isa-bios @pc.bios 0000000000020000-000000000003ffff
                    00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios

                memory-region: pc.ram
                  0000000000000000-0000000000001fff (prio 0, ram): pc.ram

                memory-region: pc.bios
                  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios

                """;
        try (ImportedMachine m = importText(tree, null)) {
            MemoryRegion system = m.addressSpaces().getFirst().root();
            AliasRegion ramLo = assertInstanceOf(AliasRegion.class, child(system, "ram-lo"));
            AliasRegion isaBios = assertInstanceOf(AliasRegion.class, child(system, "isa-bios"));
            MemoryRegion bios = child(system, "pc.bios");
            assertSame(bios, isaBios.target(), "pc.bios of the tree is the memory-region block's pc.bios");
            assertEquals(0x20000, isaBios.aliasOffset());
            assertEquals(1, isaBios.priority());
            assertEquals("pc.ram", ramLo.target().name());
            assertEquals(0x2000, ramLo.target().size());
            assertFalse(ramLo.target().container().isPresent());
            assertTrue(((RamRegion) bios).isRom());
            assertEquals(List.of("0-fff pc.ram@0", "e0000-fffff pc.bios@20000", "fffc0000-ffffffff pc.bios@0"),
                    ranges(m.addressSpaces().getFirst()));
            assertEquals(MtreeText.blocks(tree), MtreeText.blocks(MtreePrinter.tree(m.system(), true)));
        }
    }

    @Test
    void shouldKeepTheAddressOfARootPrintedAtANonZeroAddress() {
        String tree = """
                address-space: lsi-pci-io
                  0000000043000000-000000004300ffff (prio 0, i/o): pci_io
                    0000000043000010-000000004300001f (prio 0, i/o): dev-a
                    0000000043000020-000000004300002f (prio 0, i/o): dev-b

                """;
        try (ImportedMachine m = importText(tree, null)) {
            AddressSpace as = m.addressSpaces().getFirst();
            assertEquals(0x43000000L, as.root().address());
            assertEquals(0x10, child(as.root(), "dev-a").address());
            assertEquals(List.of("43000010-4300001f dev-a@0", "43000020-4300002f dev-b@0"), ranges(as));
            assertEquals(tree, MtreePrinter.tree(m.system(), true));
        }
    }

    @Test
    void shouldApplyDisabledAndAllowRepeatedAddressSpaceNames() {
        String tree = """
                address-space: bus master container
                  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container
                    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @system 0000000000000000-ffffffffffffffff [disabled]

                address-space: bus master container
                  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container
                    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @system 0000000000000000-ffffffffffffffff

                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, ram): ram

                memory-region: system
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, ram): ram

                """;
        try (ImportedMachine m = importText(tree, null)) {
            List<AddressSpace> spaces = m.addressSpaces();
            assertEquals(List.of("bus master container", "bus master container", "memory"),
                    spaces.stream().map(AddressSpace::name).toList());
            assertFalse(child(spaces.get(0).root(), "bus master").isEnabled());
            assertSame(m.system().emptyView(), spaces.get(0).currentView());
            assertEquals(List.of("0-fff ram@0"), ranges(spaces.get(1)));
            assertSame(spaces.get(1).currentView(), spaces.get(2).currentView(), "both reduce to ram");
            assertSame(spaces.get(2).root(), ((AliasRegion) child(spaces.get(1).root(), "bus master")).target());
        }
    }

    @Test
    void shouldImportRomdNonvolatileAndRamdRegions() {
        String tree = """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000003ffffff (prio 0, romd): flash
                    0000000004000000-0000000004000fff (prio 0, nv-ram): nvdimm
                    0000000005000000-0000000005000fff (prio 0, ramd): bar

                """;
        try (ImportedMachine m = importText(tree, null)) {
            MemoryRegion system = m.addressSpaces().getFirst().root();
            RomDeviceRegion flash = assertInstanceOf(RomDeviceRegion.class, child(system, "flash"));
            assertTrue(flash.isRomdMode());
            assertNotNull(m.stub(flash));
            assertTrue(child(system, "nvdimm").isNonvolatile());
            assertInstanceOf(RamRegion.class, child(system, "bar"));
            FlatRange nv = m.addressSpaces().getFirst().currentView().lookup(0x4000000);
            assertTrue(nv.nonvolatile());
        }
    }

    @Test
    void shouldImportOverflowingLinesAtTheirWrappedOffsets() {
        String tree = """
                address-space: as
                  0000000000000000-ffffffffffffffff (prio 0, i/o): root
                    0000000000001000-0000000000002fff (prio 0, i/o): box2
                [DETECTED OVERFLOW!]       fffffffffffff800-00000000000007ff (prio 0, i/o): hidden [disabled]
                    0000000000002000-0000000000003fff (prio 0, i/o): box
                [DETECTED OVERFLOW!]       0000000000001000-0000000000001fff (prio 0, i/o): wrapped

                """;
        try (ImportedMachine m = importText(tree, null)) {
            MemoryRegion root = m.addressSpaces().getFirst().root();
            assertEquals(0xffffffffffffe800L, child(child(root, "box2"), "hidden").address());
            assertEquals(0xfffffffffffff000L, child(child(root, "box"), "wrapped").address());
            assertEquals(tree, MtreePrinter.tree(m.system(), true));
        }
    }

    // ------------------------------------------------------------------ equal-priority siblings

    private static List<String> importSiblings(String children) {
        String tree = "address-space: memory\n  0000000000000000-000000000000ffff (prio 0, i/o): root\n" + children + "\n";
        try (ImportedMachine m = importText(tree, null)) {
            return ranges(m.addressSpaces().getFirst());
        }
    }

    @Test
    void shouldLetThePrintedFirstWinAtTheSameAddress() {
        assertEquals(List.of("1000-1fff first@0"), importSiblings("""
                    0000000000001000-0000000000001fff (prio 0, i/o): first
                    0000000000001000-0000000000001fff (prio 0, i/o): second
                """));
    }

    @Test
    void shouldLetTheSmallerWinAtDifferentAddresses() {
        assertEquals(List.of("0-fff big@0", "1000-10ff small@0", "1100-3fff big@1100"), importSiblings("""
                    0000000000000000-0000000000003fff (prio 0, i/o): big
                    0000000000001000-00000000000010ff (prio 0, i/o): small
                """));
        assertEquals(List.of("0-ff small@0", "100-407f big@80"), importSiblings("""
                    0000000000000000-00000000000000ff (prio 0, i/o): small
                    0000000000000080-000000000000407f (prio 0, i/o): big
                """));
    }

    @Test
    void shouldLetThePrintedLaterWinAtEqualSizes() {
        assertEquals(List.of("0-fff a@0", "1000-2fff b@0"), importSiblings("""
                    0000000000000000-0000000000001fff (prio 0, i/o): a
                    0000000000001000-0000000000002fff (prio 0, i/o): b
                """));
    }

    @Test
    void shouldLetPriorityBeatPrintOrder() {
        assertEquals(List.of("0-fff low@0", "1000-1fff high@0", "2000-3fff low@2000"), importSiblings("""
                    0000000000000000-0000000000003fff (prio 0, i/o): low
                    0000000000001000-0000000000001fff (prio 1, i/o): high
                """));
    }

    // ------------------------------------------------------------------ cases found by ImportRoundTripPropertyTest

    /** Imports {@code tree} with {@code flat} as hint and checks that it renders {@code flat} again. */
    private static void assertRendersAsQemu(String tree, String flat) {
        try (ImportedMachine m = importText(tree, flat)) {
            String ours = MtreePrinter.flat(m.system());
            assertEquals(MtreeText.views(flat), MtreeText.views(ours), () -> "guestmem printed:\n" + ours);
        }
    }

    @Test
    void shouldKeepThePriorityOfAnAddressSpaceRootThatIsASubregionElsewhere() {
        assertRendersAsQemu("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000001000-0000000000001fff (prio 1, i/o): dev
                    0000000000010000-0000000000010fff (prio 0, ram): ram

                address-space: dev-as
                  0000000000001000-0000000000001fff (prio 1, i/o): dev

                """, """
                FlatView #0
                 AS "memory", root: system
                 Root memory region: system
                  0000000000001000-0000000000001fff (prio 1, i/o): dev
                  0000000000010000-0000000000010fff (prio 0, ram): ram

                FlatView #1
                 AS "dev-as", root: dev
                 Root memory region: dev
                  0000000000001000-0000000000001fff (prio 1, i/o): dev

                """);
    }

    @Test
    void shouldKeepThePriorityOfAnUnmappedAliasTarget() {
        // QEMU keeps a region's priority when it is removed from its container; the block prints it
        assertRendersAsQemu("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, i/o): alias dev-alias @dev 0000000000000000-0000000000000fff
                    0000000000010000-0000000000010fff (prio 0, ram): ram

                memory-region: dev
                  0000000000000000-0000000000000fff (prio 2, i/o): dev

                """, """
                FlatView #0
                 AS "memory", root: system
                 Root memory region: system
                  0000000000000000-0000000000000fff (prio 2, i/o): dev
                  0000000000010000-0000000000010fff (prio 0, ram): ram

                """);
    }

    @Test
    void shouldSeeThatSiblingsOverlapWhenAPrintedRangeWrapsPastTwoToThe64() {
        // big (2^64 bytes at offset 0 of bus, printed 0x1000-0xfff) and small overlap; the smaller is newer
        assertRendersAsQemu("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000001000-0000000000004fff (prio 0, i/o): bus
                [DETECTED OVERFLOW!]       0000000000001000-0000000000000fff (prio 0, i/o): big
                      0000000000002000-0000000000002fff (prio 0, i/o): small

                """, """
                FlatView #0
                 AS "memory", root: system
                 Root memory region: system
                  0000000000001000-0000000000001fff (prio 0, i/o): big
                  0000000000002000-0000000000002fff (prio 0, i/o): small
                  0000000000003000-0000000000004fff (prio 0, i/o): big @0000000000002000

                """);
    }

    /**
     * Readonly propagation prints an i/o range as {@code rom} (spec 9.4), so a terminating i/o
     * region seen only through a readonly path has no range typed {@code i/o}; its name and
     * priority in the flat view still show that it terminates.
     */
    @Test
    void shouldTreatAnIoRegionShownAsRomThroughAReadonlyPathAsTerminating() {
        assertRendersAsQemu("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, rom): rom
                      0000000000000100-00000000000001ff (prio 0, i/o): dev
                    0000000000010000-0000000000010fff (prio 0, i/o): other

                """, """
                FlatView #0
                 AS "memory", root: system
                 Root memory region: system
                  0000000000000000-00000000000000ff (prio 0, rom): rom
                  0000000000000100-00000000000001ff (prio 0, rom): dev
                  0000000000000200-0000000000000fff (prio 0, rom): rom @0000000000000200
                  0000000000010000-0000000000010fff (prio 0, i/o): other

                """);
    }

    // ------------------------------------------------------------------ bad dumps

    @Test
    void shouldRejectADumpMadeWithoutD() {
        String orphan = """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                      0000000000000600-0000000000000603 (prio 0, i/o): acpi-evt

                """;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> importText(orphan, null));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void shouldRejectTextThatIsNotAnMtreeDump() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> importText("address-space: memory\n  this is not a region line\n", null));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        IllegalArgumentException alias = assertThrows(IllegalArgumentException.class, () -> importText("""
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-0000000000000fff (prio 0, ram): alias lost @nowhere 0000000000000000-0000000000000fff

                """, null));
        assertTrue(alias.getMessage().contains("nowhere"), alias.getMessage());
    }
}
