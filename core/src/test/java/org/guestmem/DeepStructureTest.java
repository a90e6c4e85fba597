package org.guestmem;

import static org.guestmem.Fixtures.TOP;
import static org.guestmem.Fixtures.r;
import static org.guestmem.Fixtures.ranges;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.mtree.MtreePrinter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structures far deeper than a thread's stack could recurse: alias chains and nested containers of
 * 10,000 and 100,000 levels are added, rendered, printed, changed and removed. Everything runs on
 * a thread with a 256 KiB stack, which a recursive walk of even a few thousand levels would
 * overflow.
 */
class DeepStructureTest {
    private static final long SMALL_STACK = 256 * 1024;
    private MemorySystem sys;
    private ContainerRegion system;
    private AddressSpace memory;

    @BeforeEach
    void create() {
        sys = MemorySystem.create();
        system = sys.container("system", TOP);
        memory = sys.addressSpace("memory", system);
    }

    @AfterEach
    void close() {
        sys.close();
    }

    /** Runs {@code body} on a thread with a small stack and rethrows what it threw. */
    private static void onSmallStack(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", SMALL_STACK);
        t.start();
        t.join();
        if (failure.get() instanceof Error e) {
            throw e;
        }
        if (failure.get() instanceof RuntimeException e) {
            throw e;
        }
    }

    /**
     * An alias chain of {@code depth} aliases over 4 MiB of RAM, each showing its predecessor from
     * offset 16 on, so the last one shows the RAM from {@code 16 * depth}: the offsets add up only
     * if the renderer follows every level.
     */
    private static List<AliasRegion> aliasChain(MemorySystem sys, RamRegion ram, int depth) {
        List<AliasRegion> chain = new ArrayList<>(depth);
        MemoryRegion target = ram;
        for (int i = 0; i < depth; i++) {
            AliasRegion a = sys.alias("a" + i, target, 16, target.size() - 16);
            chain.add(a);
            target = a;
        }
        return chain;
    }

