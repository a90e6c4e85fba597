package org.guestmem.tools;

import java.util.ArrayList;
import java.util.List;
import org.guestmem.AddrRange;
import org.guestmem.MemoryRegionSection;
import org.guestmem.listener.IoEventFd;
import org.guestmem.listener.MemoryListener;

/**
 * A listener that appends one line per callback to a shared log, prefixed with its name, so
 * tests can compare whole event sequences across several listeners. Sections print as
 * {@code <region> [first..last] @offsetInRegion} plus {@code ro}/{@code nv}.
 */
public class RecordingListener implements MemoryListener {
    private final String name;
    private final List<String> log;

    public RecordingListener(String name, List<String> log) {
        this.name = name;
        this.log = log;
    }

    RecordingListener(String name) {
        this(name, new ArrayList<>());
    }

    List<String> log() {
        return log;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    public static String sec(MemoryRegionSection s) {
        return (s.region() == null ? "(unassigned)" : s.region().name()) + " [" + hex(s.offsetWithinAddressSpace()) + ".."
                + hex(s.offsetWithinAddressSpace() + s.sizeMinusOne()) + "] @" + hex(s.offsetWithinRegion())
                + (s.readonly() ? " ro" : "") + (s.nonvolatile() ? " nv" : "");
    }

    private void add(String s) {
        synchronized (log) {
            log.add(name + ":" + s);
        }
    }

    @Override
    public void begin() {
        add("begin");
    }

    @Override
    public void commit() {
        add("commit");
    }

    @Override
    public void regionAdd(MemoryRegionSection section) {
        add("add " + sec(section));
    }

    @Override
    public void regionDel(MemoryRegionSection section) {
        add("del " + sec(section));
    }

    @Override
    public void regionNop(MemoryRegionSection section) {
        add("nop " + sec(section));
    }

    @Override
    public void logStart(MemoryRegionSection section, int oldMask, int newMask) {
        add("logStart " + sec(section) + " " + oldMask + "->" + newMask);
    }

    @Override
    public void logStop(MemoryRegionSection section, int oldMask, int newMask) {
        add("logStop " + sec(section) + " " + oldMask + "->" + newMask);
    }

    @Override
    public void logSync(MemoryRegionSection section) {
        add("logSync " + sec(section));
    }

    @Override
    public void logClear(MemoryRegionSection section) {
        add("logClear " + sec(section));
    }

    @Override
    public void logGlobalStart() {
        add("logGlobalStart");
    }

    @Override
    public void logGlobalStop() {
        add("logGlobalStop");
    }

    @Override
    public void logGlobalAfterSync() {
        add("logGlobalAfterSync");
    }

    @Override
    public void eventfdAdd(MemoryRegionSection section, IoEventFd fd) {
        add("eventfdAdd " + fd(section, fd));
    }

    @Override
    public void eventfdDel(MemoryRegionSection section, IoEventFd fd) {
        add("eventfdDel " + fd(section, fd));
    }

    private static String fd(MemoryRegionSection section, IoEventFd fd) {
        return section.region().name() + " @" + hex(section.offsetWithinAddressSpace()) + " size " + fd.size()
                + (fd.matchData() ? " data " + hex(fd.data()) : "") + " " + fd.notifier();
    }

    @Override
    public void coalescedIoAdd(MemoryRegionSection section, AddrRange range) {
        add("coalescedAdd " + sec(section) + " " + hex(range.start()) + "+" + hex(range.sizeMinusOne() + 1));
    }

    @Override
    public void coalescedIoDel(MemoryRegionSection section, AddrRange range) {
        add("coalescedDel " + sec(section) + " " + hex(range.start()) + "+" + hex(range.sizeMinusOne() + 1));
    }

    @Override
    public String name() {
        return name;
    }
}
