package org.guestmem.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.FlatRange;
import org.guestmem.FlatView;
import org.guestmem.MemorySystem;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.mtree.MtreePrinter;
import org.guestmem.tools.Demo.PamMode;
import org.guestmem.tools.Demo.PcMachine;
import org.junit.jupiter.api.Test;

class DemoTest {

    /**
     * What QEMU 7.2 printed for {@code qemu-system-x86_64 -M pc -m 4G} ({@code info mtree -f}, the
     * {@code memory} and {@code cpu-memory-0} view; QEMU 7.2's info mtree -f for -M pc -m 4G).
     */
    private static final String QEMU_PC_4G_MEMORY_VIEW = """
              0000000000000000-000000000009ffff (prio 0, ram): pc.ram
              00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem
              00000000000c0000-00000000000dffff (prio 1, rom): pc.rom
              00000000000e0000-00000000000fffff (prio 0, rom): pc.bios @0000000000020000
              0000000000100000-00000000bfffffff (prio 0, ram): pc.ram @0000000000100000
              00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic
              00000000fed00000-00000000fed003ff (prio 0, i/o): hpet
              00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi
              00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios
              0000000100000000-000000013fffffff (prio 0, ram): pc.ram @00000000c0000000
            """;

    @Test
    void shouldShowPciInTheLegacyAreaAtReset() {
        try (PcMachine m = Demo.build()) {
            FlatView v = m.memory().currentView();
            assertSame(m.vgaLowmem(), v.lookup(0xa0000).region(), "VGA window through smram-region -> pci");
            assertSame(m.vgaLowmem(), v.lookup(0xbffff).region());
            FlatRange rom = v.lookup(0xc0000);
            assertSame(m.pcRom(), rom.region(), "option ROM through pam-pci -> pci");
            assertTrue(rom.readonly());
            FlatRange isaBios = v.lookup(0xffff0);
            assertSame(m.pcBios(), isaBios.region(), "isa-bios alias through pam-pci -> pci");
            assertEquals(0x20000, isaBios.offsetInRegion(), "the last 128 KiB of the 256 KiB BIOS");
            assertSame(m.pcBios(), v.lookup(0xfffffff0L).region(), "the reset vector, in the PCI hole");
            assertSame(m.ram(), v.lookup(0x9ffff).region());
            assertEquals(null, v.lookup(0xc0000000L), "the PCI hole shows nothing where no device is");
            FlatRange high = v.lookup(0x100000000L);
            assertSame(m.ram(), high.region());
            assertEquals(0xc0000000L, high.offsetInRegion(), "ram-above-4g shows the rest of pc.ram");
        }
    }

    @Test
    void shouldRenderTheMapQemuRendersForPcWith4G() {
        try (PcMachine m = Demo.build()) {
            Map<String, String> views = rangesByAddressSpace(MtreePrinter.flat(m.system()));
            assertEquals(QEMU_PC_4G_MEMORY_VIEW, views.get("memory"));
            assertEquals(QEMU_PC_4G_MEMORY_VIEW, views.get("cpu-memory-0"));
            assertEquals(QEMU_PC_4G_MEMORY_VIEW, views.get("cpu-smm-0"), "SMRAM is closed for SMM too (G_SMRAME clear)");
            assertSame(m.memory().currentView(), m.system().addressSpaces().get(2).currentView(),
                    "memory and cpu-memory-0 share one FlatView");
            assertEquals(1, m.system().commitCount(), "the machine is built in one transaction");
        }
    }

    @Test
    void shouldShowRamInTheLegacyAreaAfterOneCommit() {
        try (PcMachine m = Demo.build()) {
            FlatView old = m.memory().currentView();
            long before = m.system().commitCount();

            Demo.shadowBiosAndOpenSmram(m);

            assertEquals(before + 1, m.system().commitCount(), "27 changes, one commit");
            FlatView v = m.memory().currentView();
            for (long addr : new long[] {0xa0000, 0xbffff, 0xc0000, 0xdc000, 0xe0000, 0xffff0}) {
                FlatRange r = v.lookup(addr);
                assertSame(m.ram(), r.region(), "RAM at 0x" + Long.toHexString(addr));
                assertEquals(addr, r.offsetInRegion() + (addr - r.start()), "below 4 GiB, pc.ram offset = address");
                assertFalse(r.readonly(), "read/write");
            }
            FlatRange low = v.range(0);
            assertEquals(0, low.start());
            assertEquals(0xbfffffffL, low.last(), "0-0xbfffffff merged into one range");
            assertEquals(0, low.offsetInRegion());
            assertSame(m.pcBios(), v.lookup(0xfffffff0L).region(), "the BIOS stays at the top of 4 GiB");
            assertTrue(old != v, "readers of the old view keep it; the new one is a new object");
            assertSame(m.ram(), m.cpuSmm().currentView().lookup(0xa0000).region());
        }
    }

