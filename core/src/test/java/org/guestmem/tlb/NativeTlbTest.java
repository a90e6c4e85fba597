package org.guestmem.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.guestmem.AddressSpace;
import org.guestmem.CCompiler;
import org.guestmem.ContainerRegion;
import org.guestmem.FlatRange;
import org.guestmem.FlatView;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MmioRegion;
import org.guestmem.RamBackedRegion;
import org.guestmem.RamRegion;
import org.guestmem.dirty.DirtyLogClient;
import org.guestmem.dirty.GlobalDirtyReason;
import org.guestmem.layout.CHeader;
import org.guestmem.layout.SectionLayout;
import org.guestmem.layout.TlbEntryLayout;
import org.guestmem.layout.TlbLayout;
import org.guestmem.mtree.ImportedMachine;
import org.guestmem.mtree.MtreeImporter;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLB as native code sees it: the probe, fill and revalidation of the generated
 * {@code guestmem_layout.h}, compiled into a shared library and called through the FFM linker,
 * against the Java TLB over every address space of the ten QEMU machines. At range edges and
 * random addresses: an entry the C fill writes is the entry the Java fill writes (tags, flags and
 * addend, with and without migration logging and clean pages); the C probe hits exactly when the
 * Java fast path does, at the host address where the Java fast path reads and writes, which is the
 * address the view's section table gives. Needs a C compiler ({@code $CC}, {@code cc} or
 * {@code gcc}); skipped with a message without one (CI installs gcc).
 */
class NativeTlbTest {
    @TempDir
    static Path dir;
    private static Arena arena;
    private static MethodHandle lookupRead;
    private static MethodHandle lookupWrite;
    private static MethodHandle lookupCode;
    private static MethodHandle fillPage;
    private static MethodHandle revalidate;

