package org.guestmem.mtree;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.guestmem.AddressSpace;
import org.guestmem.CCompiler;
import org.guestmem.FlatRange;
import org.guestmem.FlatView;
import org.guestmem.layout.CHeader;
import org.guestmem.layout.DispatchHeaderLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A native reader of real views: {@code guestmem_find_section} from the generated
 * {@code guestmem_layout.h}, compiled into a shared library and called through the FFM linker on
 * the {@link FlatView#nativeTables()} of every address space of the ten QEMU machines, must name
 * the section of the range {@link FlatView#lookup} finds, at every range edge and at random
 * addresses. Needs a C compiler ({@code $CC}, {@code cc} or {@code gcc}); skipped with a message
 * without one (CI installs gcc).
 */
class NativeLookupTest {
    @TempDir
    static Path dir;
    private static Arena arena;
    private static MethodHandle find;

    @BeforeAll
    @SuppressWarnings("restricted") // loading the test's own library; the surefire argLine enables native access
    static void compileTheHeaderIntoALibrary() throws Exception {
        String cc = CCompiler.find();
        Assumptions.assumeTrue(cc != null, "no C compiler ($CC, cc or gcc) on PATH: skipped; CI installs gcc");
        Files.writeString(dir.resolve("guestmem_layout.h"), CHeader.generate());
        Path src = dir.resolve("find.c");
        Files.writeString(src, """
                #include "guestmem_layout.h"
                uint32_t find(const struct guestmem_dispatch_header *h, uint64_t a) {
                    return guestmem_find_section(h, a);
                }
                """);
        Path lib = dir.resolve("libgmfind.so");
        CCompiler.run(List.of(cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC", "-I", dir.toString(),
                "-o", lib.toString(), src.toString()));
        arena = Arena.ofShared();
        MemorySegment symbol = SymbolLookup.libraryLookup(lib, arena).find("find").orElseThrow();
        find = Linker.nativeLinker().downcallHandle(symbol,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    @AfterAll
    static void unload() {
        if (arena != null) {
            arena.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"})
    void theCLookupShouldFindTheRangeTheJavaLookupFinds(String machine) throws Throwable {
        Random rnd = new Random(machine.hashCode());
        int checked = 0;
        try (ImportedMachine m = MtreeImporter.importFile(QemuOracleTest.oracleFile(machine + ".mtree.txt"))) {
            for (AddressSpace as : m.addressSpaces()) {
                try (AddressSpace.RetainedView rv = as.retainView()) {
                    FlatView v = rv.view();
                    MemorySegment tables = v.nativeTables();
                    assertEquals(DispatchHeaderLayout.MAGIC, (int) DispatchHeaderLayout.MAGIC_FIELD.get(tables, 0L));
                    assertEquals(DispatchHeaderLayout.VERSION, (short) DispatchHeaderLayout.VERSION_FIELD.get(tables, 0L));
                    assertEquals(v.rangeCount() + 1, (int) DispatchHeaderLayout.SECTION_COUNT.get(tables, 0L), as.name());
                    assertTrue((long) DispatchHeaderLayout.TOTAL_BYTES.get(tables, 0L) <= tables.byteSize(), as.name());
                    for (long a : probes(v, rnd)) {
                        FlatRange want = v.lookup(a);
                        int s = (int) find.invokeExact(tables, a);
                        int expected = want == null ? 0 : v.ranges().indexOf(want) + 1;
                        if (s != expected) {
                            fail(machine + " " + as.name() + " at 0x" + Long.toHexString(a) + ": C finds section " + s
                                    + ", Java " + expected + " (" + want + ")");
                        }
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 100, "probed " + checked + " addresses");
    }

    /** Every range's first and last byte and their neighbours, 0, 2^64 - 1 and random addresses. */
    private static Set<Long> probes(FlatView v, Random rnd) {
        Set<Long> out = new LinkedHashSet<>(List.of(0L, -1L, 1L, -2L));
        for (FlatRange r : v.ranges()) {
            out.addAll(List.of(r.start(), r.last(), r.start() - 1, r.last() + 1, r.start() + (r.sizeMinusOne() >>> 1)));
        }
        for (int i = 0; i < 64; i++) {
            out.add(rnd.nextLong());
            out.add((long) rnd.nextInt() & 0xffff_ffffL);
        }
        return out;
    }
}
