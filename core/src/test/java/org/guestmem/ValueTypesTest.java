package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.DirtySnapshot;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.listener.CoalescedRange;
import org.junit.jupiter.api.Test;

/** The small value types of the public API: what they hold, how they combine, what they reject. */
class ValueTypesTest {

    @Test
    void memTxAttrsWithersSetOneFieldAndClearUnspecified() {
        MemTxAttrs a = MemTxAttrs.UNSPECIFIED.withSecure(true);
        assertEquals(new MemTxAttrs(false, true, false, false, 0, false, 0), a);
        MemTxAttrs b = a.withUser(true).withRequesterId(0xbeef);
        assertEquals(new MemTxAttrs(false, true, true, false, 0xbeef, false, 0), b);
        assertEquals(new MemTxAttrs(false, true, false, false, 0xbeef, false, 0), b.withUser(false));
        assertEquals(new MemTxAttrs(false, false, true, true, 0xbeef, false, 0), b.withSecure(false).withMemory(true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.withRequesterId(0x10000));
        assertTrue(e.getMessage().contains("0x10000"), e.getMessage());
    }

    @Test
    void memTxResultIsOkOnlyWithoutErrorBits() {
        assertTrue(MemTxResult.OK.isOk());
        for (int bits = 1; bits < 8; bits++) {
            assertFalse(MemTxResult.ofBits(bits).isOk(), "bits " + bits);
        }
        assertFalse(MemTxResult.OK.or(MemTxResult.DECODE_ERROR).isOk());
    }

    @Test
    void dirtyLogClientSetsDecodeMasksWithoutAllocating() {
        assertEquals(Set.of(), DirtyLogClient.setOf(0));
        assertEquals(Set.of(DirtyLogClient.CODE, DirtyLogClient.MIGRATION),
                DirtyLogClient.setOf(DirtyLogClient.CODE.bit() | DirtyLogClient.MIGRATION.bit()));
        assertSame(DirtyLogClient.setOf(5), DirtyLogClient.setOf(5));
        assertThrows(UnsupportedOperationException.class, () -> DirtyLogClient.setOf(1).add(DirtyLogClient.CODE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DirtyLogClient.setOf(8));
        assertTrue(e.getMessage().contains("0x8"), e.getMessage());
    }

    @Test
    void globalDirtyReasonsHaveQemusBits() {
        assertEquals(1, GlobalDirtyReason.MIGRATION.bit());
        assertEquals(2, GlobalDirtyReason.DIRTY_RATE.bit());
        assertEquals(4, GlobalDirtyReason.LIMIT.bit());
        assertEquals(5, GlobalDirtyReason.bits(EnumSet.of(GlobalDirtyReason.MIGRATION, GlobalDirtyReason.LIMIT)));
        assertEquals(EnumSet.of(GlobalDirtyReason.DIRTY_RATE, GlobalDirtyReason.LIMIT), GlobalDirtyReason.of(6));
        assertThrows(IllegalArgumentException.class, () -> GlobalDirtyReason.of(8));
    }

    @Test
    void dirtySnapshotCopiesItsWordsAndChecksItsRange() {
        long[] words = {0b1010, 0};
        DirtySnapshot s = new DirtySnapshot(64, 12, words);
        words[0] = 0; // the snapshot kept its own copy
        assertTrue(s.isDirty((64 + 1) << 12, 1));
        assertFalse(s.isDirty(64 << 12, 1 << 12));
        assertTrue(s.isDirty(64 << 12, 4 << 12));
        assertEquals(2, s.dirtyPages());
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> s.isDirty(0, 1));
        assertTrue(outside.getMessage().contains("0x40..0xbf"), outside.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DirtySnapshot(3, 12, words));
        assertThrows(IllegalArgumentException.class, () -> new DirtySnapshot(0, 9, words));
    }

    @Test
    void coalescedRangeGivesQemusOffsetAndSize() {
        CoalescedRange r = new CoalescedRange(new AddrRange(0x10, 0x2f));
        assertEquals(0x10, r.offset());
        assertEquals(0x20, r.size());
        assertThrows(IllegalArgumentException.class, () -> new CoalescedRange(AddrRange.ALL));
    }
}
