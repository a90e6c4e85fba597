package org.guestmem;

import org.guestmem.internal.QemuDispatch;
import org.guestmem.layout.SectionLayout;

/**
 * QEMU 7.2's {@code mtree_print_dispatch} for one view: QEMU's sections and radix nodes, rebuilt
 * with QEMU's algorithm ({@link QemuDispatch}) from the view's ranges.
 */
final class QemuDispatchDump {
    private static final String[] LEGACY_NAMES = {" [unassigned]", " [not dirty]", " [ROM]", " [watch]"};

    private QemuDispatchDump() {
    }

    static String print(FlatView view) {
        QemuDispatch q = new QemuDispatch(view.context.pageBits);
        for (int i = 0; i < view.rangeCount(); i++) {
            FlatRange r = view.range(i);
            int s = i + 1;
            q.addRange(i, r.start(), r.sizeMinusOne(), r.offsetInRegion(), view.rangeKind(i),
                    view.dispatch.flags(s), r.dirtyLogMask(), view.dispatch.regionIndex(s), 0);
        }
        q.compact();
        StringBuilder out = new StringBuilder();
        out.append("  Dispatch\n");
        out.append("    Physical sections\n");
        for (int i = 0; i < q.sectionCount(); i++) {
            int origin = q.sectionOrigin(i);
            MemoryRegion mr = origin >= 0 ? view.range(origin).region() : null;
            String name = mr == null || mr.name() == null ? "(noname)" : mr.name();
            long start = q.sectionStart(i);
            out.append("      #").append(i).append(" @").append(hex16(start)).append("..")
                    .append(hex16(start + q.sectionSizeMinusOne(i))).append(' ').append(name)
                    .append(i < LEGACY_NAMES.length ? LEGACY_NAMES[i] : "")
                    .append((q.sectionFlags(i) & SectionLayout.FLAG_ROOT) != 0 ? " [ROOT]" : "")
                    .append(q.sectionKind(i) == SectionLayout.KIND_IOMMU ? " [iommu]" : "")
                    .append('\n');
        }
        int root = q.root();
        out.append("    Nodes (").append(QemuDispatch.BITS_PER_LEVEL).append(" bits per level, ").append(q.levels())
                .append(" levels) ptr=[").append(QemuDispatch.ptr(root)).append("] skip=")
                .append(QemuDispatch.skip(root)).append('\n');
        for (int n = 0; n < q.nodeCount(); n++) {
            out.append("      [").append(n).append("]\n");
            int prev = q.nodeEntry(n, 0);
            int jprev = 0;
            for (int j = 0; j < QemuDispatch.ENTRIES; j++) {
                int e = q.nodeEntry(n, j);
                if (e == prev) {
                    continue;
                }
                entries(out, jprev, j, prev);
                jprev = j;
                prev = e;
            }
            entries(out, jprev, QemuDispatch.ENTRIES, prev);
        }
        return out.toString();
    }

    private static void entries(StringBuilder out, int start, int end, int e) {
        if (start == end - 1) {
            out.append('\t').append(String.format("%3d      ", start));
        } else {
            out.append('\t').append(String.format("%3d..%-3d ", start, end - 1));
        }
        int skip = QemuDispatch.skip(e);
        int ptr = QemuDispatch.ptr(e);
        out.append(" skip=").append(skip).append(' ');
        if (ptr == QemuDispatch.NIL) {
            out.append(" ptr=NIL");
        } else if (skip == 0) {
            out.append(" ptr=#").append(ptr);
        } else {
            out.append(" ptr=[").append(ptr).append(']');
        }
        out.append('\n');
    }

    private static String hex16(long v) {
        String h = Long.toHexString(v);
        return "0".repeat(16 - h.length()) + h;
    }
}
