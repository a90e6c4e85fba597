package org.guestmem.examples.rv32.mem;

/** Told by a {@link MemoryBackend} when a store hits a watched page: the JIT's code cache. */
public interface CodeWatcher {
    /**
     * Guest bytes {@code [addr, addr + length)} were (or are about to be) overwritten: drops every
     * translation that overlaps them, and only those.
     *
     * @return whether a translation was dropped
     */
    boolean codeWritten(int addr, int length);

    /** {@return whether translations from the 4 KiB page at {@code page} still exist} */
    boolean pageHasCode(int page);
}
