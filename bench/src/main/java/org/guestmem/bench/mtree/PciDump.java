package org.guestmem.bench.mtree;

/**
 * The {@code info mtree -D} text of a machine with a large PCI bus, as QEMU 7.2 prints it: the
 * system container with 1 GiB of RAM shown through an alias, and a PCI window holding
 * {@code devices} BARs side by side (64 KiB apart, 16 KiB each), every 16th of them an alias
 * into a 16 MiB VRAM and the others MMIO; then the {@code memory-region:} blocks of the two alias
 * targets. One container with that many siblings is the shape that was quadratic to import and
 * print; real large topologies (many devices behind bridges) have shorter sibling lists.
 */
public final class PciDump {
    private PciDump() {
    }

    /** {@return the dump of a machine with {@code devices} BARs, {@code devices + 6} region lines in all} */
    public static String of(int devices) {
        StringBuilder s = new StringBuilder(96 * (devices + 16));
        s.append("address-space: memory\n");
        s.append("  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
        s.append("    0000000000000000-000000003fffffff (prio 0, ram): alias ram-low @ram 0000000000000000-000000003fffffff\n");
        long pci = 0x100000000L;
        long window = Math.max(0x10000L * devices, 0x100000000L);
        line(s, 2, pci, window, -1, "i/o", "pci");
        for (int i = 0; i < devices; i++) {
            long bar = pci + 0x10000L * i;
            if (i % 16 == 15) {
                long off = (i / 16 % 1024) * 0x4000L;
                indent(s, 3).append(hex(bar)).append('-').append(hex(bar + 0x3fff)).append(" (prio 0, ram): alias vram-win")
                        .append(i).append(" @vram ").append(hex(off)).append('-').append(hex(off + 0x3fff)).append('\n');
            } else {
                line(s, 3, bar, 0x4000, 0, "i/o", "bar" + i);
            }
        }
        s.append('\n');
        s.append("memory-region: ram\n");
        s.append("  0000000000000000-000000003fffffff (prio 0, ram): ram\n\n");
        s.append("memory-region: vram\n");
        s.append("  0000000000000000-0000000000ffffff (prio 0, ram): vram\n\n");
        return s.toString();
    }

    private static void line(StringBuilder s, int level, long start, long size, int prio, String type, String name) {
        indent(s, level).append(hex(start)).append('-').append(hex(start + size - 1)).append(" (prio ").append(prio)
                .append(", ").append(type).append("): ").append(name).append('\n');
    }

    private static StringBuilder indent(StringBuilder s, int level) {
        return s.append("  ".repeat(level));
    }

    private static String hex(long v) {
        String h = Long.toHexString(v);
        return "0".repeat(16 - h.length()) + h;
    }
}