    @Test
    void shouldPrintOneRamRangeAfterTheToggle() {
        try (PcMachine m = Demo.build()) {
            Demo.shadowBiosAndOpenSmram(m);
            Map<String, String> views = rangesByAddressSpace(MtreePrinter.flat(m.system()));
            assertEquals("""
                      0000000000000000-00000000bfffffff (prio 0, ram): pc.ram
                      00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic
                      00000000fed00000-00000000fed003ff (prio 0, i/o): hpet
                      00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi
                      00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios
                      0000000100000000-000000013fffffff (prio 0, ram): pc.ram @00000000c0000000
                    """, views.get("memory"));
            String tree = MtreePrinter.tree(m.system(), false);
            assertTrue(tree.contains("    00000000000f0000-00000000000fffff (prio 1, ram): alias pam-ram @pc.ram"
                    + " 00000000000f0000-00000000000fffff\n"), tree);
            assertFalse(tree.contains("smram-region"), "disabled regions are not printed without -D");
        }
    }

    @Test
    void shouldRenderAReadOnlyPamSegmentAsRom() {
        try (PcMachine m = Demo.build()) {
            m.pams().getFirst().select(PamMode.READ_ONLY); // the BIOS segment, 0xf0000-0xfffff
            FlatRange r = m.memory().currentView().lookup(0xf0000);
            assertSame(m.ram(), r.region());
            assertTrue(r.readonly(), "readonly propagates from the pam-rom alias to the RAM behind it");
            assertTrue(MtreePrinter.flat(m.system()).contains(
                    "  00000000000f0000-00000000000fffff (prio 0, rom): pc.ram @00000000000f0000\n"));
            assertTrue(MtreePrinter.tree(m.system(), false).contains(
                    "    00000000000f0000-00000000000fffff (prio 1, ram): alias pam-rom @pc.ram"),
                    "the tree prints the target's type word");
        }
    }

    @Test
    void shouldImportItsOwnDumpBackToTheSameFlatViews() {
        try (PcMachine m = Demo.build()) {
            Demo.shadowBiosAndOpenSmram(m);
            String flat = MtreePrinter.flat(m.system());
            try (ImportedMachine copy = MtreeImporter.importText(MtreePrinter.tree(m.system(), true), flat,
                    MemorySystem.builder())) {
                assertEquals(rangesByAddressSpace(flat), rangesByAddressSpace(MtreePrinter.flat(copy.system())));
            }
        }
    }

    @Test
    void shouldPrintBothMapsAndTheCommitCount() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status);
        assertTrue(out.contains("commits 1 -> 2"), out);
        int toggle = out.indexOf("==== one transaction");
        assertTrue(out.indexOf("  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n", out.indexOf("at reset: info mtree -f")) < toggle);
        assertTrue(out.indexOf("  0000000000000000-00000000bfffffff (prio 0, ram): pc.ram\n") > toggle);
        assertTrue(out.contains("What changed:"));
    }

    /** For each {@code AS "..."} line of {@code info mtree -f} text, the range lines of its view. */
    private static Map<String, String> rangesByAddressSpace(String flat) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> spaces = new ArrayList<>();
        StringBuilder ranges = new StringBuilder();
        for (String line : (flat + "FlatView #end\n").split("\n")) {
            if (line.startsWith("FlatView #")) {
                for (String as : spaces) {
                    out.put(as, ranges.toString());
                }
                spaces.clear();
                ranges.setLength(0);
            } else if (line.startsWith(" AS \"")) {
                spaces.add(line.substring(5, line.indexOf('"', 5)));
            } else if (line.startsWith("  ")) {
                ranges.append(line).append('\n');
            }
        }
        return out;
    }
}
