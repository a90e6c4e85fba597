package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.guestmem.rcu.RcuReader;
import org.guestmem.tlb.Tlb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An accessor is confined to its reader's thread also while the owner holds a read section open:
 * the owner's section must not let another thread through (it used to: the cache was valid for
 * the section, and another thread's access just worked). Every access method refuses, every time,
 * and the refused call changes nothing the owner sees. In checked mode the TLB's static fast paths
 * refuse too; in fast mode they are documented as unchecked.
 */
class AccessorConfinementTest {
    private static final long RAM = 0x10000;
    private MemorySystem sys;

    @AfterEach
    void close() {
        sys.close();
    }

    private AddressSpace machine(boolean checked) {
        sys = MemorySystem.builder().name("confined").checkedAccess(checked).build();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        root.addSubregion(sys.ram("ram", 0x10000), RAM);
        return sys.addressSpace("memory", root);
    }

    /** Every public method that reads or changes what the owner sees, by name. */
    private static Map<String, Consumer<AddressSpaceAccessor>> calls() {
        Map<String, Consumer<AddressSpaceAccessor>> calls = new LinkedHashMap<>();
        calls.put("ld8", a -> a.ld8(RAM));
        calls.put("ld16le", a -> a.ld16le(RAM));
        calls.put("ld16be", a -> a.ld16be(RAM));
        calls.put("ld32le", a -> a.ld32le(RAM));
        calls.put("ld32be", a -> a.ld32be(RAM));
        calls.put("ld64le", a -> a.ld64le(RAM));
        calls.put("ld64be", a -> a.ld64be(RAM));
        calls.put("st8", a -> a.st8(RAM, 0xee));
        calls.put("st16le", a -> a.st16le(RAM, 0xee));
        calls.put("st16be", a -> a.st16be(RAM, 0xee));
        calls.put("st32le", a -> a.st32le(RAM, 0xee));
        calls.put("st32be", a -> a.st32be(RAM, 0xee));
        calls.put("st64le", a -> a.st64le(RAM, 0xee));
        calls.put("st64be", a -> a.st64be(RAM, 0xee));
        calls.put("load", a -> a.load(RAM, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, new MemTxResult[1]));
        calls.put("load with attrs", a -> a.load(RAM, 8, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.NONE.withSecure(true), null));
        calls.put("store", a -> a.store(RAM, 8, 0xee, ByteOrder.BIG_ENDIAN, MemTxAttrs.UNSPECIFIED));
        calls.put("store with attrs", a -> a.store(RAM, 8, 0xee, ByteOrder.BIG_ENDIAN, MemTxAttrs.NONE.withSecure(true)));
        calls.put("read", a -> a.read(RAM, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(new byte[8])));
        calls.put("write", a -> a.write(RAM, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(new byte[8])));
        calls.put("read bytes", a -> a.read(RAM, new byte[8], 0, 8));
        calls.put("write bytes", a -> a.write(RAM, new byte[8], 0, 8));
        calls.put("translate", a -> a.translate(RAM, 8, true, MemTxAttrs.UNSPECIFIED));
        calls.put("lastResult", AddressSpaceAccessor::lastResult);
        calls.put("lastLoadOk", AddressSpaceAccessor::lastLoadOk);
        return calls;
    }

    private static Throwable onAnotherThread(Runnable r) throws InterruptedException {
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("intruder").start(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        t.join();
        return seen.get();
    }

    @ParameterizedTest(name = "checked mode: {0}")
    @ValueSource(booleans = {false, true})
    void anotherThreadShouldBeRefusedWhileTheOwnerHoldsASectionOpen(boolean checked) throws Exception {
        AddressSpace as = machine(checked);
        try (RcuReader reader = sys.rcu().register()) {
            AddressSpaceAccessor acc = as.accessor(reader);
            reader.enter(); // the owner's section is open, its cache is warm
            try {
                assertEquals(MemTxResult.OK, acc.st64le(RAM, 0x1122_3344_5566_7788L));
                assertEquals(0x1122_3344_5566_7788L, acc.ld64le(RAM));
                assertEquals(0, acc.ld64le(0x90000), "a hole: the owner's last result is a decode error");
                long slow = acc.slowAccessCount();
                long fills = acc.fillCount();
                for (int round = 0; round < 3; round++) { // every time, not only the first
                    for (Map.Entry<String, Consumer<AddressSpaceAccessor>> c : calls().entrySet()) {
                        Throwable e = onAnotherThread(() -> c.getValue().accept(acc));
                        assertTrue(e instanceof WrongThreadException, c.getKey() + " from another thread, round " + round + ": " + e);
                        assertTrue(e.getMessage().contains("intruder") && e.getMessage().contains(Thread.currentThread().getName()),
                                e.getMessage());
                    }
                }
                assertSame(MemTxResult.DECODE_ERROR, acc.lastResult(), "the owner's result is untouched");
                assertEquals(slow, acc.slowAccessCount(), "no refused call reached the TLB");
                assertEquals(fills, acc.fillCount());
                assertEquals(0x1122_3344_5566_7788L, acc.ld64le(RAM), "no refused store landed");
                assertTrue(reader.inReadSection());
            } finally {
                reader.exit();
            }
            assertEquals(0x1122_3344_5566_7788L, as.ld64le(RAM));
        }
    }

    @ParameterizedTest(name = "checked mode: {0}")
    @ValueSource(booleans = {false, true})
    void anAccessorShouldBeMadeOnlyOnItsReadersThread(boolean checked) throws Exception {
        AddressSpace as = machine(checked);
        try (RcuReader reader = sys.rcu().register()) {
            Throwable e = onAnotherThread(() -> as.accessor(reader));
            assertTrue(e instanceof WrongThreadException, "an accessor for another thread's reader: " + e);
            AddressSpaceAccessor acc = as.accessor(reader);
            e = onAnotherThread(() -> AddressSpaceAccessor.of(acc.tlb(), 0));
            assertTrue(e instanceof WrongThreadException, "an accessor over another thread's TLB: " + e);
        }
    }

    @Test
    void inCheckedModeTheTlbsStaticFastPathsShouldRefuseAnotherThreadInsideTheOwnersSection() throws Exception {
        AddressSpace as = machine(true);
        try (RcuReader reader = sys.rcu().register(); Tlb tlb = Tlb.builder(reader).index(as).build()) {
            reader.enter();
            try {
                assertEquals(0, Tlb.st64le(tlb, 0, RAM, 7));
                assertEquals(7, Tlb.ld64le(tlb, 0, RAM), "the owner's entry is filled");
                for (int round = 0; round < 3; round++) {
                    Throwable e = onAnotherThread(() -> Tlb.ld64le(tlb, 0, RAM));
                    assertTrue(e instanceof WrongThreadException, "a load, round " + round + ": " + e);
                    e = onAnotherThread(() -> Tlb.st64le(tlb, 0, RAM, 9));
                    assertTrue(e instanceof WrongThreadException, "a store, round " + round + ": " + e);
                }
                assertEquals(7, Tlb.ld64le(tlb, 0, RAM));
            } finally {
                reader.exit();
            }
        }
    }
}
