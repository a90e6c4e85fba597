package org.guestmem.examples.rv32;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.guestmem.MemoryRegionOps;
import org.guestmem.MemorySystem;
import org.guestmem.MmioRegion;
import org.guestmem.examples.rv32.cpu.Csrs;
import org.guestmem.examples.rv32.cpu.InterpreterEngine;
import org.guestmem.examples.rv32.jit.TestJit;
import org.guestmem.examples.rv32.testing.Asm;
import org.guestmem.examples.rv32.testing.TestMachine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU thread is a quiescent-state RCU reader that reports quiescent states between blocks:
 * while the guest spins, another thread's grace period completes, and a device it maps becomes
 * visible to the running guest.
 */
class QuiescentStateTest {
    private static final int FLAG = 0x30000000;

    @ParameterizedTest
    @ValueSource(strings = {"interp", "jit"})
    void gracePeriodsEndAndCommitsReachTheSpinningCpu(String engine) throws Exception {
        // poll FLAG until it reads non-zero; until the device is mapped the load faults and the handler skips it
        int handler = TestMachine.BASE + 0x100;
        Asm a = new Asm().li(5, handler).csrrw(0, Csrs.MTVEC, 5).li(6, FLAG).li(7, 0);
        int loop = a.size();
        a.lw(7, 6, 0).beq(7, 0, 4 * (loop - a.size())).exit(0);
        int[] code = new int[0x100 / 4 + 8];
        System.arraycopy(a.words(), 0, code, 0, a.size());
        int[] h = new Asm().csrrs(28, Csrs.MEPC, 0).addi(28, 28, 4).csrrw(0, Csrs.MEPC, 28).mret().words();
        System.arraycopy(h, 0, code, 0x100 / 4, h.length);

        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<MemorySystem> system = new CompletableFuture<>();
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread cpu = new Thread(() -> {
            try (TestMachine m = new TestMachine(TestMachine.Backend.GUESTMEM, code,
                    engine.equals("jit") ? TestJit.after(4) : InterpreterEngine::new)) {
                system.complete(m.guestmem.system());
                started.countDown();
                result.complete(m.run(2_000_000_000L));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "rv32-cpu");
        cpu.setDaemon(true);
        cpu.start();
        started.await(10, TimeUnit.SECONDS);
        MemorySystem sys = system.get(10, TimeUnit.SECONDS);
        CompletableFuture<Void> grace = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            sys.rcu().synchronize();
            grace.complete(null);
        });
        grace.get(10, TimeUnit.SECONDS);
        MmioRegion flag = sys.mmio("flag", 4, MemoryRegionOps.builder().read((addr, size) -> 1).build());
        var root = sys.addressSpaces().getFirst().root();
        ((org.guestmem.ContainerRegion) root).addSubregion(flag, FLAG);
        assertEquals(0, result.get(20, TimeUnit.SECONDS), "the guest saw the device mapped while it ran");
    }
}
