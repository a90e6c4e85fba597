package org.guestmem.examples.rv32.mem;

/** Told by a {@link MemoryBackend} when guest code may have changed: the JIT's code cache. CPU thread only. */
public interface CodeWatcher {
    /**
     * Guest bytes {@code [addr, addr + length)} were (or are about to be) overwritten: drops every
     * translation that overlaps them, and only those, counting them as overwritten.
     *
     * @return whether a translation was dropped
     */
    boolean codeWritten(int addr, int length);

    /** {@return whether translations from the 4 KiB page at {@code page} still exist} */
    boolean pageHasCode(int page);

    /**
     * The memory map changed what guest addresses {@code first..last} (inclusive, unsigned 32-bit
     * values in longs) show: drops the translations of code there, between blocks.
     */
    void memoryChanged(long first, long last);

    /** The memory map may have changed anywhere: drops every translation, between blocks. */
    void memoryChangedEverywhere();
}
