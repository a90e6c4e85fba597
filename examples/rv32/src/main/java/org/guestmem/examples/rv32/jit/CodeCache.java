package org.guestmem.examples.rv32.jit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.examples.rv32.mem.CodeWatcher;
import org.guestmem.examples.rv32.mem.MemoryBackend;

/**
 * The translations, by entry address (one entry each) and by guest page, with the profile that decides what to
 * compile. Bounded: when it holds {@link #MAX_TRANSLATIONS} translations or
 * {@link #MAX_CODE_BYTES} of bytecode, the next compilation first drops everything (QEMU's
 * {@code tb_flush}); the hidden classes are then unloaded by the garbage collector.
 *
 * <p>As the backend's {@link CodeWatcher} it drops the translations whose guest bytes a store
 * overwrote, and only those, and counts the overwrite against each block it hit; each page's
 * {@link PageCode} bitmap turns away writes that touch no translated instruction at once. A block
 * overwritten {@link #MAX_INVALIDATIONS} times is left to the interpreter for good, and a block
 * overwritten once is no longer compiled into other blocks' translations, so code that patches
 * itself costs one interpreted block instead of endless recompilation. Confined to the CPU thread.
 */
final class CodeCache implements CodeWatcher {
    /** Interpreted executions of a block before it is compiled (the default). */
    static final int HOT = 256;
    /** Overwrites after which a block stays interpreted. */
    static final int MAX_INVALIDATIONS = 4;
    /** The most translations held before a flush. */
    static final int MAX_TRANSLATIONS = 4096;
    /** The most bytecode held before a flush. */
    static final long MAX_CODE_BYTES = 16L << 20;
    private static final int FAST = 1 << 12;
    private static final int PROFILE = 1 << 14;

    private final MemoryBackend mem;
    private final int hot;
    private final Map<Integer, Translation> byEntry = new HashMap<>();
    private final Map<Integer, PageCode> byPage = new HashMap<>();
    private final int[] fastPc = new int[FAST];
    private final Translation[] fastT = new Translation[FAST];
    private final int[] profilePc = new int[PROFILE];
    private final int[] profileCount = new int[PROFILE];
    private final Map<Integer, Integer> overwrites = new HashMap<>();
    private long remapped;
    private final java.util.Set<Integer> uncompilable = new java.util.HashSet<>();
    private int live;
    private long liveBytes;
    private long invalidated;
    private long flushes;

    CodeCache(MemoryBackend mem, int hot) {
        this.mem = mem;
        this.hot = hot;
        java.util.Arrays.fill(fastPc, 1); // no instruction lives at an odd address
        java.util.Arrays.fill(profilePc, 1);
    }

    /**
     * {@return the translation with an entry at {@code pc}, or null} The direct-mapped table in
     * front of the map also remembers that a pc has none ({@link #add} and {@link #drop} keep it
     * right), so code left to the interpreter costs no map lookup either.
     */
    Translation lookup(int pc) {
        int i = (pc >>> 2) & (FAST - 1);
        if (fastPc[i] == pc) {
            return fastT[i];
        }
        Translation t = byEntry.get(pc);
        fastPc[i] = pc;
        fastT[i] = t;
        return t;
    }

    /** {@return whether a translation starts at {@code pc}} */
    boolean hasEntry(int pc) {
        return byEntry.containsKey(pc);
    }

    /** Counts an interpreted execution of the block at {@code pc}; {@return whether it should be compiled now} */
    boolean countAndCheckHot(int pc) {
        int i = (pc >>> 2) & (PROFILE - 1);
        if (profilePc[i] != pc) {
            profilePc[i] = pc;
            profileCount[i] = 0;
        }
        int c = ++profileCount[i];
        return c >= hot && c % hot == 0 && !uncompilable.contains(pc) && overwrites(pc) < MAX_INVALIDATIONS;
    }

    /** {@return whether the block at {@code pc} has run in the interpreter (the profile may forget)} */
    boolean executed(int pc) {
        int i = (pc >>> 2) & (PROFILE - 1);
        return profilePc[i] == pc && profileCount[i] > 0;
    }

    /** {@return how often code at {@code pc} was overwritten while translated} */
    int overwrites(int pc) {
        return overwrites.getOrDefault(pc, 0);
    }

    /** The block at {@code pc} cannot be compiled (it starts with an instruction only the interpreter runs). */
    void markUncompilable(int pc) {
        uncompilable.add(pc);
    }

    /** {@return whether adding a translation of {@code bytes} bytecode would overflow the cache} */
    boolean full(int bytes) {
        return live >= MAX_TRANSLATIONS || liveBytes + bytes > MAX_CODE_BYTES;
    }

