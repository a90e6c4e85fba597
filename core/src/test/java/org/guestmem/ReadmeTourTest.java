package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.guestmem.mtree.MtreePrinter;
import org.junit.jupiter.api.Test;

/** The API tour of README.md: its code, run, prints what the README shows. */
class ReadmeTourTest {

    private static final String PRINTED = """
            address-space: memory
              0000000000000000-000000000001ffff (prio 0, i/o): system
                0000000000000000-0000000000000fff (prio 2, rom): alias boot @flash 0000000000000000-0000000000000fff
                0000000000000000-000000000000ffff (prio 0, ram): ram
                0000000000008000-00000000000080ff (prio 1, i/o): uart
                0000000000010000-0000000000013fff (prio 0, rom): flash

            memory-region: flash
              0000000000010000-0000000000013fff (prio 0, rom): flash

            FlatView #0
             AS "memory", root: system
             Root memory region: system
              0000000000000000-0000000000000fff (prio 0, rom): flash
              0000000000001000-0000000000007fff (prio 0, ram): ram @0000000000001000
              0000000000008000-00000000000080ff (prio 1, i/o): uart
              0000000000008100-000000000000ffff (prio 0, ram): ram @0000000000008100
              0000000000010000-0000000000013fff (prio 0, rom): flash

            FlatView #0
             AS "memory", root: system
             Root memory region: system
              0000000000000000-0000000000008fff (prio 0, ram): ram
              0000000000009000-00000000000090ff (prio 1, i/o): uart
              0000000000009100-000000000000ffff (prio 0, ram): ram @0000000000009100
              0000000000010000-0000000000013fff (prio 0, rom): flash

            """;

    @Test
    void shouldPrintWhatTheReadmeShows() {
        StringBuilder out = new StringBuilder();
        // ---- the README's code, with System.out.print replaced by out.append ----
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion system = sys.container("system", 0x20000);
            RamRegion ram = sys.ram("ram", 0x10000);
            RamRegion flash = sys.rom("flash", 0x4000);
            MmioRegion uart = sys.mmio("uart", 0x100, MemoryRegionOps.builder()
                    .read((addr, size) -> addr == 5 ? 0x60 : 0)   // line status: ready to send
                    .write((addr, value, size) -> System.out.print((char) value))
                    .valid(1, 1, false)
                    .build());

            system.addSubregion(ram, 0x0);                  // priority 0
            system.addSubregion(flash, 0x10000);
            system.addSubregionOverlap(uart, 0x8000, 1);    // priority 1: hides 256 bytes of RAM
            AliasRegion boot = sys.alias("boot", flash, 0x0, 0x1000);
            system.addSubregionOverlap(boot, 0x0, 2);       // priority 2: the flash's first 4 KiB at 0
            AddressSpace memory = sys.addressSpace("memory", system);

            out.append(MtreePrinter.tree(sys, false)); // info mtree
            out.append(MtreePrinter.flat(sys));        // info mtree -f
            FlatRange r = memory.currentView().lookup(0x8005); // the uart's range
            long commits = sys.commitCount(); // (the test's, not the README's)

            try (MemoryTransaction tx = sys.begin()) {      // both changes become visible together
                boot.setEnabled(false);
                uart.setAddress(0x9000);
            }
            out.append(MtreePrinter.flat(sys));
            // ---- end of the README's code ----

            assertSame(uart, r.region());
            assertEquals(0x8000, r.start());
            assertEquals(commits + 1, sys.commitCount(), "two changes, one commit");
        }
        assertEquals(PRINTED, out.toString());
    }

    @Test
    void readmeShouldShowThePrintedOutput() throws IOException {
        Path readme = Path.of("..", "README.md"); // surefire runs in the module directory
        assumeTrue(Files.isRegularFile(readme), "README.md not found beside the module");
        String text = Files.readString(readme);
        String shown = PRINTED.substring(0, PRINTED.length() - 1); // the README's block has no trailing empty line
        assertTrue(text.contains("```\n" + shown + "```\n"), "README.md's API tour output is out of date");
    }
}
