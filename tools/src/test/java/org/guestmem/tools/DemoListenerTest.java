package org.guestmem.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.guestmem.tools.Demo.PamMode;
import org.guestmem.tools.Demo.PcMachine;
import org.junit.jupiter.api.Test;

/**
 * The listener events of the demo PC's firmware moves, worked out by hand from QEMU 7.2's diff
 * (spec §3.4) and the views {@code guestmem demo} prints: listeners "mem" on {@code memory},
 * "io" on {@code I/O} and "smm" on {@code cpu-smm-0}, all priority 0, registered in that order.
 */
class DemoListenerTest {
    // the memory view at reset (also cpu-smm-0's while SMRAM is closed)
    static final String R1 = "pc.ram [0x0..0x9ffff] @0x0";
    static final String R2 = "vga-lowmem [0xa0000..0xbffff] @0x0";
    static final String R3 = "pc.rom [0xc0000..0xdffff] @0x0 ro";
    static final String R4 = "pc.bios [0xe0000..0xfffff] @0x20000 ro";
    static final String R5 = "pc.ram [0x100000..0xbfffffff] @0x100000";
    static final String R6 = "ioapic [0xfec00000..0xfec00fff] @0x0";
    static final String R7 = "hpet [0xfed00000..0xfed003ff] @0x0";
    static final String R8 = "apic-msi [0xfee00000..0xfeefffff] @0x0";
    static final String R9 = "pc.bios [0xfffc0000..0xffffffff] @0x0 ro";
    static final String R10 = "pc.ram [0x100000000..0x13fffffff] @0xc0000000";
    static final List<String> IO = List.of("io [0x0..0x1f] @0x0", "pic [0x20..0x21] @0x0", "io [0x22..0x3f] @0x22",
            "pit [0x40..0x43] @0x0", "io [0x44..0x6f] @0x44", "rtc [0x70..0x71] @0x0", "io [0x72..0xcf7] @0x72",
            "pci-conf-idx [0xcf8..0xcf8] @0x0", "piix3-reset-control [0xcf9..0xcf9] @0x0",
            "pci-conf-idx [0xcfa..0xcfb] @0x2", "pci-conf-data [0xcfc..0xcff] @0x0", "io [0xd00..0xffff] @0xd00");

    private static List<String> listen(PcMachine m, List<String> log) {
        m.memory().registerListener(new RecordingListener("mem", log), 0);
        m.io().registerListener(new RecordingListener("io", log), 0);
        m.cpuSmm().registerListener(new RecordingListener("smm", log), 0);
        log.clear();
        return log;
    }

    private static List<String> each(String who, String what, String... sections) {
        List<String> out = new ArrayList<>();
        for (String s : sections) {
            out.add(who + ":" + what + " " + s);
        }
        return out;
    }

    private static List<String> ioNops() {
        List<String> out = new ArrayList<>();
        for (String s : IO) {
            out.add("io:nop " + s); // the I/O view is re-rendered by every commit: all kept
        }
        return out;
    }

    @Test
    void shadowingTheBiosAndOpeningSmramInOneTransaction() {
        try (PcMachine m = Demo.build()) {
            List<String> log = listen(m, new ArrayList<>());
            Demo.shadowBiosAndOpenSmram(m);
            // memory: 0-0xbfffffff becomes one pc.ram range. Old R1 starts where the new range
            // does but differs, R2..R5 start inside it: five deletions, one addition, the rest kept.
            List<String> memEvents = new ArrayList<>();
            memEvents.addAll(each("mem", "del", R1, R2, R3, R4, R5));
            memEvents.add("mem:add pc.ram [0x0..0xbfffffff] @0x0");
            memEvents.addAll(each("mem", "nop", R6, R7, R8, R9, R10));
            List<String> expected = new ArrayList<>(List.of("mem:begin", "io:begin", "smm:begin"));
            expected.addAll(memEvents);
            expected.addAll(ioNops());
            // cpu-smm-0 shows system memory too (SMRAM stays closed to it: G_SMRAME is clear)
            expected.addAll(memEvents.stream().map(s -> s.replace("mem:", "smm:")).toList());
            expected.addAll(List.of("mem:commit", "io:commit", "smm:commit"));
            assertEquals(expected, log);
        }
    }

