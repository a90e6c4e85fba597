package org.guestmem.mtree;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.AddressSpace;
import org.guestmem.AliasRegion;
import org.guestmem.ContainerRegion;
import org.guestmem.FlatRange;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.MmioRegion;
import org.guestmem.RamRegion;
import org.guestmem.IommuRegion;
import org.guestmem.ReservationRegion;
import org.guestmem.RomDeviceRegion;

/**
 * Prints a {@link MemorySystem} exactly as QEMU 7.2's {@code info mtree} does: the region tree
 * ({@code info mtree}, with {@code -D} the disabled regions too) and the flat views
 * ({@code info mtree -f}), byte for byte within each block.
 *
 * <p>QEMU prints address-space groups, {@code memory-region:} blocks and flat views in the order
 * of a pointer-keyed hash table, which changes from run to run. guestmem prints them in a stable
 * order instead: groups and views in the order their first address space was created, alias
 * targets in the order the walk meets them (as QEMU's queue does). Everything inside a block
 * follows QEMU's rules.
 *
 * <p>Printing takes the system's update lock, so another thread's open transaction is never
 * printed half-done. Called from inside the caller's own transaction, {@link #tree} shows the
 * regions as they are now (uncommitted changes included) while {@link #flat} shows the views of
 * the last commit, as QEMU's {@code info mtree} would.
 */
public final class MtreePrinter {
    private static final String INDENT = "  ";

    private MtreePrinter() {
    }

    /**
     * {@return {@code info mtree} output: the region tree of every address space, then one
     * {@code memory-region:} block per alias target}
     *
     * @param system the memory system
     * @param showDisabled QEMU's {@code -D}: print disabled regions (marked {@code [disabled]})
     */
    public static String tree(MemorySystem system, boolean showDisabled) {
        StringBuilder out = new StringBuilder();
        try (MemoryTransaction tx = system.begin()) {
            List<MemoryRegion> aliasQueue = new ArrayList<>();
            IdentityHashMap<MemoryRegion, Boolean> queued = new IdentityHashMap<>();
            IdentityHashMap<AliasRegion, MemoryRegion> finalTargets = new IdentityHashMap<>();
            for (Map.Entry<MemoryRegion, List<AddressSpace>> g : identityGroups(system)) {
                for (AddressSpace as : sortedByName(g.getValue())) {
                    out.append("address-space: ").append(as.name()).append('\n');
                }
                printRegion(out, g.getKey(), aliasQueue, queued, finalTargets, showDisabled);
                out.append('\n');
            }
            for (int i = 0; i < aliasQueue.size(); i++) {
                MemoryRegion mr = aliasQueue.get(i);
                out.append("memory-region: ").append(name(mr)).append('\n');
                printRegion(out, mr, aliasQueue, queued, finalTargets, showDisabled);
                out.append('\n');
            }
        }
        return out.toString();
    }

    /**
     * {@return {@code info mtree -f} output: one block per distinct FlatView with the address
     * spaces that show it, its root and its ranges}
     *
     * @param system the memory system
     */
    public static String flat(MemorySystem system) {
        return flat(system, false);
    }