    @ParameterizedTest
    @ValueSource(ints = {10_000, 100_000})
    void shouldAddRenderChangeAndRemoveADeepAliasChain(int depth) throws InterruptedException {
        onSmallStack(() -> {
            RamRegion ram = sys.ram("ram", 0x40_0000);
            List<AliasRegion> chain = aliasChain(sys, ram, depth);
            AliasRegion last = chain.getLast();
            long shown = 16L * depth;
            system.addSubregion(last, 0x1000_0000);
            assertTrue(last.isMapped() && ram.isMapped());
            assertEquals(List.of(r(0x1000_0000L, 0x1000_0000L + 0x40_0000 - shown - 1, "ram", shown)), ranges(memory));
            String tree = MtreePrinter.tree(sys, false);
            assertEquals(depth, count(tree, "\nmemory-region: "), "one block per alias target: a(depth-2) ... a0, ram");
            assertTrue(tree.contains("\nmemory-region: a0\n  0000000000000000-00000000003fffef (prio 0, ram): alias a0 @ram"
                    + " 0000000000000010-00000000003fffff\n"), () -> tree.substring(tree.length() - 300));
            assertTrue(MtreePrinter.flat(sys).contains(String.format("  0000000010000000-%016x (prio 0, ram): ram @%016x\n",
                    0x1000_0000L + 0x40_0000 - shown - 1, shown)), MtreePrinter.flat(sys));
            chain.getFirst().setAliasOffset(0); // the deepest window moves: every level below shows 16 bytes more
            assertEquals(List.of(r(0x1000_0000L, 0x1000_0000L + 0x40_0000 - shown - 1, "ram", shown - 16)), ranges(memory));
            system.removeSubregion(last);
            assertEquals(List.of(), ranges(memory));
            assertFalse(ram.isMapped(), "the chain's mapping counts went back to zero");
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {10_000, 100_000})
    void shouldFindTheFlatviewRootAtTheEndOfADeepChainOfWholeAliases(int depth) throws InterruptedException {
        onSmallStack(() -> {
            RamRegion ram = sys.ram("ram", 0x1000);
            MemoryRegion target = ram;
            for (int i = 0; i < depth; i++) {
                target = sys.alias("w" + i, target, 0, 0x1000);
            }
            AddressSpace as = sys.addressSpace("chain", target);
            assertEquals("ram", as.currentView().rootName(), "every alias covers its target: the root is the RAM");
            assertEquals(List.of(r(0, 0xfff, "ram", 0)), ranges(as));
        });
    }

    /**
     * {@code depth} containers, each inside the previous one at offset 16 (or 0), with RAM in the
     * innermost, built top-down or bottom-up inside one transaction.
     */
    private ContainerRegion nest(int depth, long step, boolean topDown) {
        List<ContainerRegion> levels = new ArrayList<>(depth);
        for (int i = 0; i < depth; i++) {
            levels.add(sys.container("c" + i, 0x1000_0000L - step * i));
        }
        try (MemoryTransaction tx = sys.begin()) {
            if (topDown) {
                for (int i = 1; i < depth; i++) {
                    levels.get(i - 1).addSubregion(levels.get(i), step);
                }
                levels.getLast().addSubregion(sys.ram("ram", 0x1000), 0);
            } else {
                levels.getLast().addSubregion(sys.ram("ram", 0x1000), 0);
                for (int i = depth - 1; i > 0; i--) {
                    levels.get(i - 1).addSubregion(levels.get(i), step);
                }
            }
        }
        return levels.getFirst();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void shouldAddRenderAndRemoveOneHundredThousandNestedContainers(boolean topDown) throws InterruptedException {
        onSmallStack(() -> {
            int depth = 100_000;
            ContainerRegion outer = nest(depth, 16, topDown);
            system.addSubregion(outer, 0x1000);
            long at = 0x1000 + 16L * (depth - 1);
            assertEquals(List.of(r(at, at + 0xfff, "ram", 0)), ranges(memory));
            assertTrue(MtreePrinter.flat(sys).contains(String.format("  %016x-%016x (prio 0, ram): ram\n", at, at + 0xfff)));
            outer.setReadonly(true); // propagates through every level
            assertTrue(memory.currentView().ranges().getFirst().readonly());
            system.removeSubregion(outer);
            assertEquals(List.of(), ranges(memory));
        });
    }

    @Test
    void shouldPrintTheTreeOfThreeThousandNestedContainers() throws InterruptedException {
        onSmallStack(() -> { // each line is indented by its level: 100,000 levels would print 10^10 spaces
            ContainerRegion outer = nest(3000, 16, true);
            system.addSubregion(outer, 0);
            String tree = MtreePrinter.tree(sys, false);
            assertTrue(tree.contains("\n" + "  ".repeat(3002) + String.format("%016x-%016x (prio 0, ram): ram\n",
                    16L * 2999, 16L * 2999 + 0xfff)), () -> tree.substring(tree.length() - 200));
        });
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void shouldReduceOneHundredThousandNestedContainersToTheirInnermostRegion(boolean topDown) throws InterruptedException {
        onSmallStack(() -> {
            ContainerRegion outer = nest(100_000, 0, topDown);
            AddressSpace nested = sys.addressSpace("nested", outer);
            assertEquals("ram", nested.currentView().rootName());
            assertEquals(List.of(r(0, 0xfff, "ram", 0)), ranges(nested));
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {10_000})
    void shouldRenderAChainOfAliasesEachShowingAContainerThatHoldsTheNext(int depth) throws InterruptedException {
        onSmallStack(() -> {
            // container Ci holds alias Ai at 0x1000 onto C(i+1)'s [0x1000, 0x1fff]; the innermost holds RAM there
            ContainerRegion inner = sys.container("C" + depth, 0x2000);
            inner.addSubregion(sys.ram("ram", 0x1000), 0x1000);
            MemoryRegion next = inner;
            for (int i = depth - 1; i >= 0; i--) {
                ContainerRegion c = sys.container("C" + i, 0x2000);
                c.addSubregion(sys.alias("A" + i, next, 0x1000, 0x1000), 0x1000);
                next = c;
            }
            system.addSubregion(next, 0x4000);
            assertEquals(List.of(r(0x5000, 0x5fff, "ram", 0)), ranges(memory));
        });
    }
}
