package org.guestmem.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.guestmem.layout.DirtyBitmapLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bitmaps' inverted encoding ({@link DirtyBitmapLayout}: a set bit is a clean page): a new
 * block is dirty for every client while its memory is still all zeroes (small bitmaps from the
 * arena, large ones from anonymous mmap), marking dirty clears bits, cleaning sets them, and
 * snapshots report dirty pages (never the padding past the last page).
 */
class DirtyBitmapTest {
    @ParameterizedTest
    @ValueSource(longs = {100 * 4096L + 5, 1L << 32})
    void aNewBitmapShouldBeDirtyForEveryClientWithoutAWrittenWord(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            DirtyBitmap b = new DirtyBitmap(arena, bytes, 12);
            long pages = (bytes + 4095) / 4096;
            assertEquals(pages, b.pages());
            for (int c = 0; c < DirtyBitmapLayout.CLIENTS; c++) {
                assertTrue(b.get(0, bytes, c));
                assertTrue(b.get((pages - 1) * 4096, 1, c), "the last page too");

            }
            assertEquals(0, b.cleanClients(0, bytes, 7));
            assertEquals(0L, b.segment().get(ValueLayout.JAVA_LONG, 0), "dirty is 0 in memory");
            assertEquals(0L, b.segment().get(ValueLayout.JAVA_LONG, b.segment().byteSize() - 8));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void cleaningSetsBitsAndMarkingDirtyClearsThem(int client) {
        try (Arena arena = Arena.ofConfined()) {
            DirtyBitmap b = new DirtyBitmap(arena, 130 * 4096L, 12);
            assertTrue(b.testAndClear(4096, 3 * 4096, client), "pages 1..3 were dirty");
            assertFalse(b.testAndClear(4096, 3 * 4096, client), "and are clean now");
            assertEquals(1 << client, b.cleanClients(2 * 4096, 1, 7), "only this client's bit is clean");
            assertEquals(0b1110L << 0, b.segment().get(ValueLayout.JAVA_LONG,
                    DirtyBitmapLayout.wordOffset(130, client, 0)), "set bits are the clean pages 1..3");
            b.set(2 * 4096 + 10, 1, 1 << client);
            assertTrue(b.get(2 * 4096, 4096, client));
            assertFalse(b.get(4096, 4096, client));
            assertFalse(b.get(3 * 4096, 4096, client));
            assertEquals(1 << client, b.cleanClients(4096, 3 * 4096, 1 << client), "pages 1 and 3 are still clean");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void snapshotsShouldReportDirtyPagesAndNeverThePadding(int client) {
        try (Arena arena = Arena.ofConfined()) {
            DirtyBitmap b = new DirtyBitmap(arena, 70 * 4096L, 12); // 70 pages: word 1 has 58 padding bits
            long[] first = b.snapshotAndClear(0, 70 * 4096L, client);
            assertArrayEquals(new long[] {-1L, (1L << 6) - 1}, first, "all 70 pages, no padding");
            assertArrayEquals(new long[] {0, 0}, b.snapshotAndClear(0, 70 * 4096L, client), "cleaned");
            b.set(65 * 4096, 4096, 1 << client);
            assertArrayEquals(new long[] {1L << 1}, b.snapshotAndClear(64 * 4096, 4096, client), "word 1 only: page 65");
        }
    }
}
