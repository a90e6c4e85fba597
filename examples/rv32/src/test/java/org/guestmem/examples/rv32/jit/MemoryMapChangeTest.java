package org.guestmem.examples.rv32.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.guestmem.MemorySystem;
import org.guestmem.RamRegion;
import org.guestmem.examples.rv32.testing.Asm;
import org.guestmem.examples.rv32.testing.TestMachine;
import org.junit.jupiter.api.Test;

/**
 * A commit that maps RAM over translated code reaches the JIT through the TLB's listener at the
 * CPU's next quiescent state: the translations of the old code are dropped and the new code runs.
 * Without the listener the compiled function keeps answering 1 and the guest never exits.
 */
class MemoryMapChangeTest {
    private static final int FUNC = TestMachine.BASE + 0x2000;

    @Test
    void ramMappedOverTranslatedCodeRunsItsOwnInstructions() throws Exception {
        // loop: call FUNC; until it returns 2
        Asm a = new Asm().li(5, FUNC).li(6, 2);
        int loop = a.size();
        a.jalr(1, 5, 0).bne(10, 6, 4 * (loop - a.size())).exit(0);
        int[] code = new int[0x2000 / 4 + 2];
        System.arraycopy(a.words(), 0, code, 0, a.size());
        int[] one = new Asm().addi(10, 0, 1).jalr(0, 1, 0).words();
        System.arraycopy(one, 0, code, 0x2000 / 4, one.length);

        CompletableFuture<MemorySystem> system = new CompletableFuture<>();
        CompletableFuture<Integer> result = new CompletableFuture<>();
        CompletableFuture<String> stats = new CompletableFuture<>();
        Thread cpu = new Thread(() -> {
            try (TestMachine m = new TestMachine(TestMachine.Backend.GUESTMEM, code, TestJit.after(4))) {
                // run until FUNC is compiled, then let the test map the new code
                assertEquals(null, m.run(200_000));
                assertTrue(m.engine.stats().contains(" 0 by memory-map changes"), m.engine.stats());
                system.complete(m.guestmem.system());
                result.complete(m.run(2_000_000_000L));
                stats.complete(m.engine.stats());
            } catch (Throwable t) {
                system.completeExceptionally(t);
                result.completeExceptionally(t);
            }
        }, "rv32-cpu");
        cpu.setDaemon(true);
        cpu.start();
        MemorySystem sys = system.get(20, TimeUnit.SECONDS);
        RamRegion two = sys.ram("two", 4096);
        int[] words = new Asm().addi(10, 0, 2).jalr(0, 1, 0).words();
        for (int k = 0; k < words.length; k++) {
            two.segment().set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * k, words[k]);
        }
        sys.addressSpaces().getFirst().root().addSubregionOverlap(two, Integer.toUnsignedLong(FUNC), 1);
        assertEquals(0, result.get(20, TimeUnit.SECONDS), "the guest ran the code mapped over its translated function");
        assertTrue(stats.get().matches("(?s).* [1-9][0-9]* by memory-map changes.*"), stats.get());
    }
}
