package org.guestmem;

import java.lang.foreign.MemorySegment;
import org.guestmem.internal.CoreAccess;
import org.guestmem.internal.DispatchTable;
import org.guestmem.internal.IoStatus;
import org.guestmem.internal.MmioDispatcher;
import org.guestmem.internal.PublishedView;
import org.guestmem.internal.RamBlock;
import org.guestmem.internal.TlbRegistry;

/** The root package's side of {@link CoreAccess}: reads package-private state, changes nothing. */
final class CoreAccessImpl extends CoreAccess {
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
    public void store(FlatView view, long addr, int size, long value, boolean bigEndian, MemTxAttrs attrs, IoStatus st) {
        AccessPath.store(view, addr, size, value, bigEndian, attrs, st);
    }

    @Override
    public TlbRegistry tlbs(MemorySystem system) {
        return system.tlbs();
    }

    @Override
    public boolean codeWritten(AddressSpace space, long addr, long length, MemoryRegion region, long offset) {
        return space.system().codeWritten(space, addr, length, region, offset);
    }
}