    /**
     * {@return {@code info mtree -f} output, with {@code dispatch} the {@code -d} dump of each
     * view as well: QEMU's sections, subpages and radix nodes, rebuilt with QEMU's algorithm
     * ({@link FlatView#qemuDispatchDump()})} {@code [MRU]} never appears: a view has no shared
     * most-recently-used section.
     *
     * @param system the memory system
     * @param dispatch whether to add QEMU's dispatch tables ({@code info mtree -f -d})
     */
    public static String flat(MemorySystem system, boolean dispatch) {
        StringBuilder out = new StringBuilder();
        try (MemoryTransaction tx = system.begin()) {
            Map<FlatView, List<AddressSpace>> views = new LinkedHashMap<>();
            for (AddressSpace as : system.addressSpaces()) {
                views.computeIfAbsent(as.currentView(), v -> new ArrayList<>()).add(as);
            }
            int counter = 0;
            for (Map.Entry<FlatView, List<AddressSpace>> e : views.entrySet()) {
                FlatView view = e.getKey();
                out.append("FlatView #").append(counter++).append('\n');
                for (AddressSpace as : e.getValue()) {
                    out.append(" AS \"").append(as.name()).append("\", root: ").append(name(as.root()));
                    if (as.root() instanceof AliasRegion a) {
                        out.append(", alias ").append(name(a.target()));
                    }
                    out.append('\n');
                }
                out.append(" Root memory region: ")
                        .append(view.hasRoot() ? nameOrNull(view.rootName()) : "(none)").append('\n');
                if (view.rangeCount() == 0) {
                    out.append(INDENT).append("No rendered FlatView\n\n");
                    continue;
                }
                for (int i = 0; i < view.rangeCount(); i++) {
                    FlatRange r = view.range(i);
                    MemoryRegion mr = r.region();
                    hex16(hex16(out.append(INDENT), r.start()).append('-'), r.last())
                            .append(" (prio ").append(mr.priority()).append(", ")
                            .append(r.nonvolatile() ? "nv-" : "")
                            .append(r.readonly() ? "rom" : typeWord(mr)).append("): ").append(name(mr));
                    if (r.offsetInRegion() != 0) {
                        hex16(out.append(" @"), r.offsetInRegion());
                    }
                    out.append('\n');
                }
                if (dispatch) {
                    out.append(view.qemuDispatchDump());
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    /**
     * {@return QEMU's {@code memory_region_type}: the type word of {@code mr}, following aliases to
     * their final target: {@code romd}, {@code rom}, {@code ram} or {@code i/o}}
     *
     * @param mr the region
     */
    public static String typeWord(MemoryRegion mr) {
        while (mr instanceof AliasRegion a) {
            mr = a.target();
        }
        return switch (mr) {
            case RomDeviceRegion rd -> rd.isRomdMode() ? "romd" : "i/o";
            case RamRegion ram -> ram.isReadonly() ? "rom" : "ram";
            case MmioRegion m -> "i/o";
            case ReservationRegion r -> "i/o";
            case IommuRegion r -> "i/o";
            case ContainerRegion c -> "i/o";
            case AliasRegion a -> throw new AssertionError("aliases were followed");
        };
    }

    /** The region at the end of {@code a}'s alias chain, remembered in {@code known} for every alias walked. */
    private static MemoryRegion finalTarget(AliasRegion a, IdentityHashMap<AliasRegion, MemoryRegion> known) {
        MemoryRegion end = a;
        List<AliasRegion> walked = new ArrayList<>();
        while (end instanceof AliasRegion x) {
            MemoryRegion k = known.get(x);
            if (k != null) {
                end = k;
                break;
            }
            walked.add(x);
            end = x.target();
        }
        for (AliasRegion x : walked) {
            known.put(x, end);
        }
        return end;
    }

    private static List<Map.Entry<MemoryRegion, List<AddressSpace>>> identityGroups(MemorySystem system) {
        List<MemoryRegion> roots = new ArrayList<>();
        IdentityHashMap<MemoryRegion, List<AddressSpace>> byRoot = new IdentityHashMap<>();
        for (AddressSpace as : system.addressSpaces()) {
            byRoot.computeIfAbsent(as.root(), r -> {
                roots.add(r);
                return new ArrayList<>();
            }).add(as);
        }
        List<Map.Entry<MemoryRegion, List<AddressSpace>>> out = new ArrayList<>();
        for (MemoryRegion r : roots) {
            out.add(Map.entry(r, byRoot.get(r)));
        }
        return out;
    }

    /** QEMU inserts each space before the first whose name is not smaller (strcmp): later ones first on ties. */
    private static List<AddressSpace> sortedByName(List<AddressSpace> spaces) {
        List<AddressSpace> sorted = new ArrayList<>();
        for (AddressSpace as : spaces) {
            byte[] n = as.name().getBytes(StandardCharsets.UTF_8);
            int i = 0;
            while (i < sorted.size() && Arrays.compareUnsigned(n, sorted.get(i).name().getBytes(StandardCharsets.UTF_8)) > 0) {
                i++;
            }
            sorted.add(i, as);
        }
        return Collections.unmodifiableList(sorted);
    }

    /**
     * QEMU's {@code mtree_print_mr}, with an explicit stack instead of recursion, so that no
     * depth of nesting overflows the thread's stack. {@code queued} holds the regions already in
     * {@code aliasQueue}; {@code finalTargets} the end of every alias chain met so far, so that the
     * type words of a chain of n aliases cost n steps, not n<sup>2</sup>/2.
     */
    private static void printRegion(StringBuilder out, MemoryRegion root, List<MemoryRegion> aliasQueue,
                                    IdentityHashMap<MemoryRegion, Boolean> queued,
                                    IdentityHashMap<AliasRegion, MemoryRegion> finalTargets, boolean showDisabled) {
        ArrayDeque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(root, 1, 0));
        while (!stack.isEmpty()) {
            Frame f = stack.pop();
            MemoryRegion mr = f.region;
            long start = f.base + mr.address();
            long end = start + mr.sizeMinusOne();
            if (Long.compareUnsigned(start, f.base) < 0 || Long.compareUnsigned(end, start) < 0) {
                out.append("[DETECTED OVERFLOW!] ");
            }
            if (mr instanceof AliasRegion a && queued.put(a.target(), Boolean.TRUE) == null) {
                aliasQueue.add(a.target());
            }
            if (mr.isEnabled() || showDisabled) {
                hex16(hex16(indent(out, f.level), start).append('-'), end)
                        .append(" (prio ").append(mr.priority()).append(", ").append(mr.isNonvolatile() ? "nv-" : "")
                        .append(typeWord(mr instanceof AliasRegion a ? finalTarget(a, finalTargets) : mr)).append("): ");
                if (mr instanceof AliasRegion a) {
                    out.append("alias ").append(name(mr)).append(" @").append(name(a.target())).append(' ');
                    hex16(hex16(out, a.aliasOffset()).append('-'), a.aliasOffset() + mr.sizeMinusOne());
                } else {
                    out.append(name(mr));
                }
                out.append(mr.isEnabled() ? "" : " [disabled]").append('\n');
            }
            List<MemoryRegion> subs = mr.subregions();
            if (!subs.isEmpty()) {
                subs = printOrder(subs);
                for (int i = subs.size() - 1; i >= 0; i--) {
                    stack.push(new Frame(subs.get(i), f.level + 1, start));
                }
            }
        }
    }

    private record Frame(MemoryRegion region, int level, long base) {
    }

    private static final String SPACES = " ".repeat(256);

    private static StringBuilder indent(StringBuilder out, int level) {
        for (int n = 2 * level; n > 0; n -= SPACES.length()) {
            out.append(SPACES, 0, Math.min(n, SPACES.length()));
        }
        return out;
    }

    /**
     * QEMU's print queue: each subregion in list order goes before the first queued one at a
     * higher address, or at the same address with a lower priority. That is a stable sort by
     * address ascending, then priority descending; ties keep list order.
     */
    private static List<MemoryRegion> printOrder(List<MemoryRegion> subregions) {
        List<MemoryRegion> queue = new ArrayList<>(subregions);
        queue.sort(PRINT_ORDER);
        return queue;
    }

    private static final Comparator<MemoryRegion> PRINT_ORDER = (a, b) -> {
        int c = Long.compareUnsigned(a.address(), b.address());
        return c != 0 ? c : Integer.compare(b.priority(), a.priority());
    };

    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    /** Appends {@code v} as 16 lower-case hex digits, as QEMU's {@code %016" PRIx64}. */
    static StringBuilder hex16(StringBuilder out, long v) {
        for (int shift = 60; shift >= 0; shift -= 4) {
            out.append(DIGITS[(int) (v >>> shift) & 0xf]);
        }
        return out;
    }

    private static String name(MemoryRegion mr) {
        return nameOrNull(mr.name());
    }

    private static String nameOrNull(String name) {
        return name == null ? "(null)" : name;
    }
}
