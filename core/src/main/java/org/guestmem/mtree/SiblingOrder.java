package org.guestmem.mtree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import org.guestmem.mtree.MtreeDump.Node;

/**
 * Infers QEMU's subregion list order (descending priority, the newest of equal priority first)
 * from the order {@code info mtree} printed the siblings in.
 *
 * <p>Within one priority: siblings at the same address were printed in list order, so that order
 * is exact. For siblings at different addresses only overlapping pairs matter for rendering; for
 * those the smaller one is taken as the newer, and at equal sizes the one printed later. The
 * result is a topological order of these "newer than" edges that prefers print order (of the
 * siblings whose newer ones are all placed, the first printed comes next); if the guesses form a
 * cycle, guessed edges give way to exact ones.
 *
 * <p>Cost: O(n log n) for n siblings plus O(log n) per overlapping pair at different addresses.
 * Same-address siblings are chained (each to the next printed), which orders them exactly as
 * edges between every pair would; overlapping pairs are found with a sweep over the addresses.
 * Real machines have a handful of such pairs; a group with more than {@link #MAX_OVERLAPS} (a
 * few thousand siblings all overlapping each other) is refused with an
 * {@link IllegalArgumentException} rather than taking seconds and gigabytes.
 */
final class SiblingOrder {
    /** The most overlapping pairs at different addresses one priority group may have. */
    static final int MAX_OVERLAPS = 1_000_000;

    private SiblingOrder() {
    }

    static List<Node> newestFirst(List<Node> printed) {
        int n = printed.size();
        if (n <= 1) {
            return printed;
        }
        // groups by descending priority, print order within each (few distinct priorities in practice)
        TreeMap<Integer, List<Node>> groups = new TreeMap<>(Comparator.reverseOrder());
        for (Node c : printed) {
            groups.computeIfAbsent(c.prio, k -> new ArrayList<>()).add(c);
        }
        List<Node> out = new ArrayList<>(n);
        for (List<Node> g : groups.values()) {
            if (apart(g)) {
                out.addAll(g); // no two overlap: no edges, print order
            } else {
                Node[] group = g.toArray(new Node[0]);
                for (int i : new Group(group).newestFirst()) {
                    out.add(group[i]);
                }
            }
        }
        return out;
    }

    /**
     * {@return whether the siblings, in print order, lie at rising addresses without touching: the
     * common case (QEMU prints by address), which has no edges at all}
     */
    private static boolean apart(List<Node> g) {
        long prevLast = 0;
        for (int i = 0; i < g.size(); i++) {
            Node c = g.get(i);
            long last = c.start + c.sizeMinus1();
            if (Long.compareUnsigned(last, c.start) < 0 || (i > 0 && Long.compareUnsigned(c.start, prevLast) <= 0)) {
                return false;
            }
            prevLast = last;
        }
        return true;
    }

    /** The siblings of one priority, in print order, and the "newer than" edges between them. */
    private static final class Group {
        private final Node[] nodes;
        private final int[] inAll;
        private final int[] inExact;
        private int[][] succ;
        private boolean[][] succExact;
        private int[] succCount;
        private long guessedEdges;

        Group(Node[] nodes) {
            this.nodes = nodes;
            int n = nodes.length;
            inAll = new int[n];
            inExact = new int[n];
            succ = new int[n][];
            succExact = new boolean[n][];
            succCount = new int[n];
            addEdges();
        }

        private void edge(int first, int second, boolean exact) {
            int c = succCount[first];
            if (succ[first] == null) {
                succ[first] = new int[2];
                succExact[first] = new boolean[2];
            } else if (c == succ[first].length) {
                succ[first] = Arrays.copyOf(succ[first], c * 2);
                succExact[first] = Arrays.copyOf(succExact[first], c * 2);
            }
            succ[first][c] = second;
            succExact[first][c] = exact;
            succCount[first] = c + 1;
            inAll[second]++;
            if (exact) {
                inExact[second]++;
            }
        }