    @Test
    void enablingSmramChangesOnlyTheSmmView() {
        try (PcMachine m = Demo.build()) {
            List<String> log = listen(m, new ArrayList<>());
            m.smram().setEnabled(true);
            // cpu-smm-0: smram-low shows pc.ram@0xa0000 at 0xa0000, which merges with R1
            List<String> expected = new ArrayList<>(List.of("mem:begin", "io:begin", "smm:begin"));
            expected.addAll(each("mem", "nop", R1, R2, R3, R4, R5, R6, R7, R8, R9, R10));
            expected.addAll(ioNops());
            expected.addAll(each("smm", "del", R1, R2));
            expected.add("smm:add pc.ram [0x0..0xbffff] @0x0");
            expected.addAll(each("smm", "nop", R3, R4, R5, R6, R7, R8, R9, R10));
            expected.addAll(List.of("mem:commit", "io:commit", "smm:commit"));
            assertEquals(expected, log);
        }
    }

    @Test
    void oneBiosSegmentToReadOnlyRam() {
        try (PcMachine m = Demo.build()) {
            List<String> log = listen(m, new ArrayList<>());
            m.pams().getFirst().select(PamMode.READ_ONLY); // 0xf0000-0xfffff: pam-rom, a readonly alias of RAM
            // select() is two mutators (disable the old alias, enable the new one): two commits.
            // First commit, pam-pci off: ram-below-4g (prio 0) shows through at 0xf0000, read-write,
            // and merges with R5: R4 is cut to 0xe0000-0xeffff and R5 grows down to 0xf0000.
            String half = "pc.bios [0xe0000..0xeffff] @0x20000 ro";
            String grown = "pc.ram [0xf0000..0xbfffffff] @0xf0000";
            String romSeg = "pc.ram [0xf0000..0xfffff] @0xf0000 ro";
            List<String> expected = new ArrayList<>(List.of("mem:begin", "io:begin", "smm:begin"));
            for (String who : List.of("mem", "io", "smm")) {
                if (who.equals("io")) {
                    expected.addAll(ioNops());
                    continue;
                }
                expected.addAll(each(who, "del", R4, R5)); // R4: same start, differs; R5: starts inside the new range
                expected.addAll(each(who, "nop", R1, R2, R3));
                expected.addAll(each(who, "add", half, grown));
                expected.addAll(each(who, "nop", R6, R7, R8, R9, R10));
            }
            expected.addAll(List.of("mem:commit", "io:commit", "smm:commit"));
            // Second commit, pam-rom on: the grown range splits into the read-only segment and R5
            expected.addAll(List.of("mem:begin", "io:begin", "smm:begin"));
            for (String who : List.of("mem", "io", "smm")) {
                if (who.equals("io")) {
                    expected.addAll(ioNops());
                    continue;
                }
                expected.add(who + ":del " + grown);
                expected.addAll(each(who, "nop", R1, R2, R3, half));
                expected.addAll(each(who, "add", romSeg, R5));
                expected.addAll(each(who, "nop", R6, R7, R8, R9, R10));
            }
            expected.addAll(List.of("mem:commit", "io:commit", "smm:commit"));
            assertEquals(expected, log);

            // the same back-and-forth inside one transaction is one diff with nothing changed
            log.clear();
            try (var tx = m.system().begin()) {
                m.pams().getFirst().select(PamMode.PCI);
                m.pams().getFirst().select(PamMode.READ_ONLY);
            }
            List<String> oneCommit = new ArrayList<>(List.of("mem:begin", "io:begin", "smm:begin"));
            oneCommit.addAll(each("mem", "nop", R1, R2, R3, half, romSeg, R5, R6, R7, R8, R9, R10));
            oneCommit.addAll(ioNops());
            oneCommit.addAll(each("smm", "nop", R1, R2, R3, half, romSeg, R5, R6, R7, R8, R9, R10));
            oneCommit.addAll(List.of("mem:commit", "io:commit", "smm:commit"));
            assertEquals(oneCommit, log);
        }
    }
}
