package org.guestmem;

import java.lang.foreign.MemorySegment;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.PublishedView;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.TlbRegistry;
import org.guestmem.rcu.RcuDomain;

/** The root package's side of {@link CoreAccess}: reads package-private state, changes nothing. */
final class CoreAccessImpl implements CoreAccess {
    @Override
    public PublishedView publication(AddressSpace space) {
        return space.publication();
    }

    @Override
    public DispatchTable dispatch(FlatView view) {
        return view.dispatch;
    }

    @Override
    public MemorySegment sectionRam(FlatView view, int s) {
        return view.sectionRam[s];
    }

    @Override
    public RamBlock sectionBlock(FlatView view, int s) {
        return view.sectionBlock[s];
    }

    @Override
    public MmioDispatcher sectionIo(FlatView view, int s) {
        return view.sectionIo[s];
    }

    @Override
    public long load(FlatView view, long addr, int size, boolean bigEndian, MemTxAttrs attrs, IoStatus st) {
        return AccessPath.load(view, addr, size, bigEndian, attrs, st);
    }

    @Override
    public void store(AddressSpace space, FlatView view, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs,
                      IoStatus st) {
        AccessPath.store(space, view, addr, size, value, bigEndian, attrs, st);
    }

    @Override
    public RcuDomain rcu(AddressSpace space) {
        return space.rcu();
    }

    @Override
    public Object system(AddressSpace space) {
        return space.views;
    }

    @Override
    public int pageBits(AddressSpace space) {
        return space.views.pageBits;
    }

    @Override
    public boolean checkedAccess(AddressSpace space) {
        return space.views.checkedAccess;
    }

    @Override
    public TlbRegistry tlbs(AddressSpace space) {
        return space.views.dirtyLog.tlbs();
    }

    @Override
    public boolean codeWritten(AddressSpace space, long addr, long length, MemoryRegion region, long offset) {
        return space.views.dirtyLog.codeWritten(space, addr, length, region, offset);
    }
}