    @BeforeAll
    @SuppressWarnings("restricted") // loading the test's own library; the surefire argLine enables native access
    static void compileTheHeaderIntoALibrary() throws Exception {
        String cc = CCompiler.find();
        Assumptions.assumeTrue(cc != null, "no C compiler ($CC, cc or gcc) on PATH: skipped; CI installs gcc");
        Files.writeString(dir.resolve("guestmem_layout.h"), CHeader.generate());
        Path src = dir.resolve("tlb.c");
        Files.writeString(src, """
                #include "guestmem_layout.h"
                void *lookup_read(const struct guestmem_tlb *t, uint32_t k, uint64_t a, uint32_t size) {
                    return guestmem_tlb_lookup_read(t, k, a, size);
                }
                void *lookup_write(const struct guestmem_tlb *t, uint32_t k, uint64_t a, uint32_t size) {
                    return guestmem_tlb_lookup_write(t, k, a, size);
                }
                void *lookup_code(const struct guestmem_tlb *t, uint32_t k, uint64_t a, uint32_t size) {
                    return guestmem_tlb_lookup_code(t, k, a, size);
                }
                int fill_page(const struct guestmem_tlb *t, uint32_t k, uint64_t vaddr, uint64_t paddr) {
                    return guestmem_tlb_fill_page(t, k, vaddr, paddr);
                }
                int revalidate(const struct guestmem_tlb *t, uint32_t k) {
                    return guestmem_tlb_revalidate(t, k);
                }
                """);
        Path lib = dir.resolve("libgmtlb.so");
        CCompiler.run(List.of(cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC", "-I", dir.toString(),
                "-o", lib.toString(), src.toString()));
        arena = Arena.ofShared();
        SymbolLookup l = SymbolLookup.libraryLookup(lib, arena);
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor probe = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
        lookupRead = linker.downcallHandle(l.find("lookup_read").orElseThrow(), probe);
        lookupWrite = linker.downcallHandle(l.find("lookup_write").orElseThrow(), probe);
        lookupCode = linker.downcallHandle(l.find("lookup_code").orElseThrow(), probe);
        fillPage = linker.downcallHandle(l.find("fill_page").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        revalidate = linker.downcallHandle(l.find("revalidate").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    @AfterAll
    static void unload() {
        if (arena != null) {
            arena.close();
        }
    }

    /** The four longs of index 0's entry for {@code a}, read from native memory. */
    @SuppressWarnings("restricted")
    static long[] entry(Tlb tlb, long a) {
        MemorySegment d = tlb.descriptor();
        long table = (long) TlbLayout.TABLE.get(d, 0L);
        int log2 = (byte) TlbLayout.LOG2_ENTRIES.get(d, 0L);
        int pageBits = (byte) TlbLayout.PAGE_BITS.get(d, 0L);
        MemorySegment e = MemorySegment.ofAddress(table + (((a >>> pageBits) & ((1L << log2) - 1)) << TlbEntryLayout.SHIFT))
                .reinterpret(TlbEntryLayout.BYTES);
        return e.toArray(ValueLayout.JAVA_LONG);
    }

    static String hex(long[] e) {
        StringBuilder sb = new StringBuilder("[");
        for (long x : e) {
            sb.append(sb.length() > 1 ? ", " : "").append("0x").append(Long.toHexString(x));
        }
        return sb.append(']').toString();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"})
    void theCProbeAndFillShouldAgreeWithTheJavaTlb(String machine) throws Throwable {
        Random rnd = new Random(machine.hashCode());
        int[] counts = new int[3]; // C fills, pages needing Java, fast-path hits compared
        boolean checkedMode;
        try (ImportedMachine m = MtreeImporter.importFile(oracle(machine + ".mtree.txt"))) {
            MemorySystem sys = m.system();
            checkedMode = sys.checkedAccess();
            try (RcuReader reader = sys.rcu().register()) {
                for (int pass = 0; pass < 2; pass++) {
                    if (pass == 1) {
                        sys.startGlobalDirtyLog(EnumSet.of(GlobalDirtyReason.MIGRATION));
                    }
                    for (AddressSpace as : m.addressSpaces()) {
                        try (Tlb tlb = Tlb.builder(reader).index(as).build()) {
                            reader.enter();
                            try {
                                compare(machine + " " + as.name() + (pass == 1 ? " (logging)" : ""), tlb, as.currentView(),
                                        probes(as.currentView(), rnd), pass == 1, counts);
                            } finally {
                                reader.exit();
                            }
                        }
                    }
                }
            }
        }
        if (checkedMode) {
            assertEquals(0, counts[0] + counts[2], machine + ": checked mode: no C fill, no fast-path hit");
        } else {
            assertTrue(counts[0] > 20, machine + ": the C fill filled " + counts[0] + " pages");
            assertTrue(counts[2] > 100, machine + ": compared " + counts[2] + " fast-path hits");
        }
    }

    private static void compare(String where, Tlb tlb, FlatView v, Set<Long> probes, boolean logging, int[] counts)
            throws Throwable {
        MemorySegment d = tlb.descriptor();
        int n = 0;
        for (long a : probes) {
            FlatRange r = v.lookup(a);
            if (logging && r != null && r.region() instanceof RamBackedRegion ram && (n++ & 1) == 1) {
                ram.testAndClearDirty(r.offsetOf(a), 1, DirtyLogClient.MIGRATION); // a clean page: NOTDIRTY
            }
            tlb.flush(0);
            int rc = (int) fillPage.invokeExact(d, 0, a, a);
            long[] c = entry(tlb, a);
            tlb.flush(0);
            Tlb.ld8(tlb, 0, a); // the Java fill
            Tlb.clearLoadFault(tlb);
            long[] j = entry(tlb, a);
            String at = where + " at 0x" + Long.toHexString(a);
            if (tlb.checked()) {
                assertEquals(0, rc, at + ": checked mode leaves every fill to Java");
            } else if (rc == 1) {
                counts[0]++;
                if (!java.util.Arrays.equals(c, j)) {
                    fail(at + ": C fills " + hex(c) + ", Java " + hex(j));
                }
            } else if (j[0] != TlbEntryLayout.EMPTY && (j[0] & TlbEntryLayout.DEVICE) != 0) {
                counts[1]++;
                assertEquals(TlbEntryLayout.MMIO | TlbEntryLayout.DEVICE, j[0] & TlbEntryLayout.FLAGS_MASK, at);
                assertTrue(r != null && r.region() instanceof MmioRegion, at + ": DEVICE marks an MMIO region's page");
                assertEquals(r.offsetOf(a), a + j[3], at + ": a device entry's addend gives the offset in the region");
            } else {
                counts[1]++;
                assertTrue(j[0] == TlbEntryLayout.EMPTY || (j[0] & TlbEntryLayout.MMIO) != 0 && j[3] == 0,
                        at + ": C left the page to Java, which filled a direct entry " + hex(j));
            }
            probe(at, tlb, v, a, r, counts);
        }
    }

    /** The C probe on the Java-filled entry against the Java fast path, for every access size. */
    @SuppressWarnings("restricted")
    private static void probe(String at, Tlb tlb, FlatView v, long a, FlatRange r, int[] counts) throws Throwable {
        MemorySegment d = tlb.descriptor();
        for (int size : new int[] {1, 2, 4, 8}) {
            MemorySegment p = (MemorySegment) lookupRead.invokeExact(d, 0, a, size);
            long slow = tlb.slowAccessCount();
            long value = switch (size) {
                case 1 -> Tlb.ld8(tlb, 0, a);
                case 2 -> Tlb.ld16le(tlb, 0, a);
                case 4 -> Tlb.ld32le(tlb, 0, a);
                default -> Tlb.ld64le(tlb, 0, a);
            };
            Tlb.clearLoadFault(tlb);
            boolean hit = tlb.slowAccessCount() == slow;
            assertEquals(hit, p.address() != 0, at + " size " + size + ": the C probe hits exactly when the Java fast path does");
            if (hit) {
                counts[2]++;
                assertEquals(hostAddress(v, r, a), p.address(), at + ": the host address the section table gives");
                MemorySegment host = p.reinterpret(size);
                long inHost = switch (size) {
                    case 1 -> host.get(ValueLayout.JAVA_BYTE, 0) & 0xffL;
                    case 2 -> host.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffffL;
                    case 4 -> host.get(ValueLayout.JAVA_INT_UNALIGNED, 0) & 0xffff_ffffL;
                    default -> host.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                };
                assertEquals(value, inHost, at + ": the Java fast path read the bytes at the C probe's address");
            }
            MemorySegment pc = (MemorySegment) lookupCode.invokeExact(d, 0, a, size);
            assertEquals(p.address(), pc.address(), at + ": identity entries translate fetches like loads");
        }
        MemorySegment w = (MemorySegment) lookupWrite.invokeExact(d, 0, a, 1);
        long before = Tlb.ld8(tlb, 0, a);
        Tlb.clearLoadFault(tlb);
        long slow = tlb.slowAccessCount();
        Tlb.st8(tlb, 0, a, before);
        boolean hit = tlb.slowAccessCount() == slow;
        assertEquals(hit, w.address() != 0, at + ": the C store probe hits exactly when the Java fast path does");
        if (hit) {
            assertEquals(hostAddress(v, r, a), w.address(), at + ": stores go to the same host address");
        }
    }

    /** {@return the host address of {@code a} from the view's native section table} */
    private static long hostAddress(FlatView v, FlatRange r, long a) {
        assertTrue(r != null, "a direct entry is for a mapped address");
        MemorySegment tables = v.nativeTables();
        long sections = tables.get(ValueLayout.JAVA_LONG, 16); // guestmem_dispatch_header.sections_offset
        long s = v.ranges().indexOf(r) + 1;
        long addend = (long) SectionLayout.HOST_ADDEND.get(tables, sections + s * SectionLayout.BYTES);
        return a + addend;
    }

    /** Range edges, their neighbours, middles, and random addresses below 2^32 and anywhere. */
    private static Set<Long> probes(FlatView v, Random rnd) {
        Set<Long> out = new LinkedHashSet<>(List.of(0L, 0xfffL, 0x1000L, -8L));
        for (FlatRange r : v.ranges()) {
            out.addAll(List.of(r.start(), r.last() & ~7L, r.start() - 8, r.last() + 1, r.start() + (r.sizeMinusOne() >>> 1) & ~7L));
            for (int i = 0; i < 4; i++) {
                out.add(r.start() + (Long.remainderUnsigned(rnd.nextLong(), r.sizeMinusOne() == -1L ? -1L : r.sizeMinusOne() + 1) & ~7L));
            }
        }
        for (int i = 0; i < 32; i++) {
            out.add(rnd.nextLong() & ~7L);
            out.add((long) rnd.nextInt() & 0xffff_fff8L);
        }
        return out;
    }

    @Test
    @SuppressWarnings("restricted")
    void aNativeRevalidationShouldFollowTheNewViewAndTheJavaSideShouldResync() throws Throwable {
        try (MemorySystem sys = MemorySystem.create(); RcuReader reader = sys.rcu().registerQuiescent()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            RamRegion ram = sys.ram("ram", 0x4000);
            root.addSubregion(ram, 0x10000);
            AddressSpace as = sys.addressSpace("memory", root);
            try (Tlb tlb = Tlb.builder(reader).index(as).build()) {
                MemorySegment d = tlb.descriptor();
                assertEquals(0, (int) revalidate.invokeExact(d, 0), "the index follows the current view");
                assertEquals(0, Tlb.st32le(tlb, 0, 0x10010, 0x1234));
                Thread writer = new Thread(() -> ram.setAddress(0x20000));
                writer.start();
                writer.join();
                // a native loop's quiescent state: report it, then revalidate (guestmem_rcu_quiescent_state)
                reader.quiescentState();
                assertEquals(0, (int) revalidate.invokeExact(d, 0), "Java revalidated at the quiescent state");
                Thread again = new Thread(() -> ram.setAddress(0x30000));
                again.start();
                again.join();
                assertEquals(1, (int) revalidate.invokeExact(d, 0), "native code sees the commit itself");
                assertEquals(as.generation(), (long) TlbLayout.INDEX_GENERATION.get(d, TlbLayout.indexOffset(0)));
                assertEquals(as.currentView().nativeTables().address(), (long) TlbLayout.INDEX_TABLES.get(d, TlbLayout.indexOffset(0)));
                assertEquals(0, ((MemorySegment) lookupRead.invokeExact(d, 0, 0x20010L, 4)).address(), "emptied");
                int filled = (int) fillPage.invokeExact(d, 0, 0x30010L, 0x30010L);
                if (tlb.checked()) {
                    assertEquals(0, filled, "checked mode leaves every fill to Java");
                } else {
                    assertEquals(1, filled);
                    MemorySegment p = (MemorySegment) lookupRead.invokeExact(d, 0, 0x30010L, 4);
                    assertEquals(0x1234, p.reinterpret(4).get(ValueLayout.JAVA_INT_UNALIGNED, 0));
                }
                // the Java side: its records are of an older generation; it resyncs and agrees
                assertEquals(0x1234, Tlb.ld32le(tlb, 0, 0x30010));
                assertEquals(0, Tlb.ld32le(tlb, 0, 0x20010), "the old place is a hole");
                assertEquals(as.generation(), tlb.generation(0));
            }
        }
    }

    static Path oracle(String name) throws URISyntaxException {
        java.net.URL url = NativeTlbTest.class.getResource("/qemu-oracle/" + name);
        if (url == null) {
            throw new AssertionError("test resource qemu-oracle/" + name + " is missing");
        }
        return Path.of(url.toURI());
    }
}