        /** The guessed edge of an overlapping pair at different addresses: the smaller is newer, else the later printed. */
        private void guessed(int i, int j) {
            if (++guessedEdges > MAX_OVERLAPS) {
                throw new IllegalArgumentException(nodes.length + " subregions of priority " + nodes[0].prio
                        + " overlap in more than " + MAX_OVERLAPS + " pairs at different addresses: expected fewer"
                        + " (the order they were added in is inferred pair by pair)");
            }
            int a = Math.min(i, j);
            int b = Math.max(i, j);
            int c = Long.compareUnsigned(nodes[a].sizeMinus1(), nodes[b].sizeMinus1());
            int first = c < 0 ? a : b;
            edge(first, first == a ? b : a, false);
        }

        private boolean wraps(int i) {
            return Long.compareUnsigned(nodes[i].start + nodes[i].sizeMinus1(), nodes[i].start) < 0;
        }

        private void addEdges() {
            int n = nodes.length;
            Integer[] byStart = new Integer[n];
            for (int i = 0; i < n; i++) {
                byStart[i] = i;
            }
            Arrays.sort(byStart, (x, y) -> Long.compareUnsigned(nodes[x].start, nodes[y].start)); // stable
            // exact edges: each same-address sibling to the next printed one
            for (int k = 1; k < n; k++) {
                if (nodes[byStart[k]].start == nodes[byStart[k - 1]].start) {
                    edge(byStart[k - 1], byStart[k], true);
                }
            }
            // guessed edges, ranges that reach past 2^64: against every sibling
            List<Integer> wrapping = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (wraps(i)) {
                    wrapping.add(i);
                }
            }
            for (int w : wrapping) {
                for (int j = 0; j < n; j++) {
                    if (j != w && nodes[j].start != nodes[w].start && (!wraps(j) || j > w) && overlaps(nodes[w], nodes[j])) {
                        guessed(w, j);
                    }
                }
            }
            // guessed edges, other ranges: a sweep by address; each run of one start meets the ranges still open
            PriorityQueue<Integer> open = new PriorityQueue<>((x, y) -> Long.compareUnsigned(last(x), last(y)));
            Set<Integer> active = new LinkedHashSet<>();
            for (int k = 0; k < n; ) {
                long start = nodes[byStart[k]].start;
                while (!open.isEmpty() && Long.compareUnsigned(last(open.peek()), start) < 0) {
                    active.remove(open.poll());
                }
                int end = k;
                while (end < n && nodes[byStart[end]].start == start) {
                    end++;
                }
                for (int r = k; r < end; r++) {
                    int v = byStart[r];
                    if (!wraps(v)) {
                        for (int u : active) {
                            guessed(u, v);
                        }
                    }
                }
                for (int r = k; r < end; r++) {
                    if (!wraps(byStart[r])) {
                        open.add(byStart[r]);
                        active.add(byStart[r]);
                    }
                }
                k = end;
            }
        }

        private long last(int i) {
            return nodes[i].start + nodes[i].sizeMinus1();
        }

        /** {@return group indices, newest first} */
        int[] newestFirst() {
            int n = nodes.length;
            boolean[] done = new boolean[n];
            PriorityQueue<Integer> readyAll = new PriorityQueue<>();
            PriorityQueue<Integer> readyExact = new PriorityQueue<>();
            for (int i = 0; i < n; i++) {
                if (inAll[i] == 0) {
                    readyAll.add(i);
                }
                if (inExact[i] == 0) {
                    readyExact.add(i);
                }
            }
            int[] out = new int[n];
            for (int step = 0; step < n; step++) {
                int pick = next(readyAll, done);
                if (pick < 0) { // a cycle of guesses: honour only the exact edges
                    pick = next(readyExact, done);
                }
                done[pick] = true;
                out[step] = pick;
                for (int k = 0; k < succCount[pick]; k++) {
                    int s = succ[pick][k];
                    if (--inAll[s] == 0) {
                        readyAll.add(s);
                    }
                    if (succExact[pick][k] && --inExact[s] == 0) {
                        readyExact.add(s);
                    }
                }
            }
            return out;
        }

        private static int next(PriorityQueue<Integer> ready, boolean[] done) {
            while (!ready.isEmpty()) {
                int i = ready.poll();
                if (!done[i]) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Whether the two ranges share an address; printed ends may wrap past 2^64, so compare relative offsets. */
    private static boolean overlaps(Node a, Node b) {
        return Long.compareUnsigned(b.start - a.start, a.sizeMinus1()) <= 0
                || Long.compareUnsigned(a.start - b.start, b.sizeMinus1()) <= 0;
    }
}
