package org.guestmem.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated {@code guestmem_layout.h} seen by a real C compiler: a small C program includes it
 * and prints {@code offsetof}, {@code sizeof} and {@code _Alignof} of every member of every
 * struct, every {@code #define} constant, the decoding macros on sample entries, and the bytes of
 * structs it fills through their members; each value must equal what the Java layouts say.
 * Compiled with {@code cc} (or {@code gcc}, or {@code $CC}) from {@code PATH}; skipped with a
 * message where no compiler exists. CI installs gcc, so there it really runs.
 */
class CHeaderTest {
    @TempDir
    Path dir;

    /** The structs the header must describe, by C name, independently of {@link CHeader#structs()}. */
    static final Map<String, StructLayout> STRUCTS = new LinkedHashMap<>();

    static {
        STRUCTS.put("guestmem_dispatch_header", DispatchHeaderLayout.LAYOUT);
        STRUCTS.put("guestmem_section", SectionLayout.LAYOUT);
        STRUCTS.put("guestmem_rcu_reader_slot", RcuReaderSlotLayout.LAYOUT);
        STRUCTS.put("guestmem_rcu_domain", RcuDomainLayout.LAYOUT);
        STRUCTS.put("guestmem_publication", PublicationLayout.LAYOUT);
        STRUCTS.put("guestmem_tlb_entry", TlbEntryLayout.LAYOUT);
        STRUCTS.put("guestmem_tlb", TlbLayout.LAYOUT);
        STRUCTS.put("guestmem_tlb_index", TlbLayout.INDEX_LAYOUT);
    }

    /** Every object-like {@code #define} the header must contain, with its Java value. */
    static Map<String, Long> expectedDefines() {
        Map<String, Long> d = new TreeMap<>();
        d.put("GUESTMEM_DISPATCH_MAGIC", DispatchHeaderLayout.MAGIC & 0xffff_ffffL);
        d.put("GUESTMEM_DISPATCH_VERSION", (long) DispatchHeaderLayout.VERSION);
        d.put("GUESTMEM_DISPATCH_INDEX_PADDING", DispatchHeaderLayout.INDEX_PADDING);
        d.put("GUESTMEM_SECTION_KIND_UNASSIGNED", (long) SectionLayout.KIND_UNASSIGNED);
        d.put("GUESTMEM_SECTION_KIND_RAM", (long) SectionLayout.KIND_RAM);
        d.put("GUESTMEM_SECTION_KIND_ROM", (long) SectionLayout.KIND_ROM);
        d.put("GUESTMEM_SECTION_KIND_ROMD", (long) SectionLayout.KIND_ROMD);
        d.put("GUESTMEM_SECTION_KIND_MMIO", (long) SectionLayout.KIND_MMIO);
        d.put("GUESTMEM_SECTION_KIND_IOMMU", (long) SectionLayout.KIND_IOMMU);
        d.put("GUESTMEM_SECTION_FLAG_READONLY", (long) SectionLayout.FLAG_READONLY);
        d.put("GUESTMEM_SECTION_FLAG_NONVOLATILE", (long) SectionLayout.FLAG_NONVOLATILE);
        d.put("GUESTMEM_SECTION_FLAG_ROMD_MODE", (long) SectionLayout.FLAG_ROMD_MODE);
        d.put("GUESTMEM_SECTION_FLAG_ROOT", (long) SectionLayout.FLAG_ROOT);
        d.put("GUESTMEM_SECTION_FLAG_NO_HOST", (long) SectionLayout.FLAG_NO_HOST);
        d.put("GUESTMEM_RCU_SLOT_BYTES", RcuReaderSlotLayout.SLOT_BYTES);
        d.put("GUESTMEM_DIRTY_CLIENTS", (long) DirtyBitmapLayout.CLIENTS);
        d.put("GUESTMEM_DIRTY_VGA", (long) DirtyBitmapLayout.CLIENT_VGA);
        d.put("GUESTMEM_DIRTY_CODE", (long) DirtyBitmapLayout.CLIENT_CODE);
        d.put("GUESTMEM_DIRTY_MIGRATION", (long) DirtyBitmapLayout.CLIENT_MIGRATION);
        d.put("GUESTMEM_TLB_MAGIC", TlbLayout.MAGIC & 0xffff_ffffL);
        d.put("GUESTMEM_TLB_VERSION", (long) TlbLayout.VERSION);
        d.put("GUESTMEM_TLB_MAX_MMU_INDEXES", (long) TlbLayout.MAX_MMU_INDEXES);
        d.put("GUESTMEM_TLB_FLAG_CHECKED", (long) TlbLayout.FLAG_CHECKED);
        d.put("GUESTMEM_TLB_INDEX_IDENTITY", (long) TlbLayout.INDEX_IDENTITY);
        d.put("GUESTMEM_TLB_ENTRY_SHIFT", (long) TlbEntryLayout.SHIFT);
        d.put("GUESTMEM_TLB_EMPTY", TlbEntryLayout.EMPTY);
        d.put("GUESTMEM_TLB_INVALID", TlbEntryLayout.INVALID);
        d.put("GUESTMEM_TLB_MMIO", TlbEntryLayout.MMIO);
        d.put("GUESTMEM_TLB_NOTDIRTY", TlbEntryLayout.NOTDIRTY);
        d.put("GUESTMEM_TLB_CHECKED", TlbEntryLayout.CHECKED);
        d.put("GUESTMEM_TLB_DEVICE", TlbEntryLayout.DEVICE);
        d.put("GUESTMEM_TLB_FLAGS_MASK", TlbEntryLayout.FLAGS_MASK);
        d.put("GUESTMEM_TLB_SECOND_WAY_FOLD", TlbEntryLayout.SECOND_WAY_FOLD);
        return d;
    }

    private static final Pattern OBJECT_DEFINE = Pattern.compile("^#define (GUESTMEM_[A-Z0-9_]+) (\\S.*)$", Pattern.MULTILINE);
    private static final Pattern MACRO_DEFINE = Pattern.compile("^#define (GUESTMEM_[A-Z0-9_]+)\\(", Pattern.MULTILINE);

    @Test
    void headerShouldDescribeExactlyTheListedStructures() {
        Map<String, StructLayout> got = new LinkedHashMap<>();
        for (CHeader.Struct s : CHeader.structs()) {
            got.put(s.cName(), s.layout());
        }
        assertEquals(STRUCTS, got);
    }

    @Test
    void packagedHeaderShouldBeTheGeneratedOne() throws IOException {
        try (InputStream in = CHeader.class.getResourceAsStream("/META-INF/guestmem/guestmem_layout.h")) {
            assertTrue(in != null, "the build packages META-INF/guestmem/guestmem_layout.h (exec-maven-plugin, process-classes)");
            assertEquals(CHeader.generate(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void everyDefineOfTheHeaderShouldHaveItsJavaValue() {
        String h = CHeader.generate();
        TreeSet<String> objectLike = new TreeSet<>();
        Matcher m = OBJECT_DEFINE.matcher(h);
        while (m.find()) {
            objectLike.add(m.group(1));
        }
        assertEquals(expectedDefines().keySet(), objectLike, "object-like #defines of the header");
        TreeSet<String> functionLike = new TreeSet<>();
        Matcher f = MACRO_DEFINE.matcher(h);
        while (f.find()) {
            functionLike.add(f.group(1));
        }
        assertEquals(new TreeSet<>(List.of("GUESTMEM_DIRTY_WORDS", "GUESTMEM_DIRTY_WORD_OFFSET")), functionLike);
        assertTrue(h.contains("static inline uint32_t guestmem_find_section(const struct guestmem_dispatch_header *h, uint64_t a)"),
                "the lookup function");
        for (String fn : List.of("guestmem_tlb_lookup_read", "guestmem_tlb_lookup_write", "guestmem_tlb_lookup_code",
                "guestmem_tlb_fill_page", "guestmem_tlb_revalidate", "guestmem_rcu_quiescent_state")) {
            assertTrue(h.contains(fn + "(const struct guestmem_tlb *t"), "the TLB function " + fn);
        }
        assertTrue(h.contains("#ifndef GUESTMEM_LAYOUT_H\n#define GUESTMEM_LAYOUT_H\n"), "include guard");
    }

    @Test
    void aCProgramCompiledAgainstTheHeaderShouldSeeTheJavaOffsetsSizesAndConstants() throws Exception {
        String compiler = findCompiler();
        Assumptions.assumeTrue(compiler != null,
                "no C compiler (cc, gcc or $CC) on PATH: the C header test needs one and is skipped here; CI installs gcc");
        Path header = dir.resolve("guestmem_layout.h");
        Files.writeString(header, CHeader.generate());

        Map<String, Long> expected = new TreeMap<>();
        StringBuilder c = new StringBuilder();
        c.append("#include \"guestmem_layout.h\"\n#include <stdio.h>\n#include <string.h>\n\n");
        c.append("static void bytes(const char *name, const void *p, size_t n) {\n")
                .append("    const unsigned char *b = p;\n    printf(\"bytes %s \", name);\n")
                .append("    for (size_t i = 0; i < n; i++) printf(\"%02x\", b[i]);\n    printf(\"\\n\");\n}\n\n");
        c.append("int main(void) {\n");
        for (Map.Entry<String, StructLayout> s : STRUCTS.entrySet()) {
            String st = "struct " + s.getKey();
            StructLayout layout = s.getValue();
            line(c, "sizeof " + s.getKey(), "sizeof(" + st + ")");
            expected.put("sizeof " + s.getKey(), layout.byteSize());
            line(c, "alignof " + s.getKey(), "_Alignof(" + st + ")");
            expected.put("alignof " + s.getKey(), layout.byteAlignment());
            long offset = 0;
            int pad = 0;
            for (MemoryLayout member : layout.memberLayouts()) {
                String name = member instanceof PaddingLayout ? "_pad" + pad++ : member.name().orElseThrow();
                line(c, "offsetof " + s.getKey() + "." + name, "offsetof(" + st + ", " + name + ")");
                expected.put("offsetof " + s.getKey() + "." + name, offset);
                line(c, "sizeof " + s.getKey() + "." + name, "sizeof(((" + st + " *)0)->" + name + ")");
                expected.put("sizeof " + s.getKey() + "." + name, member.byteSize());
                offset += member.byteSize();
            }
        }
        for (Map.Entry<String, Long> d : expectedDefines().entrySet()) {
            line(c, "define " + d.getKey(), d.getKey());
            expected.put("define " + d.getKey(), d.getValue());
        }
        for (long pages : new long[] {1, 63, 64, 65, 1000, 1L << 20}) {
            line(c, "dirty words " + pages, "GUESTMEM_DIRTY_WORDS(" + pages + "ull)");
            expected.put("dirty words " + pages, DirtyBitmapLayout.words(pages));
            for (int client = 0; client < DirtyBitmapLayout.CLIENTS; client++) {
                long page = pages - 1;
                String key = "dirty offset " + pages + " " + client + " " + page;
                line(c, key, "GUESTMEM_DIRTY_WORD_OFFSET(" + pages + "ull, " + client + ", " + page + "ull)");
                expected.put(key, DirtyBitmapLayout.wordOffset(pages, client, page));
                assertEquals(DirtyBitmapLayout.layout(pages).byteOffset(
                        MemoryLayout.PathElement.groupElement(new String[] {"vga", "code", "migration"}[client]),
                        MemoryLayout.PathElement.sequenceElement(page / 64)),
                        DirtyBitmapLayout.wordOffset(pages, client, page), key + " agrees with the StructLayout");
            }
        }
        // structs filled member by member in C, dumped as bytes; Java writes the same values through the VarHandles
        c.append("""
                    {
                        struct guestmem_section s;
                        memset(&s, 0, sizeof s);
                        s.start = 0x1122334455667788ull;
                        s.size_minus_1 = 0xfffffffffffff000ull;
                        s.offset_in_region = 0x0102030405060708ull;
                        s.host_addend = 0x8000000000000001ull;
                        s.region_index = 0x7eadbeefu;
                        s.kind = GUESTMEM_SECTION_KIND_ROMD;
                        s.flags = GUESTMEM_SECTION_FLAG_READONLY | GUESTMEM_SECTION_FLAG_ROOT;
                        s.dirty_log_mask = 5;
                        s.dirty_bitmap = 0x7000100020003000ull;
                        s.dirty_pages = 0x4000ull;
                        bytes("guestmem_section", &s, sizeof s);
                    }
                    {
                        struct guestmem_dispatch_header h;
                        memset(&h, 0, sizeof h);
                        h.magic = GUESTMEM_DISPATCH_MAGIC;
                        h.version = GUESTMEM_DISPATCH_VERSION;
                        h.page_bits = 12;
                        h.reserved = 0x5a;
                        h.section_count = 0x11111111u;
                        h.index_count = 0x22222222u;
                        h.sections_offset = 0x4444444444444444ull;
                        h.index_offset = 0x5555555555555555ull;
                        h.total_bytes = 0x7777777777777777ull;
                        bytes("guestmem_dispatch_header", &h, sizeof h);
                    }
                    {
                        struct guestmem_rcu_reader_slot r;
                        memset(&r, 0, sizeof r);
                        r.ctr = 0x0123456789abcdefull;
                        bytes("guestmem_rcu_reader_slot", &r, sizeof r);
                    }
                    {
                        struct guestmem_tlb t;
                        memset(&t, 0, sizeof t);
                        t.magic = GUESTMEM_TLB_MAGIC;
                        t.version = GUESTMEM_TLB_VERSION;
                        t.page_bits = 12;
                        t.mmu_indexes = 3;
                        t.log2_entries = 17;
                        t.flags = GUESTMEM_TLB_FLAG_CHECKED;
                        t.table = 0x1111222233334444ull;
                        t.rcu_slot = 0x5555666677778888ull;
                        t.rcu_domain = 0x99990000aaaabbbbull;
                        bytes("guestmem_tlb", &t, sizeof t);
                        struct guestmem_tlb_index x;
                        memset(&x, 0, sizeof x);
                        x.publication = 0x0102030405060708ull;
                        x.tables = 0x1112131415161718ull;
                        x.generation = 0x2122232425262728ull;
                        x.flags = GUESTMEM_TLB_INDEX_IDENTITY;
                        bytes("guestmem_tlb_index", &x, sizeof x);
                        struct guestmem_tlb_entry e;
                        e.addr_read = 0x10000ull;
                        e.addr_write = 0x10000ull | GUESTMEM_TLB_NOTDIRTY;
                        e.addr_code = GUESTMEM_TLB_EMPTY;
                        e.addend = 0x7f0000000000ull;
                        bytes("guestmem_tlb_entry", &e, sizeof e);
                        struct guestmem_publication p;
                        memset(&p, 0, sizeof p);
                        p.generation = 42;
                        p.tables = 0x7f1234567000ull;
                        bytes("guestmem_publication", &p, sizeof p);
                        struct guestmem_rcu_domain d;
                        memset(&d, 0, sizeof d);
                        d.gp = 0x0fedcba987654321ull;
                        bytes("guestmem_rcu_domain", &d, sizeof d);
                    }
                    return 0;
                }
                """);
        Path src = dir.resolve("layout_check.c");
        Files.writeString(src, c.toString());
        Path exe = dir.resolve("layout_check");

        String compileOut = run(List.of(compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", dir.toString(),
                "-o", exe.toString(), src.toString()), "compiling " + src);
        String out = run(List.of(exe.toString()), "running " + exe);

        Map<String, Long> actual = new TreeMap<>();
        Map<String, String> dumps = new TreeMap<>();
        for (String l : out.split("\n")) {
            if (l.isBlank()) {
                continue;
            }
            if (l.startsWith("bytes ")) {
                String[] p = l.split(" ");
                dumps.put(p[1], p[2]);
                continue;
            }
            int sp = l.lastIndexOf(' ');
            actual.put(l.substring(0, sp), Long.parseUnsignedLong(l.substring(sp + 1)));
        }
        List<String> diffs = new ArrayList<>();
        for (String k : new TreeSet<>(expected.keySet())) {
            if (!expected.get(k).equals(actual.get(k))) {
                diffs.add(k + ": Java " + expected.get(k) + ", C " + actual.get(k));
            }
        }
        assertTrue(diffs.isEmpty(), "C disagrees with the Java layouts:\n" + String.join("\n", diffs)
                + "\n(compiler output: " + compileOut + ")");
        assertEquals(expected.keySet(), actual.keySet(), "the program printed exactly the expected values");

        assertEquals(javaBytes(), dumps, "bytes of structs filled in C equal the bytes the Java VarHandles write");
    }

    /** The same structs as the C program fills, written through the Java VarHandles. */
    private static Map<String, String> javaBytes() {
        Map<String, String> m = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(SectionLayout.LAYOUT);
            SectionLayout.START.set(s, 0L, 0x1122334455667788L);
            SectionLayout.SIZE_MINUS_1.set(s, 0L, 0xfffffffffffff000L);
            SectionLayout.OFFSET_IN_REGION.set(s, 0L, 0x0102030405060708L);
            SectionLayout.HOST_ADDEND.set(s, 0L, 0x8000000000000001L);
            SectionLayout.REGION_INDEX.set(s, 0L, 0x7eadbeef);
            SectionLayout.KIND.set(s, 0L, (byte) SectionLayout.KIND_ROMD);
            SectionLayout.FLAGS.set(s, 0L, (byte) (SectionLayout.FLAG_READONLY | SectionLayout.FLAG_ROOT));
            SectionLayout.DIRTY_LOG_MASK.set(s, 0L, (byte) 5);
            SectionLayout.DIRTY_BITMAP.set(s, 0L, 0x7000100020003000L);
            SectionLayout.DIRTY_PAGES.set(s, 0L, 0x4000L);
            m.put("guestmem_section", hex.formatHex(s.toArray(ValueLayout.JAVA_BYTE)));

            MemorySegment h = arena.allocate(DispatchHeaderLayout.LAYOUT);
            DispatchHeaderLayout.MAGIC_FIELD.set(h, 0L, DispatchHeaderLayout.MAGIC);
            DispatchHeaderLayout.VERSION_FIELD.set(h, 0L, DispatchHeaderLayout.VERSION);
            DispatchHeaderLayout.PAGE_BITS.set(h, 0L, (byte) 12);
            DispatchHeaderLayout.RESERVED.set(h, 0L, (byte) 0x5a);
            DispatchHeaderLayout.SECTION_COUNT.set(h, 0L, 0x11111111);
            DispatchHeaderLayout.INDEX_COUNT.set(h, 0L, 0x22222222);
            DispatchHeaderLayout.SECTIONS_OFFSET.set(h, 0L, 0x4444444444444444L);
            DispatchHeaderLayout.INDEX_OFFSET.set(h, 0L, 0x5555555555555555L);
            DispatchHeaderLayout.TOTAL_BYTES.set(h, 0L, 0x7777777777777777L);
            m.put("guestmem_dispatch_header", hex.formatHex(h.toArray(ValueLayout.JAVA_BYTE)));

            MemorySegment r = arena.allocate(RcuReaderSlotLayout.LAYOUT);
            RcuReaderSlotLayout.CTR.set(r, 0L, 0x0123456789abcdefL);
            m.put("guestmem_rcu_reader_slot", hex.formatHex(r.toArray(ValueLayout.JAVA_BYTE)));

            MemorySegment t = arena.allocate(TlbLayout.LAYOUT);
            TlbLayout.MAGIC_FIELD.set(t, 0L, TlbLayout.MAGIC);
            TlbLayout.VERSION_FIELD.set(t, 0L, TlbLayout.VERSION);
            TlbLayout.PAGE_BITS.set(t, 0L, (byte) 12);
            TlbLayout.MMU_INDEXES.set(t, 0L, (byte) 3);
            TlbLayout.LOG2_ENTRIES.set(t, 0L, (byte) 17);
            TlbLayout.FLAGS.set(t, 0L, (byte) TlbLayout.FLAG_CHECKED);
            TlbLayout.TABLE.set(t, 0L, 0x1111222233334444L);
            TlbLayout.RCU_SLOT.set(t, 0L, 0x5555666677778888L);
            TlbLayout.RCU_DOMAIN.set(t, 0L, 0x99990000aaaabbbbL);
            m.put("guestmem_tlb", hex.formatHex(t.toArray(ValueLayout.JAVA_BYTE)));

            MemorySegment x = arena.allocate(TlbLayout.INDEX_LAYOUT);
            TlbLayout.INDEX_PUBLICATION.set(x, 0L, 0x0102030405060708L);
            TlbLayout.INDEX_TABLES.set(x, 0L, 0x1112131415161718L);
            TlbLayout.INDEX_GENERATION.set(x, 0L, 0x2122232425262728L);
            TlbLayout.INDEX_FLAGS.set(x, 0L, TlbLayout.INDEX_IDENTITY);
            m.put("guestmem_tlb_index", hex.formatHex(x.toArray(ValueLayout.JAVA_BYTE)));

            MemorySegment e = arena.allocate(TlbEntryLayout.LAYOUT);
            TlbEntryLayout.ADDR_READ.set(e, 0L, 0x10000L);
            TlbEntryLayout.ADDR_WRITE.set(e, 0L, 0x10000L | TlbEntryLayout.NOTDIRTY);
            TlbEntryLayout.ADDR_CODE.set(e, 0L, TlbEntryLayout.EMPTY);
            TlbEntryLayout.ADDEND.set(e, 0L, 0x7f0000000000L);
            m.put("guestmem_tlb_entry", hex.formatHex(e.toArray(ValueLayout.JAVA_BYTE)));

            MemorySegment p = arena.allocate(PublicationLayout.LAYOUT);
            PublicationLayout.GENERATION.set(p, 0L, 42L);
            PublicationLayout.TABLES.set(p, 0L, 0x7f1234567000L);
            m.put("guestmem_publication", hex.formatHex(p.toArray(ValueLayout.JAVA_BYTE)));

            MemorySegment d = arena.allocate(RcuDomainLayout.LAYOUT);
            RcuDomainLayout.GP.set(d, 0L, 0x0fedcba987654321L);
            m.put("guestmem_rcu_domain", hex.formatHex(d.toArray(ValueLayout.JAVA_BYTE)));
        }
        return m;
    }

    private static void line(StringBuilder c, String label, String expr) {
        c.append("    printf(\"").append(label).append(" %llu\\n\", (unsigned long long)(").append(expr).append("));\n");
    }

    private static String run(List<String> cmd, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(what + " timed out");
        }
        if (p.exitValue() != 0) {
            fail(what + " failed with exit code " + p.exitValue() + ":\n" + out);
        }
        return out;
    }

    /** {@code $CC} if set and found, else {@code cc}, else {@code gcc}, from {@code PATH}; null if none. */
    static String findCompiler() {
        List<String> names = new ArrayList<>();
        String env = System.getenv("CC");
        if (env != null && !env.isBlank()) {
            names.add(env.trim());
        }
        names.add("cc");
        names.add("gcc");
        String path = System.getenv("PATH");
        for (String name : names) {
            if (name.contains(File.separator)) {
                if (Files.isExecutable(Path.of(name))) {
                    return name;
                }
                continue;
            }
            if (path == null) {
                continue;
            }
            for (String d : path.split(File.pathSeparator)) {
                if (d.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(d, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return null;
    }
}
