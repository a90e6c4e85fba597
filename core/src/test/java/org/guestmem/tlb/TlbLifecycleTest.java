package org.guestmem.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemTxResult;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.RamRegion;
import org.guestmem.internal.SharedSecrets;
import org.guestmem.internal.TlbRegistry;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.Test;

/**
 * How a TLB is built, registered, freed and outlived: the builder refuses bad input with a clear
 * message and changes nothing; a TLB joins its system's registry and leaves it when closed, or,
 * dropped without closing, once it is unreachable; and a system closed while a CPU thread is
 * online never lets that thread's TLB reach the freed RAM.
 */
class TlbLifecycleTest {
    static MemorySystem machine() {
        MemorySystem sys = MemorySystem.create();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        RamRegion ram = sys.ram("ram", 0x4000);
        root.addSubregion(ram, 0x10000);
        sys.addressSpace("memory", root);
        return sys;
    }

    static TlbRegistry registry(AddressSpace as) {
        return SharedSecrets.coreAccess().tlbs(as);
    }

    @Test
    void theBuilderShouldRefuseBadInputWithAClearMessage() throws Exception {
        try (MemorySystem sys = machine(); MemorySystem other = machine(); RcuReader r = sys.rcu().register()) {
            AddressSpace as = sys.addressSpaces().getFirst();
            AddressSpace foreign = other.addressSpaces().getFirst();
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Tlb.builder(r).entries(3000))
                    .getMessage().contains("3000"));
            assertThrows(IllegalArgumentException.class, () -> Tlb.builder(r).entries(32));
            assertThrows(IllegalArgumentException.class, () -> Tlb.builder(r).entries(1 << 21));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Tlb.builder(r).build()).getMessage()
                    .contains("at least one"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Tlb.builder(r).index(foreign).build())
                    .getMessage().contains("another memory system"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Tlb.builder(r).index(as).index(foreign).build())
                    .getMessage().contains("MMU index 1"));
            TlbBuilder many = Tlb.builder(r);
            for (int i = 0; i < 16; i++) {
                many.index(as);
            }
            assertThrows(IllegalArgumentException.class, () -> many.index(as));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> PageMapper.mapping(0x1000, 8))
                    .getMessage().contains("0x8"));
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    Tlb.builder(r).index(as).build();
                } catch (Throwable e) {
                    seen.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(seen.get() instanceof WrongThreadException, "got " + seen.get());
            assertEquals(0, registry(as).size(), "nothing was registered by the refused builds");
            Tlb tlb = many.build();
            assertEquals(16, tlb.mmuIndexes());
            assertEquals(1, registry(as).size());
            tlb.close();
            tlb.close();
            assertEquals(0, registry(as).size());
        }
    }

    @Test
    void aTlbDroppedWithoutClosingShouldBeFreedOnceUnreachable() throws Exception {
        try (MemorySystem sys = machine(); RcuReader r = sys.rcu().registerQuiescent()) {
            AddressSpace as = sys.addressSpaces().getFirst();
            WeakReference<Tlb> ref = dropped(r, as);
            assertEquals(1, registry(as).size());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while ((ref.get() != null || registry(as).size() != 0) && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(10);
            }
            assertEquals(null, ref.get(), "the reader's stretch listener does not keep the TLB reachable");
            assertEquals(0, registry(as).size(), "the cleaner took it out of the registry and freed its tables");
            r.quiescentState(); // the stale stretch listener removes itself
            assertEquals(MemTxResult.OK, as.accessor(r).st8(0x10000, 1), "the reader works on");
        }
    }

    private static WeakReference<Tlb> dropped(RcuReader r, AddressSpace as) {
        Tlb tlb = Tlb.builder(r).index(as).build();
        Tlb.ld8(tlb, 0, 0x10000);
        return new WeakReference<>(tlb);
    }

    @Test
    void aSystemClosedUnderAnOnlineCpuShouldNeverLetItsTlbReachTheFreedRam() throws Exception {
        MemorySystem sys = machine();
        AddressSpace as = sys.addressSpaces().getFirst();
        RamRegion ram = (RamRegion) as.currentView().range(0).region();
        CountDownLatch warm = new CountDownLatch(1);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread closer = new Thread(() -> {
            try {
                warm.await();
                sys.close(); // waits for the CPU's quiescent state before freeing RAM
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        closer.start();
        try (RcuReader r = sys.rcu().registerQuiescent(); Tlb tlb = Tlb.builder(r).index(as).build()) {
            assertEquals(0, Tlb.st64le(tlb, 0, 0x10008, 0x77));
            warm.countDown();
            long loads = 0;
            while (closer.isAlive()) {
                if (Tlb.ld64le(tlb, 0, 0x10008) == 0x77) {
                    loads++;
                }
                r.quiescentState();
            }
            Tlb.clearLoadFault(tlb);
            assertThrows(IllegalStateException.class, () -> ram.segment().get(ValueLayout.JAVA_BYTE, 0),
                    "the RAM was freed");
            result.set(Tlb.ld64le(tlb, 0, 0x10008));
            assertEquals(MemTxResult.DECODE_ERROR.bits(), Tlb.loadFault(tlb), "the address space shows nothing any more");
            assertTrue(loads > 0);
        } catch (IllegalStateException e) {
            result.set(e); // the domain closed under the reader: its slot is gone, and it says so
        }
        closer.join();
        assertTrue(result.get() instanceof Long l && l == 0 || result.get() instanceof IllegalStateException,
                "a hole, or a refusal: never the freed RAM's bytes; got " + result.get());
    }
}