    /** Adds {@code t}, entered at its first block's start; unwatches {@code readPages} that hold no code. */
    void add(Translation t, int codeBytes, int[] readPages) {
        int entry = t.entry();
        Translation old = byEntry.put(entry, t);
        if (old != null) {
            drop(old, false);
        }
        int i = (entry >>> 2) & (FAST - 1);
        if (fastPc[i] == entry) {
            fastT[i] = t;
        }
        for (int p : t.pagesUnsafe()) {
            byPage.computeIfAbsent(p, PageCode::new).add(t);
        }
        unwatchEmpty(readPages);
        live++;
        liveBytes += codeBytes;
    }

    /** Unwatches those of {@code pages} that hold no translation (read while scanning, nothing kept). */
    void unwatchEmpty(int[] pages) {
        for (int p : pages) {
            if (!pageHasCode(p)) {
                mem.unwatchCode(p);
            }
        }
    }

    /** Drops every translation (QEMU's {@code tb_flush}). */
    void flush() {
        for (int p : byPage.keySet()) {
            mem.unwatchCode(p);
        }
        for (Translation t : byEntry.values()) {
            t.invalidate();
        }
        byEntry.clear();
        byPage.clear();
        java.util.Arrays.fill(fastPc, 1);
        java.util.Arrays.fill(fastT, null);
        live = 0;
        liveBytes = 0;
        flushes++;
    }

    private void drop(Translation t, boolean overwritten) {
        if (!t.isValid()) {
            return;
        }
        t.invalidate();
        if (overwritten) {
            invalidated++;
        }
        live--;
        if (byEntry.get(t.entry()) == t) {
            byEntry.remove(t.entry());
        }
        int i = (t.entry() >>> 2) & (FAST - 1);
        if (fastT[i] == t) {
            fastT[i] = null; // the entry has no translation now
        }
        for (int p : t.pagesUnsafe()) {
            PageCode c = byPage.get(p);
            if (c != null) {
                c.remove(t);
                if (c.isEmpty()) {
                    byPage.remove(p);
                    mem.unwatchCode(p);
                }
            }
        }
    }

    @Override
    public boolean codeWritten(int addr, int length) {
        boolean dropped = false;
        long first = Integer.toUnsignedLong(addr) & ~0xfffL;
        long last = (Integer.toUnsignedLong(addr) + length - 1) & ~0xfffL;
        for (long p = first; p <= last; p += 4096) {
            PageCode c = byPage.get((int) p);
            if (c == null || !c.touches(addr, length)) {
                continue;
            }
            for (Translation t : List.copyOf(c.translations())) {
                if (t.isValid() && t.overlaps(addr, length)) {
                    for (GuestBlock b : t.blocks()) {
                        if (b.overlaps(addr, length)) {
                            overwrites.merge(b.start(), 1, Integer::sum);
                        }
                    }
                    drop(t, true);
                    dropped = true;
                }
            }
        }
        return dropped;
    }

    @Override
    public void memoryChanged(long first, long last) {
        List<Integer> pages = new java.util.ArrayList<>();
        for (int p : byPage.keySet()) {
            long page = Integer.toUnsignedLong(p);
            if (page <= last && page + 4095 >= first) {
                pages.add(p);
            }
        }
        for (int p : pages) {
            PageCode c = byPage.get(p);
            if (c == null) {
                continue;
            }
            for (Translation t : List.copyOf(c.translations())) {
                if (t.overlaps((int) Math.max(first, Integer.toUnsignedLong(p)),
                        (int) (Math.min(last, Integer.toUnsignedLong(p) + 4095) - Math.max(first, Integer.toUnsignedLong(p)) + 1))) {
                    drop(t, false);
                    remapped++;
                }
            }
        }
    }

    @Override
    public void memoryChangedEverywhere() {
        remapped += live;
        flush();
    }

    /** {@return translations dropped because the memory map changed under them} */
    long remapped() {
        return remapped;
    }

    @Override
    public boolean pageHasCode(int page) {
        PageCode c = byPage.get(page);
        return c != null && !c.isEmpty();
    }

    /** {@return translations dropped because their code was overwritten} */
    long invalidated() {
        return invalidated;
    }

    /** {@return how often the whole cache was flushed} */
    long flushes() {
        return flushes;
    }

    /** {@return how many blocks stay in the interpreter because they were overwritten too often} */
    long interpretedForGood() {
        return overwrites.values().stream().filter(c -> c >= MAX_INVALIDATIONS).count();
    }
}
