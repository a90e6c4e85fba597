package org.guestmem.examples.rv32.jit;

import java.util.List;

/**
 * A compiled region of guest code: its blocks (the first one's start is the entry), the guest bytes it
 * was translated from, the 4 KiB pages those bytes lie on, and the compiled code.
 */
public final class Translation {
    private final List<GuestBlock> blocks;
    private final int[] pages;
    private final CompiledBlock code;
    private boolean valid = true;

    Translation(List<GuestBlock> blocks, int[] pages, CompiledBlock code) {
        this.blocks = List.copyOf(blocks);
        this.pages = pages.clone();
        this.code = code;
    }

    /** {@return the entry address: the first block's start} */
    public int entry() {
        return blocks.getFirst().start();
    }

    /** {@return the blocks; the first is the one whose heat triggered the compilation} */
    public List<GuestBlock> blocks() {
        return blocks;
    }

    /** {@return the 4 KiB pages the guest code came from} */
    public int[] pages() {
        return pages.clone();
    }

    int[] pagesUnsafe() {
        return pages;
    }

    /** {@return the compiled code} */
    public CompiledBlock code() {
        return code;
    }

    /** {@return whether it is still in the code cache (not invalidated or flushed)} */
    public boolean isValid() {
        return valid;
    }

    void invalidate() {
        valid = false;
    }

    /** {@return whether any block overlaps {@code [addr, addr + length)}} */
    public boolean overlaps(int addr, int length) {
        for (GuestBlock b : blocks) {
            if (b.overlaps(addr, length)) {
                return true;
            }
        }
        return false;
    }
}
