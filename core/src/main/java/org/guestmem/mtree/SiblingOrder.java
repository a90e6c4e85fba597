package org.guestmem.mtree;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Infers QEMU's subregion list order (descending priority, the newest of equal priority first)
 * from the order {@code info mtree} printed the siblings in.
 *
 * <p>Within one priority: siblings at the same address were printed in list order, so that order
 * is exact. For siblings at different addresses only overlapping pairs matter for rendering; for
 * those the smaller one is taken as the newer, and at equal sizes the one printed later. The
 * result is a topological order of these "newer than" edges that prefers print order; if the
 * guesses form a cycle, guessed edges give way to exact ones.
 */
final class SiblingOrder {
    private SiblingOrder() {
    }

    static List<MtreeImporter.Node> newestFirst(List<MtreeImporter.Node> printed) {
        TreeMap<Integer, List<Integer>> byPriority = new TreeMap<>((a, b) -> Integer.compare(b, a));
        for (int i = 0; i < printed.size(); i++) {
            byPriority.computeIfAbsent(printed.get(i).prio, k -> new ArrayList<>()).add(i);
        }
        List<MtreeImporter.Node> out = new ArrayList<>(printed.size());
        for (List<Integer> group : byPriority.values()) {
            for (int i : orderGroup(printed, group)) {
                out.add(printed.get(i));
            }
        }
        return out;
    }

    /** Indices of one priority group, newest first. */
    private static List<Integer> orderGroup(List<MtreeImporter.Node> printed, List<Integer> group) {
        int n = group.size();
        if (n <= 1) {
            return group;
        }
        // newer[a][b]: a must come before b; exact marks same-address (print order) edges
        List<List<Integer>> succ = new ArrayList<>(n);
        int[] inExact = new int[n];
        int[] inAll = new int[n];
        List<List<Boolean>> succExact = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            succ.add(new ArrayList<>());
            succExact.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            MtreeImporter.Node a = printed.get(group.get(i));
            for (int j = i + 1; j < n; j++) {
                MtreeImporter.Node b = printed.get(group.get(j));
                int first;
                int second;
                boolean exact;
                if (a.start == b.start) {
                    first = i;
                    second = j;
                    exact = true;
                } else if (overlaps(a, b)) {
                    exact = false;
                    int c = Long.compareUnsigned(a.sizeMinus1(), b.sizeMinus1());
                    if (c != 0) {
                        first = c < 0 ? i : j;
                    } else {
                        first = j;
                    }
                    second = first == i ? j : i;
                } else {
                    continue;
                }
                succ.get(first).add(second);
                succExact.get(first).add(exact);
                inAll[second]++;
                if (exact) {
                    inExact[second]++;
                }
            }
        }
        boolean[] done = new boolean[n];
        List<Integer> out = new ArrayList<>(n);
        for (int step = 0; step < n; step++) {
            int pick = -1;
            for (int i = 0; i < n; i++) {
                if (!done[i] && inAll[i] == 0) {
                    pick = i;
                    break;
                }
            }
            if (pick < 0) { // a cycle of guesses: honour only the exact edges
                for (int i = 0; i < n; i++) {
                    if (!done[i] && inExact[i] == 0) {
                        pick = i;
                        break;
                    }
                }
            }
            done[pick] = true;
            out.add(group.get(pick));
            List<Integer> s = succ.get(pick);
            for (int k = 0; k < s.size(); k++) {
                inAll[s.get(k)]--;
                if (succExact.get(pick).get(k)) {
                    inExact[s.get(k)]--;
                }
            }
        }
        return out;
    }

    /** Whether the two ranges share an address; printed ends may wrap past 2^64, so compare relative offsets. */
    private static boolean overlaps(MtreeImporter.Node a, MtreeImporter.Node b) {
        return Long.compareUnsigned(b.start - a.start, a.sizeMinus1()) <= 0
                || Long.compareUnsigned(a.start - b.start, b.sizeMinus1()) <= 0;
    }
}
