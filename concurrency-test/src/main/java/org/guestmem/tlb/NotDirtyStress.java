package org.guestmem.tlb;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.guestmem.internal.DirtyBitmap;
import org.guestmem.layout.DirtyBitmapLayout;
import org.guestmem.layout.TlbEntryLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress tests of the softmmu TLB's NOTDIRTY protocol ({@link NotDirty}): a CPU thread arming
 * the store entry of a page (its fill, or its re-arm after a NOTDIRTY store) races a thread that
 * clears the page's dirty bit (a migration round, a VGA refresh, a JIT protecting code). Once both
 * are done, the entry must not be armed while the bit is clean: the next store would then take the
 * fast path and set nothing, and the page would never be reported again.
 *
 * <p>The entry and the bitmap are real native memory, and the actors call the functions the TLB
 * itself calls ({@link NotDirty#arm}, {@link DirtyBitmap#testAndClear}, {@link NotDirty#flag}).
 */
public final class NotDirtyStress {
    static final long PAGE = 4096;
    static final long PAGE_ADDR = 0x7000;
    static final int CLIENT = DirtyBitmapLayout.CLIENT_MIGRATION;
    static final int MASK = 1 << CLIENT;

    private NotDirtyStress() {
    }

    /**
     * The owner arms the entry of a dirty page while another thread clears the page's bit and
     * flags the TLBs.
     *
     * <p>Results: r1 = the page's bit at the end (1 dirty, 0 clean), r2 = the store tag at the end
     * (1 armed, 0 flagged NOTDIRTY).
     * <ul>
     * <li>{@code 0, 0}: cleared and flagged (by the clearer, or by the owner's second look).</li>
     * <li>{@code 0, 1} is forbidden: a clean page with an armed entry loses the next store.</li>
     * </ul>
     */
    @JCStressTest
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "the bit was cleared and the entry flagged")
    @Outcome(id = "0, 1", expect = FORBIDDEN, desc = "a clean page behind an armed entry: the next store is lost")
    @Outcome(expect = FORBIDDEN, desc = "nothing else can happen")
    @State
    public static class ArmVersusClear {
        final MemorySegment entry = Arena.ofAuto().allocate(TlbEntryLayout.BYTES, TlbEntryLayout.BYTES);
        final DirtyBitmap bits = new DirtyBitmap(Arena.ofAuto(), PAGE, 12); // a new block: dirty

        {
            entry.fill((byte) 0xff); // empty
        }

        @Actor
        public void owner() {
            NotDirty.arm(entry, 0, PAGE_ADDR, bits, 0, PAGE, MASK);
        }

        @Actor
        public void clearer() {
            bits.testAndClear(0, PAGE, CLIENT);
            VarHandle.fullFence();
            NotDirty.flag(entry, 0, -PAGE, PAGE_ADDR, 0, 0);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = bits.get(0, PAGE, CLIENT) ? 1 : 0;
            r.r2 = entry.get(ValueLayout.JAVA_LONG, TlbEntryLayout.ADDR_WRITE_OFFSET) == PAGE_ADDR ? 1 : 0;
        }
    }

    /**
     * The same race when the clearer scans by host address (mapped indexes, large clears), with
     * the entry's addend pointing into the cleared page.
     *
     * <p>Results as in {@link ArmVersusClear}.
     */
    @JCStressTest
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "the bit was cleared and the entry flagged")
    @Outcome(id = "0, 1", expect = FORBIDDEN, desc = "a clean page behind an armed entry: the next store is lost")
    @Outcome(expect = FORBIDDEN, desc = "nothing else can happen")
    @State
    public static class ArmVersusClearByHostAddress {
        static final long HOST = 0x7f00_0000_0000L;
        final MemorySegment entry = Arena.ofAuto().allocate(TlbEntryLayout.BYTES, TlbEntryLayout.BYTES);
        final DirtyBitmap bits = new DirtyBitmap(Arena.ofAuto(), PAGE, 12);

        {
            entry.fill((byte) 0xff);
            entry.set(ValueLayout.JAVA_LONG, TlbEntryLayout.ADDEND_OFFSET, HOST - PAGE_ADDR);
        }

        @Actor
        public void owner() {
            NotDirty.arm(entry, 0, PAGE_ADDR, bits, 0, PAGE, MASK);
        }

        @Actor
        public void clearer() {
            bits.testAndClear(0, PAGE, CLIENT);
            VarHandle.fullFence();
            NotDirty.flag(entry, 0, -PAGE, -1L, HOST - (PAGE - 1), HOST + PAGE - 1);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = bits.get(0, PAGE, CLIENT) ? 1 : 0;
            r.r2 = entry.get(ValueLayout.JAVA_LONG, TlbEntryLayout.ADDR_WRITE_OFFSET) == PAGE_ADDR ? 1 : 0;
        }
    }
}
