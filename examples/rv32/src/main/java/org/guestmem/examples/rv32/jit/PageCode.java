package org.guestmem.examples.rv32.jit;

import java.util.ArrayList;
import java.util.List;

/**
 * The translations made from one 4 KiB guest page, and a bitmap of the page's instruction words
 * they cover (QEMU's per-page code bitmap): a write that touches no translated word is rejected
 * with one lookup, however many translations the page holds, so a program that stores next to
 * its code, or patches code that is only interpreted, pays little.
 */
final class PageCode {
    private final int page;
    private final List<Translation> translations = new ArrayList<>();
    private final int[] words = new int[32]; // 1024 instruction words, one bit each

    PageCode(int page) {
        this.page = page;
    }

    /** {@return the translations from this page} */
    List<Translation> translations() {
        return translations;
    }

    boolean isEmpty() {
        return translations.isEmpty();
    }

    void add(Translation t) {
        translations.add(t);
        mark(t);
    }

    void remove(Translation t) {
        translations.remove(t);
        java.util.Arrays.fill(words, 0);
        for (Translation u : translations) {
            mark(u);
        }
    }

    private void mark(Translation t) {
        for (GuestBlock b : t.blocks()) {
            for (int a = b.start(); a != b.end(); a += 4) {
                if ((a & ~0xfff) == page) {
                    int w = (a & 0xfff) >>> 2;
                    words[w >>> 5] |= 1 << w;
                }
            }
        }
    }

    /** {@return whether {@code [addr, addr + length)}, clipped to this page, touches a translated instruction word} */
    boolean touches(int addr, int length) {
        long lo = Math.max(Integer.toUnsignedLong(addr), Integer.toUnsignedLong(page));
        long hi = Math.min(Integer.toUnsignedLong(addr) + length, Integer.toUnsignedLong(page) + 4096);
        for (long a = lo & ~3L; a < hi; a += 4) {
            int w = (int) (a & 0xfff) >>> 2;
            if ((words[w >>> 5] & (1 << w)) != 0) {
                return true;
            }
        }
        return false;
    }
}
