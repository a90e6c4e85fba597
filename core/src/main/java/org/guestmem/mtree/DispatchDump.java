package org.guestmem.mtree;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.layout.DispatchHeaderLayout;
import org.guestmem.layout.DispatchNodeLayout;
import org.guestmem.layout.SectionLayout;

/**
 * QEMU 7.2's {@code mtree_print_dispatch}: prints a view's section table and radix nodes, read
 * straight from its native tables through the {@code native-layout} descriptions.
 */
final class DispatchDump {
    private static final String[] LEGACY_NAMES = {" [unassigned]", " [not dirty]", " [ROM]", " [watch]"};

    private DispatchDump() {
    }

    static void print(StringBuilder out, FlatView view) {
        MemorySegment t = view.nativeTables();
        int sections = (int) DispatchHeaderLayout.SECTION_COUNT.get(t, 0L);
        int nodes = (int) DispatchHeaderLayout.NODE_COUNT.get(t, 0L);
        int levels = (byte) DispatchHeaderLayout.LEVELS.get(t, 0L);
        int root = (int) DispatchHeaderLayout.ROOT.get(t, 0L);
        long sectionsOffset = (long) DispatchHeaderLayout.SECTIONS_OFFSET.get(t, 0L);
        long nodesOffset = (long) DispatchHeaderLayout.NODES_OFFSET.get(t, 0L);
        out.append("  Dispatch\n");
        out.append("    Physical sections\n");
        for (int i = 0; i < sections; i++) {
            long o = sectionsOffset + i * SectionLayout.BYTES;
            long start = (long) SectionLayout.START.get(t, o);
            long size1 = (long) SectionLayout.SIZE_MINUS_1.get(t, o);
            int kind = (byte) SectionLayout.KIND.get(t, o);
            int flags = (byte) SectionLayout.FLAGS.get(t, o);
            MemoryRegion mr = view.sectionRegion(i);
            String name = mr == null || mr.name() == null ? "(noname)" : mr.name();
            out.append("      #").append(i).append(" @").append(MtreePrinter.hex16(start)).append("..")
                    .append(MtreePrinter.hex16(start + size1)).append(' ').append(name)
                    .append(i < LEGACY_NAMES.length ? LEGACY_NAMES[i] : "")
                    .append((flags & SectionLayout.FLAG_ROOT) != 0 ? " [ROOT]" : "")
                    .append(kind == SectionLayout.KIND_IOMMU ? " [iommu]" : "")
                    .append('\n');
        }
        out.append("    Nodes (").append(DispatchNodeLayout.BITS_PER_LEVEL).append(" bits per level, ").append(levels)
                .append(" levels) ptr=[").append(DispatchNodeLayout.ptr(root)).append("] skip=")
                .append(DispatchNodeLayout.skip(root)).append('\n');
        for (int n = 0; n < nodes; n++) {
            out.append("      [").append(n).append("]\n");
            long base = nodesOffset + n * DispatchNodeLayout.BYTES;
            int prev = t.get(ValueLayout.JAVA_INT, base);
            int jprev = 0;
            for (int j = 0; j < DispatchNodeLayout.ENTRIES; j++) {
                int e = t.get(ValueLayout.JAVA_INT, base + j * 4L);
                if (e == prev) {
                    continue;
                }
                entries(out, jprev, j, prev);
                jprev = j;
                prev = e;
            }
            entries(out, jprev, DispatchNodeLayout.ENTRIES, prev);
        }
    }

    private static void entries(StringBuilder out, int start, int end, int e) {
        if (start == end - 1) {
            out.append('\t').append(String.format("%3d      ", start));
        } else {
            out.append('\t').append(String.format("%3d..%-3d ", start, end - 1));
        }
        int skip = DispatchNodeLayout.skip(e);
        int ptr = DispatchNodeLayout.ptr(e);
        out.append(" skip=").append(skip).append(' ');
        if (ptr == DispatchNodeLayout.NIL) {
            out.append(" ptr=NIL");
        } else if (skip == 0) {
            out.append(" ptr=#").append(ptr);
        } else {
            out.append(" ptr=[").append(ptr).append(']');
        }
        out.append('\n');
    }
}
