package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.guestmem.MemorySystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importer fuzzed: 520 mutations of the ten QEMU 7.2 dumps in {@code qemu-oracle} (hex digits
 * flipped, lines deleted, duplicated and swapped, indentation, priorities, types, names, flags and
 * alias targets changed, text cut short or sprinkled with bytes) and the hostile inputs that broke
 * it before (aliases showing themselves, containers holding aliases of themselves, 10,000 levels
 * of nesting, 2^50-byte RAM, empty files, bytes that are not text, priorities beyond {@code int},
 * 50,000 siblings). The corpus comes from a fixed seed, so every run imports the same files.
 *
 * <p>Each input goes through {@link MtreeImporter#importFile} with QEMU's flat view beside it, as
 * {@code guestmem mtree} reads it, under a hang guard of 20 s for the import's answer and 60 s
 * for the round trip below (guards, not speed measurements: most inputs take milliseconds, the
 * table printed at the end gives the time each import took to answer, and {@code bench/README.md}
 * has the measured timings). It must end in one of two ways:
 * <ul>
 * <li>an import whose printed tree imports again to the same printed tree and the same flat
 * views (the importer reads back exactly what it prints), or</li>
 * <li>an {@link MtreeImportException} naming this file and a line of it, on one line.</li>
 * </ul>
 * Anything else thrown fails the input's test. The outcomes are counted and printed at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MtreeFuzzTest {
    private static final long SEED = 0x6d74726565L; // "mtree"
    private static final int MUTATIONS_PER_MACHINE = 52;
    private static final Duration IMPORT_GUARD = Duration.ofSeconds(20);
    private static final Duration ROUND_TRIP_GUARD = Duration.ofSeconds(60);
    private static final String[] MACHINES = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"};

    @TempDir
    static Path dir;
    private static final Map<String, Integer> OUTCOMES = new TreeMap<>();
    private static final List<Long> MILLIS = new ArrayList<>();
    private static final List<String> SLOW = new ArrayList<>();

    @BeforeAll
    static void clear() {
        OUTCOMES.clear();
        MILLIS.clear();
        SLOW.clear();
    }

    @TestFactory
    @Order(1)
    Stream<DynamicTest> mutationsOfQemuDumps() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < MACHINES.length; k++) {
            String machine = MACHINES[k];
            String text = Files.readString(QemuOracleTest.oracleFile(machine + ".mtree.txt"));
            String flat = Files.readString(QemuOracleTest.oracleFile(machine + ".flat.txt"));
            Random rnd = new Random(SEED + k);
            for (int i = 0; i < MUTATIONS_PER_MACHINE; i++) {
                DumpMutator.Mutant mutant = DumpMutator.mutate(text, rnd);
                String name = machine + "-" + i;
                byte[] bytes = mutant.text().getBytes(StandardCharsets.UTF_8);
                tests.add(DynamicTest.dynamicTest(name + ": " + mutant.description(), () -> check(name, bytes, flat, null)));
            }
        }
        return tests.stream();
    }

    @TestFactory
    @Order(2)
    Stream<DynamicTest> hostileInputs() {
        List<DynamicTest> tests = new ArrayList<>();
        for (HostileInputs.Input in : HostileInputs.all()) {
            tests.add(DynamicTest.dynamicTest(in.name(), () -> check(in.name(), in.bytes(), null, in)));
        }
        return tests.stream();
    }

    /** Imports one input through a file and classifies the outcome; anything but the two endings fails. */
    private static void check(String name, byte[] bytes, String flat, HostileInputs.Input expect) throws IOException {
        Path file = dir.resolve(name + ".mtree.txt");
        Files.write(file, bytes);
        if (flat != null) {
            Files.writeString(dir.resolve(name + ".flat.txt"), flat);
        }
        String outcome;
        long t0 = System.nanoTime();
        try {
            ImportedMachine m = assertTimeoutPreemptively(IMPORT_GUARD, () -> MtreeImporter.importFile(file),
                    () -> name + ": no answer within " + IMPORT_GUARD);
            record(name, System.nanoTime() - t0);
            try (m) {
                String tree = assertTimeoutPreemptively(ROUND_TRIP_GUARD, () -> printsBackWhatItRead(m),
                        () -> name + ": round trip over " + ROUND_TRIP_GUARD);
                if (expect != null && expect.printsItself()) {
                    assertTrue(tree.equals(new String(bytes, StandardCharsets.UTF_8)), name + " prints exactly its input");
                }
            }
            outcome = HostileInputs.IMPORTED;
        } catch (MtreeImportException e) {
            record(name, System.nanoTime() - t0);
            long lines = 1;
            for (byte b : bytes) {
                lines += b == '\n' ? 1 : 0;
            }
            assertEquals(file.toString(), e.source(), e.getMessage());
            assertTrue(e.line() >= 1 && e.line() <= lines, "line " + e.line() + " of " + lines + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith(file + ":" + e.line() + ": "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            outcome = category(e.reason());
        } finally {
            Files.delete(file);
        }
        synchronized (OUTCOMES) {
            OUTCOMES.merge((expect != null ? "hostile: " : "mutation: ") + outcome, 1, Integer::sum);
        }
        if (expect != null) {
            assertEquals(expect.outcome(), outcome, name);
        }
    }

    /** {@return the printed tree, after checking that it imports again to itself and the same flat views} */
    private static String printsBackWhatItRead(ImportedMachine m) {
        String tree = MtreePrinter.tree(m.system(), true);
        String flat = MtreePrinter.flat(m.system());
        try (ImportedMachine again = MtreeImporter.importText(tree, flat, MemorySystem.builder())) {
            assertEquals(tree, MtreePrinter.tree(again.system(), true), "the printed tree imports to itself");
            assertEquals(MtreeText.views(flat), MtreeText.views(MtreePrinter.flat(again.system())), "and renders the same");
        }
        return tree;
    }

    private static void record(String name, long nanos) {
        long ms = nanos / 1_000_000;
        synchronized (OUTCOMES) {
            MILLIS.add(ms);
            if (ms > 1000) {
                SLOW.add(name + " " + ms + " ms");
            }
        }
    }

    @AfterAll
    static void printOutcomes() {
        List<Long> sorted = new ArrayList<>(MILLIS);
        sorted.sort(null);
        StringBuilder s = new StringBuilder("MtreeFuzzTest outcomes (" + sorted.size() + " inputs; time to answer: median "
                + sorted.get(sorted.size() / 2) + " ms, slowest " + sorted.getLast() + " ms, over 2 s: "
                + sorted.stream().filter(ms -> ms > 2000).count() + ", over 1 s: " + SLOW + "):\n");
        OUTCOMES.forEach((k, v) -> s.append(String.format("  %5d  %s%n", v, k)));
        System.out.print(s);
    }

    /** {@return the kind of error a reason describes, for the table} */
    static String category(String reason) {
        String[][] kinds = {
                {"is not UTF-8", "error: bytes that are not UTF-8"},
                {"no address space", "error: no address space"},
                {"is out of range", "error: priority out of range"},
                {"past its limit", "error: memory beyond the import's limit"},
                {"cannot allocate", "error: memory the system cannot allocate"},
                {"contradicts line", "error: copies of a region disagree"},
                {"shows itself", "error: alias shows itself"},
                {"aliases show each other", "error: aliases show each other"},
                {"names no target", "error: alias names no target"},
                {"alias window", "error: alias window and size differ"},
                {"which would make a cycle", "error: memory API refuses a cycle"},
                {"cannot ", "error: memory API refuses something else"},
                {"overlap in more than", "error: too many overlapping siblings to order"},
                {"expected an even number of spaces", "error: syntax (indentation)"},
                {"has no parent line", "error: syntax (indentation)"},
                {"a second root region", "error: syntax (indentation)"},
                {"has no region line", "error: syntax (block without regions)"},
                {"outside a block", "error: syntax (region outside a block)"},
                {"expected", "error: syntax (not a dump line)"},
        };
        for (String[] k : kinds) {
            if (reason.contains(k[0])) {
                return k[1];
            }
        }
        return "error: " + reason;
    }
}
