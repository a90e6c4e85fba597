package org.guestmem.examples.rv32.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.guestmem.examples.rv32.testing.Asm;
import org.guestmem.examples.rv32.testing.TestMachine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stores into translated code, on both backends: through guestmem's CODE dirty bits and
 * CodeWriteHandler, or through the raw backend's watched pages. Every block is compiled the first
 * time it runs, so every store here hits compiled code.
 */
class SelfModifyingCodeTest {
    private static final int F = TestMachine.BASE + 0x400;
    private static final int G = TestMachine.BASE + 0x500;
    private static final int A0 = 10, S1 = 9, S2 = 18, S3 = 19, T1 = 6, T2 = 7, RA = 1;

    /** {@return {@code addi a0, zero, k}} */
    private static int li(int k) {
        return Asm.i(k, 0, 0, A0, 0x13);
    }

    /** main at 0, F: li a0, 1; ret at 0x400, G: li a0, 7; ret at 0x500. */
    private static int[] image(Asm main) {
        main.exit(0);
        int[] code = new int[0x600 / 4];
        System.arraycopy(main.words(), 0, code, 0, main.size());
        code[0x400 / 4] = li(1);
        code[0x400 / 4 + 1] = Asm.i(0, RA, 0, 0, 0x67);
        code[0x500 / 4] = li(7);
        code[0x500 / 4 + 1] = Asm.i(0, RA, 0, 0, 0x67);
        return code;
    }

    private static Asm call(Asm a, int target) {
        return a.li(T2, target).jalr(RA, T2, 0);
    }

    private static CodeCache cache(TestMachine m) {
        return ((JitEngine) m.engine).cache();
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void aPatchedFunctionRunsItsNewCodeWithAndWithoutFenceI(TestMachine.Backend backend) {
        Asm main = new Asm();
        call(main, F).addi(S1, A0, 0);
        main.li(T2, F).li(T1, li(2)).sw(T1, T2, 0).fenceI();
        call(main, F).addi(S2, A0, 0);
        main.li(T2, F).li(T1, li(3)).sw(T1, T2, 0);     // no fence.i
        call(main, F).addi(S3, A0, 0);
        try (TestMachine m = new TestMachine(backend, image(main), TestJit.eager())) {
            assertEquals(0, m.run(100_000));
            assertEquals(1, m.x(S1));
            assertEquals(2, m.x(S2));
            assertEquals(3, m.x(S3));
            assertEquals(2, cache(m).invalidated(), "F's translation was dropped by each patch");
            assertEquals(2, cache(m).overwrites(F));
        }
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void aStoreIntoTheRunningBlockStopsItBeforeTheNextInstruction(TestMachine.Backend backend) {
        // one block: the store rewrites the instruction right after it, which then runs as li a0, 2
        Asm main = new Asm().li(A0, 0).li(T1, li(2));
        int store = main.here(TestMachine.BASE);
        main.li(T2, store + 12).sw(T1, T2, 0).word(li(1)).addi(S1, A0, 0);
        try (TestMachine m = new TestMachine(backend, image(main), TestJit.eager())) {
            assertEquals(0, m.run(100_000));
            assertEquals(2, m.x(S1));
            assertEquals(1, cache(m).invalidated(), "the running block itself was dropped");
        }
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void onlyTranslationsOverlappingTheWriteAreDropped(TestMachine.Backend backend) {
        Asm main = new Asm();
        call(main, F);
        call(main, G);
        main.li(T2, F).li(T1, li(5)).sw(T1, T2, 0);
        main.li(T2, F + 8).sw(T1, T2, 0);              // same page, next to F: no code there
        try (TestMachine m = new TestMachine(backend, image(main), TestJit.eager())) {
            Integer status = m.run(100_000);
            assertEquals(0, status);
            CodeCache c = cache(m);
            assertEquals(1, c.invalidated());
            assertEquals(null, c.lookup(F));
            Translation g = c.lookup(G);
            assertNotNull(g, "G shares F's page but was not written");
            assertTrue(g.isValid());
            assertTrue(c.pageHasCode(G & ~0xfff));
            assertSame(g, c.lookup(G));
        }
    }

    @ParameterizedTest
    @EnumSource(TestMachine.Backend.class)
    void aBlockPatchedAgainAndAgainIsLeftToTheInterpreter(TestMachine.Backend backend) {
        // for i in 20..1: F = li a0, i; s1 += F()
        Asm main = new Asm().li(S1, 0).li(S2, 20);
        int loop = main.size();
        main.addi(T1, S2, 0).slli(T1, T1, 20).li(S3, li(0)).or(T1, T1, S3).li(T2, F).sw(T1, T2, 0);
        call(main, F).add(S1, S1, A0).addi(S2, S2, -1);
        main.bne(S2, 0, 4 * (loop - main.size()));
        try (TestMachine m = new TestMachine(backend, image(main), TestJit.eager())) {
            assertEquals(0, m.run(1_000_000));
            assertEquals(210, m.x(S1));
            CodeCache c = cache(m);
            assertEquals(CodeCache.MAX_INVALIDATIONS, c.overwrites(F), "no more translations of F after the limit");
            assertEquals(1, c.interpretedForGood());
            assertEquals(null, c.lookup(F));
        }
    }
}
