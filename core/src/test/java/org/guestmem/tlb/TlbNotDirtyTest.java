package org.guestmem.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.guestmem.AddressSpace;
import org.guestmem.ContainerRegion;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.RamRegion;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.layout.TlbEntryLayout;
import org.guestmem.layout.TlbLayout;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QEMU's NOTDIRTY protocol on one and on two CPU threads: stores to pages whose dirty bits are all
 * set stay on the fast path and set nothing; the first store to a page with a clean bit takes the
 * slow path, calls the code-write handler when the CODE bit is clean (the store then answers
 * {@link Tlb#CODE_WRITTEN}), sets the bits and re-arms the entry; a clear on any thread flags the
 * entries of every TLB that maps the cleared page. In fast and checked mode.
 */
class TlbNotDirtyTest {
    static final long RAM = 0x10_0000;
    static final long PAGE = 0x1000;

    MemorySystem sys;
    AddressSpace as;
    RamRegion ram;
    RcuReader reader;
    Tlb tlb;
    final List<String> codeWrites = Collections.synchronizedList(new ArrayList<>());
    /** What the code-write handler answers: whether translated code is left on the page. */
    volatile boolean keepCode;

    void machine(boolean checked, boolean codeTracking) {
        sys = MemorySystem.builder().checkedAccess(checked).codeDirtyTracking(codeTracking).build();
        ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
        ram = sys.ram("ram", 16 * PAGE);
        root.addSubregion(ram, RAM);
        as = sys.addressSpace("memory", root);
        sys.setCodeWriteHandler((space, addr, length, region, offset) -> {
            codeWrites.add(space.name() + "@" + Long.toHexString(addr) + " " + region.name() + "+" + Long.toHexString(offset)
                    + "/" + length);
            return keepCode;
        });
        reader = sys.rcu().registerQuiescent();
        tlb = Tlb.builder(reader).index(as).entries(64).build();
    }

    @AfterEach
    void tearDown() {
        if (tlb != null) {
            tlb.close();
        }
        if (reader != null) {
            reader.close();
        }
        if (sys != null) {
            sys.close();
        }
    }

    /** {@return the store tag of {@code tlb}'s index-0 entry for {@code addr}, read from native memory} */
    @SuppressWarnings("restricted")
    static long writeTag(Tlb tlb, long addr) {
        MemorySegment d = tlb.descriptor();
        long table = (long) TlbLayout.TABLE.get(d, 0L);
        int log2 = (byte) TlbLayout.LOG2_ENTRIES.get(d, 0L);
        int pageBits = (byte) TlbLayout.PAGE_BITS.get(d, 0L);
        long e = table + (((addr >>> pageBits) & ((1L << log2) - 1)) << TlbEntryLayout.SHIFT);
        return (long) TlbEntryLayout.ADDR_WRITE.getVolatile(MemorySegment.ofAddress(e).reinterpret(TlbEntryLayout.BYTES), 0L);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void withEveryBitSetStoresShouldStayOnTheFastPath(boolean checked) {
        machine(checked, true);
        sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION));
        reader.quiescentState();
        assertEquals(0, Tlb.st64le(tlb, 0, RAM + 8, 1), "a new block is dirty for every client");
        long slow = tlb.slowAccessCount();
        for (int i = 0; i < 100; i++) {
            assertEquals(0, Tlb.st64le(tlb, 0, RAM + 8 * i, i));
        }
        assertEquals(checked ? slow + 100 : slow, tlb.slowAccessCount());
        assertEquals(RAM & -PAGE, writeTag(tlb, RAM) & ~TlbEntryLayout.CHECKED, "armed: the bare page");
        assertEquals(List.of(), codeWrites);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theFirstStoreToAProtectedPageShouldCallTheHandlerAndReArm(boolean checked) {
        machine(checked, true);
        assertEquals(0, Tlb.st32le(tlb, 0, RAM + PAGE + 4, 7));
        assertTrue(tlb.protectCode(0, RAM + PAGE + 0x10), "a JIT translates code from the page");
        assertFalse(ram.getDirty(PAGE, PAGE, DirtyLogClient.CODE));
        assertTrue((writeTag(tlb, RAM + PAGE) & TlbEntryLayout.NOTDIRTY) != 0, "protecting flagged our own entry");
        assertEquals(Tlb.CODE_WRITTEN, Tlb.st32le(tlb, 0, RAM + PAGE + 0x20, 8));
        assertEquals(List.of("memory@101020 ram+1020/4"), codeWrites);
        assertTrue(ram.getDirty(PAGE, PAGE, DirtyLogClient.CODE), "the handler left no code there: the bit is set");
        long slow = tlb.slowAccessCount();
        assertEquals(0, Tlb.st32le(tlb, 0, RAM + PAGE + 0x24, 9));
        assertEquals(checked ? slow + 1 : slow, tlb.slowAccessCount(), "re-armed");
        assertEquals(List.of("memory@101020 ram+1020/4"), codeWrites, "one call per round of protection");
        assertEquals(9, Tlb.ld32le(tlb, 0, RAM + PAGE + 0x24));
        assertFalse(tlb.protectCode(0, 0x9000_0000L), "nothing to protect in a hole");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void whileTheHandlerSaysCodeIsLeftEveryStoreToThePageShouldCallIt(boolean checked) {
        machine(checked, true);
        keepCode = true;
        assertTrue(tlb.protectCode(0, RAM + 2 * PAGE));
        assertEquals(Tlb.CODE_WRITTEN, Tlb.st8(tlb, 0, RAM + 2 * PAGE + 1, 1));
        assertEquals(Tlb.CODE_WRITTEN, Tlb.st16le(tlb, 0, RAM + 2 * PAGE + 2, 2));
        assertFalse(ram.getDirty(2 * PAGE, PAGE, DirtyLogClient.CODE), "the CODE bit stays clean");
        keepCode = false;
        assertEquals(Tlb.CODE_WRITTEN, Tlb.st8(tlb, 0, RAM + 2 * PAGE + 4, 3));
        assertEquals(0, Tlb.st8(tlb, 0, RAM + 2 * PAGE + 5, 4), "the last block is gone: the bit is set, the entry re-armed");
        assertEquals(List.of("memory@102001 ram+2001/1", "memory@102002 ram+2002/2", "memory@102004 ram+2004/1"), codeWrites);
        assertEquals(0x0403_0002L, Tlb.ld32le(tlb, 0, RAM + 2 * PAGE + 2), "the stores landed");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aStoreCrossingIntoAProtectedPageShouldAnswerCodeWritten(boolean checked) {
        machine(checked, true);
        assertTrue(tlb.protectCode(0, RAM + 9 * PAGE));
        assertEquals(Tlb.CODE_WRITTEN, Tlb.st32le(tlb, 0, RAM + 9 * PAGE - 2, 0x1234_5678L));
        assertEquals(List.of("memory@108ffe ram+8ffe/4"), codeWrites);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aClearShouldMakeTheNextStoreSetTheBitAgain(boolean checked) {
        machine(checked, false);
        sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION));
        ram.testAndClearDirty(0, 16 * PAGE, DirtyLogClient.MIGRATION);
        reader.quiescentState();
        for (int round = 0; round < 5; round++) {
            assertEquals(0, Tlb.st8(tlb, 0, RAM + 3 * PAGE + round, round));
            assertTrue(ram.testAndClearDirty(3 * PAGE, PAGE, DirtyLogClient.MIGRATION), "round " + round + ": reported");
            assertFalse(ram.getDirty(3 * PAGE, PAGE, DirtyLogClient.MIGRATION));
            assertEquals(RAM + 3 * PAGE | TlbEntryLayout.NOTDIRTY, writeTag(tlb, RAM + 3 * PAGE) & ~TlbEntryLayout.CHECKED);
        }
        assertEquals(0, Tlb.st8(tlb, 0, RAM + 3 * PAGE, 1));
        assertTrue(ram.getDirty(3 * PAGE, PAGE, DirtyLogClient.MIGRATION));
        assertFalse(ram.getDirty(4 * PAGE, PAGE, DirtyLogClient.MIGRATION), "only the written page");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aClearOnAnotherThreadShouldFlagThisThreadsEntries(boolean checked) throws Exception {
        machine(checked, false);
        ram.setLog(true, DirtyLogClient.VGA);
        reader.quiescentState();
        assertEquals(0, Tlb.st64le(tlb, 0, RAM + 5 * PAGE, 1));
        assertEquals(RAM + 5 * PAGE, writeTag(tlb, RAM + 5 * PAGE) & ~TlbEntryLayout.CHECKED);
        Thread vga = new Thread(() -> ram.snapshotAndClearDirty(0, 16 * PAGE, DirtyLogClient.VGA));
        vga.start();
        vga.join();
        assertEquals(RAM + 5 * PAGE | TlbEntryLayout.NOTDIRTY, writeTag(tlb, RAM + 5 * PAGE) & ~TlbEntryLayout.CHECKED);
        assertEquals(0, Tlb.st64le(tlb, 0, RAM + 5 * PAGE + 8, 2));
        assertTrue(ram.getDirty(5 * PAGE, PAGE, DirtyLogClient.VGA));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPageWithCodeWrittenByAnotherCpuShouldCallTheHandlerAndAnswerCodeWritten(boolean checked) throws Exception {
        machine(checked, true);
        CountDownLatch armed = new CountDownLatch(1);
        CountDownLatch translated = new CountDownLatch(1);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread cpu1 = new Thread(() -> {
            try (RcuReader r = sys.rcu().registerQuiescent(); Tlb t = Tlb.builder(r).index(as).build()) {
                assertEquals(0, Tlb.st64le(t, 0, RAM + 7 * PAGE, 1)); // armed on the fast path
                long slow = t.slowAccessCount();
                assertEquals(0, Tlb.st64le(t, 0, RAM + 7 * PAGE + 8, 2));
                assertEquals(checked ? slow + 1 : slow, t.slowAccessCount());
                armed.countDown();
                translated.await(); // no quiescent state meanwhile: the entry is still the armed one
                result.set(Tlb.st64le(t, 0, RAM + 7 * PAGE + 0x40, 3));
            } catch (Throwable e) {
                result.set(e);
            }
        });
        cpu1.start();
        armed.await();
        assertTrue(tlb.protectCode(0, RAM + 7 * PAGE));
        translated.countDown();
        cpu1.join();
        assertEquals(Tlb.CODE_WRITTEN, result.get());
        assertEquals(List.of("memory@107040 ram+7040/8"), codeWrites, "the guest address in the space the store went through");
    }
}
