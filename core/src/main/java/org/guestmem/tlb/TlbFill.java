package org.guestmem.tlb;

import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.DispatchTable;
import org.guestmem.layout.SectionLayout;
import org.guestmem.layout.TlbEntryLayout;

/**
 * QEMU's {@code tlb_fill} for one {@link Tlb}, with two ways per page: its direct slot (the low
 * bits of its page number, QEMU's index) and a second slot (the number with its high part folded
 * in by a multiplication, {@link TlbEntryLayout#SECOND_WAY_FOLD}). A fill writes the direct slot
 * and moves the page it evicts to that page's second slot (the role of QEMU's victim TLB); the
 * fast path probes the direct slot, then the second. Layouts whose pages share direct slots
 * (regions a power of two apart: every 1 MiB region of a large map falls on a few slots) then keep
 * all their pages. Owner thread.
 */
final class TlbFill {
    private final TlbTable t;
    private final CoreAccess core;
    private final boolean checked;
    long fills;

    TlbFill(TlbTable t, CoreAccess core, boolean checked) {
        this.t = t;
        this.core = core;
        this.checked = checked;
    }

    /**
     * {@return the slot of index {@code ix}'s entry for {@code page} (its direct slot, else its
     * second), valid for an access whose tag is at {@code field}; -1 if neither holds it} The entry's
     * byte offset in the table is the slot shifted by {@link TlbEntryLayout#SHIFT}.
     */
    int find(MmuIndex ix, long page, long field) {
        int slot = t.slot(ix.k, page);
        if (valid(slot, t.offset(ix.k, page), field, page) != null) {
            return slot;
        }
        int slotB = t.slotB(ix.k, page);
        return slotB != slot && valid(slotB, t.offsetB(ix.k, page), field, page) != null ? slotB : -1;
    }

    /** {@return the Java record at {@code slot} if it and its native tag at {@code field} are {@code page}'s} */
    private SectionInfo valid(int slot, long off, long field, long page) {
        SectionInfo si = t.info[slot];
        if (si == null || t.javaPage[slot] != page) {
            return null;
        }
        return (t.tag(off, field) & (t.pageMaskHi | TlbEntryLayout.INVALID)) == page ? si : null;
    }

    /**
     * Fills index {@code ix}'s entry for guest page {@code vpage}, which maps to guest physical
     * {@code ppage} with {@code perms}, from the view the index follows, at its direct slot (the
     * page there moves to its own second slot). {@return the slot, or -1 if no entry can serve the
     * page: several sections in it, or an IOMMU (its mappings change without a commit, so it is
     * translated on every access)}
     */
    int fill(MmuIndex ix, long vpage, long ppage, int perms) {
        DispatchTable d = core.dispatch(ix.pub.view());
        long last = ppage + ~t.pageMaskHi;
        int s = d.candidate(ppage);
        if (s != 0 && d.covers(s, ppage)) {
            if (!d.covers(s, last)) {
                return -1; // the section ends inside the page
            }
        } else if (d.candidate(last) == s) {
            s = 0; // a hole up to the end of the page
        } else {
            return -1; // a section starts inside the page
        }
        if (d.kind(s) == SectionLayout.KIND_IOMMU) {
            return -1;
        }
        SectionInfo si = ix.section(core, s);
        fills++;
        int slot = t.slot(ix.k, vpage);
        demote(ix, slot);
        writeAt(slot, t.offset(ix.k, vpage), vpage, ppage, perms, si);
        return slot;
    }

    /** Moves the page whose records are at direct slot {@code slot} (if any) to its second slot. */
    private void demote(MmuIndex ix, int slot) {
        long old = t.javaPage[slot];
        SectionInfo si = t.info[slot];
        if (old == -1L || si == null) {
            return;
        }
        int slotB = t.slotB(ix.k, old);
        if (slotB != slot) {
            writeAt(slotB, t.offsetB(ix.k, old), old, t.physPage[slot], t.perms[slot], si);
        }
    }

    /**
     * Writes the entry and records of {@code vpage} (section {@code si}, physical {@code ppage},
     * {@code perms}) at {@code slot}: RAM direct (the store tag under the arming rule), ROM and romd
     * reads direct and stores MMIO, MMIO regions MMIO and DEVICE (the addend then gives the offset in
     * the region), everything else MMIO; direct tags carry CHECKED in checked mode.
     */
    private void writeAt(int slot, long off, long vpage, long ppage, int perms, SectionInfo si) {
        long direct = vpage | (checked ? TlbEntryLayout.CHECKED : 0);
        long slow = vpage | TlbEntryLayout.MMIO;
        long read;
        long write;
        switch (si.kind) {
            case SectionLayout.KIND_RAM -> {
                read = si.host ? direct : slow;
                write = read;
            }
            case SectionLayout.KIND_ROM, SectionLayout.KIND_ROMD -> {
                read = si.host ? direct : slow;
                write = slow;
            }
            case SectionLayout.KIND_MMIO -> { // the device at once, at offset a + addend
                read = slow | TlbEntryLayout.DEVICE;
                write = read;
            }
            default -> {
                read = slow;
                write = slow;
            }
        }
        long addend = (read & TlbEntryLayout.MMIO) == 0 ? si.hostAddend + ppage - vpage
                : (read & TlbEntryLayout.DEVICE) != 0 ? ppage + si.xlat - vpage : 0;
        long code = (perms & PageMapper.EXECUTE) != 0 ? read : TlbEntryLayout.EMPTY;
        read = (perms & PageMapper.READ) != 0 ? read : TlbEntryLayout.EMPTY;
        write = (perms & PageMapper.WRITE) != 0 ? write : TlbEntryLayout.EMPTY;
        t.write(off, read, TlbEntryLayout.EMPTY, code, addend);
        t.info[slot] = si;
        t.javaPage[slot] = vpage;
        t.physPage[slot] = ppage;
        t.perms[slot] = (byte) perms;
        if (write == direct) { // RAM with a native address: the arming rule
            NotDirty.arm(t.table, off, write, si.block.dirty(), ppage + si.xlat, ~t.pageMaskHi + 1, si.dirtyMask);
        } else {
            t.setWriteTag(off, write);
        }
    }

    /** Re-arms the store tag at {@code off} after a NOTDIRTY store (the arming rule), if it is still the page's. */
    void rearm(long off, long vpage, SectionInfo si, long ppage) {
        long tag = t.tag(off, TlbEntryLayout.ADDR_WRITE_OFFSET);
        if ((tag & (t.pageMaskHi | TlbEntryLayout.INVALID | TlbEntryLayout.MMIO)) == vpage) {
            NotDirty.arm(t.table, off, tag & ~TlbEntryLayout.NOTDIRTY, si.block.dirty(), ppage + si.xlat,
                    ~t.pageMaskHi + 1, si.dirtyMask);
        }
    }
}
