package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.guestmem.mtree.MtreeDump.Node;
import org.junit.jupiter.api.Test;

/**
 * {@link SiblingOrder} against the rule it implements, written the direct way as a reference: an
 * edge for every pair of equal-priority siblings (exact at one address, guessed where they
 * overlap), then repeatedly the first printed sibling with no newer sibling left, or with no
 * exact one left when the guesses form a cycle. The fast version chains same-address siblings
 * and sweeps for overlaps; the two must agree on every input, wrapping ranges included.
 */
class SiblingOrderTest {

    @Property(tries = 2000)
    void shouldOrderSiblingsExactlyAsThePairwiseRule(@ForAll long seed, @ForAll @IntRange(min = 0, max = 40) int count) {
        Random rnd = new Random(seed);
        List<Node> printed = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long start;
            long sizeMinus1;
            switch (rnd.nextInt(8)) {
                case 0 -> { // reaches past 2^64, printed wrapped
                    start = -1L - rnd.nextInt(0x40) * 0x10L;
                    sizeMinus1 = rnd.nextInt(0x80) * 0x10L + 0xf;
                }
                case 1 -> { // 2^64 bytes
                    start = rnd.nextInt(4) * 0x10L;
                    sizeMinus1 = -1L;
                }
                default -> { // few addresses and sizes: many same-address and overlapping pairs
                    start = rnd.nextInt(16) * 0x10L;
                    sizeMinus1 = rnd.nextInt(6) * 0x10L + 0xf;
                }
            }
            printed.add(node(i + 1, start, sizeMinus1, rnd.nextInt(3) - 1));
        }
        assertEquals(names(Reference.newestFirst(printed)), names(SiblingOrder.newestFirst(printed)), "seed " + seed);
    }

    @Test
    void shouldTakeTheSmallerOfTwoOverlappingSiblingsAsTheNewer() {
        Node big = node(1, 0x0, 0xfff, 0);
        Node small = node(2, 0x800, 0xff, 0);
        Node apart = node(3, 0x2000, 0xfff, 0);
        Node high = node(4, 0x3000, 0xf, 1);
        assertEquals(List.of("r4", "r2", "r1", "r3"), names(SiblingOrder.newestFirst(List.of(big, small, apart, high))));
    }

    @Test
    void shouldOrderTenThousandOverlappingSiblingsAtOneAddressByPrintOrder() {
        List<Node> printed = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            printed.add(node(i + 1, 0, 0xfff + i, 0));
        }
        assertEquals(names(printed), names(SiblingOrder.newestFirst(printed)));
    }

    @Test
    void shouldRefuseAGroupWithMoreOverlappingPairsThanItOrdersPairByPair() {
        List<Node> nested = new ArrayList<>();
        for (int i = 0; i < 1500; i++) { // 1500 ranges inside each other: 1,124,250 overlapping pairs
            nested.add(node(i + 1, 0x1000L * i, -1L - 0x2000L * i, 0));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SiblingOrder.newestFirst(nested));
        assertEquals("1500 subregions of priority 0 overlap in more than 1000000 pairs at different addresses: expected fewer"
                + " (the order they were added in is inferred pair by pair)", e.getMessage());
        List<Node> fewer = nested.subList(0, 1000); // 499,500 pairs: ordered, the smallest (innermost) newest
        assertEquals(names(fewer.reversed()), names(SiblingOrder.newestFirst(fewer)));
    }

    private static Node node(int line, long start, long sizeMinus1, int prio) {
        return new Node(line, null, start, start + sizeMinus1, prio, false, "i/o", false, "r" + line, null, 0, 0);
    }

    private static List<String> names(List<Node> nodes) {
        return nodes.stream().map(n -> n.name).toList();
    }

    /** The rule, pair by pair. */
    private static final class Reference {
        static List<Node> newestFirst(List<Node> printed) {
            TreeMap<Integer, List<Integer>> byPriority = new TreeMap<>((a, b) -> Integer.compare(b, a));
            for (int i = 0; i < printed.size(); i++) {
                byPriority.computeIfAbsent(printed.get(i).prio, k -> new ArrayList<>()).add(i);
            }
            List<Node> out = new ArrayList<>();
            for (List<Integer> group : byPriority.values()) {
                int n = group.size();
                boolean[][] edge = new boolean[n][n];
                boolean[][] exact = new boolean[n][n];
                for (int i = 0; i < n; i++) {
                    for (int j = i + 1; j < n; j++) {
                        Node a = printed.get(group.get(i));
                        Node b = printed.get(group.get(j));
                        if (a.start == b.start) {
                            edge[i][j] = true;
                            exact[i][j] = true;
                        } else if (Long.compareUnsigned(b.start - a.start, a.sizeMinus1()) <= 0
                                || Long.compareUnsigned(a.start - b.start, b.sizeMinus1()) <= 0) {
                            int c = Long.compareUnsigned(a.sizeMinus1(), b.sizeMinus1());
                            if (c < 0) {
                                edge[i][j] = true;
                            } else {
                                edge[j][i] = true;
                            }
                        }
                    }
                }
                boolean[] done = new boolean[n];
                for (int step = 0; step < n; step++) {
                    int pick = first(edge, done, n);
                    if (pick < 0) {
                        pick = first(exact, done, n);
                    }
                    done[pick] = true;
                    out.add(printed.get(group.get(pick)));
                }
            }
            return out;
        }

        /** The first not-done sibling with no not-done predecessor along {@code e}, or -1. */
        private static int first(boolean[][] e, boolean[] done, int n) {
            for (int i = 0; i < n; i++) {
                if (done[i]) {
                    continue;
                }
                boolean free = true;
                for (int j = 0; j < n && free; j++) {
                    free = done[j] || !e[j][i];
                }
                if (free) {
                    return i;
                }
            }
            return -1;
        }
    }
}
