package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.guestmem.rcu.RcuReader;
import org.guestmem.tlb.PageMapper;
import org.guestmem.tlb.Tlb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AddressSpaceAccessor} as a facade over the thread's TLB: confined to the reader's thread
 * on every method, and sharing the translation cache of a TLB it was made from
 * ({@link AddressSpaceAccessor#of}), so a CPU thread keeps one cache for its generated code and
 * for everything else.
 */
class AccessorFacadeTest {
    MemorySystem sys;
    AddressSpace as;
    RcuReader reader;

    @BeforeEach
    void setUp() {
        sys = MemorySystem.create();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        root.addSubregion(sys.ram("ram", 0x10000), 0x10000);
        as = sys.addressSpace("memory", root);
        reader = sys.rcu().registerQuiescent();
    }

    @AfterEach
    void tearDown() {
        reader.close();
        sys.close();
    }

    @Test
    void everyMethodShouldRefuseAnotherThread() throws Exception {
        AddressSpaceAccessor acc = as.accessor(reader);
        Map<String, Consumer<AddressSpaceAccessor>> calls = new LinkedHashMap<>();
        calls.put("ld8", a -> a.ld8(0x10000));
        calls.put("ld16be", a -> a.ld16be(0x10000));
        calls.put("ld32le", a -> a.ld32le(0x10000));
        calls.put("ld64le", a -> a.ld64le(0x10000));
        calls.put("st8", a -> a.st8(0x10000, 1));
        calls.put("st32be", a -> a.st32be(0x10000, 1));
        calls.put("st64le", a -> a.st64le(0x10000, 1));
        calls.put("load", a -> a.load(0x10000, 4, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, null));
        calls.put("store", a -> a.store(0x10000, 4, 1, ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED));
        calls.put("read", a -> a.read(0x10000, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(new byte[4])));
        calls.put("write", a -> a.write(0x10000, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(new byte[4])));
        calls.put("translate", a -> a.translate(0x10000, 4, false, MemTxAttrs.UNSPECIFIED));
        calls.put("lastResult", AddressSpaceAccessor::lastResult);
        calls.put("lastLoadOk", AddressSpaceAccessor::lastLoadOk);
        for (Map.Entry<String, Consumer<AddressSpaceAccessor>> c : calls.entrySet()) {
            Throwable[] seen = new Throwable[1];
            Thread t = new Thread(() -> {
                try {
                    c.getValue().accept(acc);
                } catch (Throwable e) {
                    seen[0] = e;
                }
            });
            t.start();
            t.join();
            assertTrue(seen[0] instanceof WrongThreadException, c.getKey() + " from another thread: " + seen[0]);
            c.getValue().accept(acc); // the owner may
        }
    }

    @Test
    void anAccessorOfATlbShouldShareItsTranslationCache() {
        try (Tlb tlb = Tlb.builder(reader).index(as).index(as, (v, a) -> PageMapper.mapping(v, PageMapper.RWX)).build()) {
            AddressSpaceAccessor acc = AddressSpaceAccessor.of(tlb, 0);
            assertSame(tlb, acc.tlb());
            assertSame(as, acc.space());
            assertEquals(MemTxResult.OK, acc.st64le(0x10008, 0x1234));
            long fills = tlb.fillCount();
            assertEquals(0x1234, Tlb.ld64le(tlb, 0, 0x10008), "generated code finds the entry the accessor filled");
            assertEquals(fills, tlb.fillCount());
            assertEquals(0x1234, acc.ld64le(0x10008));
            assertTrue(acc.lastLoadOk());
            assertEquals(0, acc.ld64le(0x90000));
            assertSame(MemTxResult.DECODE_ERROR, acc.lastResult());
            assertEquals(0x1234, acc.ld64le(0x10008));
            assertSame(MemTxResult.OK, acc.lastResult(), "the result of the last load only");
            assertThrows(IllegalArgumentException.class, () -> AddressSpaceAccessor.of(tlb, 1), "a mapped index");
        }
    }
}
