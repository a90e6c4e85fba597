package org.guestmem.mtree;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Inputs written to break the importer, each with the outcome it must have (a category of
 * {@link MtreeFuzzTest#category}, or the successful import): alias cycles of every shape,
 * structures the memory API refuses, nesting and sibling counts far beyond real machines, memory
 * sizes no machine can allocate, empty and binary files, priorities beyond {@code int}, broken
 * indentation, contradicting and agreeing copies, and some harmless oddities (CRLF line ends,
 * non-ASCII names, ranges printed past 2^64).
 */
final class HostileInputs {
    static final String IMPORTED = "imported, prints back what it read";

    private HostileInputs() {
    }

    /** One input, the outcome it must have and, for one that imports, whether it prints exactly itself. */
    record Input(String name, byte[] bytes, String outcome, boolean printsItself) {
    }

    private static final String HEAD = "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n";

    private static Input text(String name, String text, String outcome) {
        return new Input(name, text.getBytes(StandardCharsets.UTF_8), outcome, false);
    }

    /** An input that imports and prints back as it is, byte for byte. */
    private static Input exact(String name, String text) {
        return new Input(name, text.getBytes(StandardCharsets.UTF_8), IMPORTED, true);
    }

    private static Input region(String name, String line, String outcome) {
        return text(name, HEAD + "    " + line + "\n\n", outcome);
    }

    static List<Input> all() {
        List<Input> in = new ArrayList<>();
        in.add(text("alias-shows-itself", HEAD + """
                    0000000000000000-0000000000000fff (prio 0, i/o): alias a @a 0000000000000000-0000000000000fff

                memory-region: a
                  0000000000000000-0000000000000fff (prio 0, i/o): alias a @a 0000000000000000-0000000000000fff

                """, "error: alias shows itself"));
        in.add(text("two-aliases-show-each-other", HEAD + """
                    0000000000000000-0000000000000fff (prio 0, i/o): alias x @y 0000000000000000-0000000000000fff

                memory-region: y
                  0000000000000000-0000000000000fff (prio 0, i/o): alias y @x 0000000000000000-0000000000000fff

                memory-region: x
                  0000000000000000-0000000000000fff (prio 0, i/o): alias x @y 0000000000000000-0000000000000fff

                """, "error: aliases show each other"));
        in.add(text("three-aliases-in-a-ring", HEAD + """
                    0000000000000000-0000000000000fff (prio 0, i/o): alias p @q 0000000000000000-0000000000000fff

                memory-region: q
                  0000000000000000-0000000000000fff (prio 0, i/o): alias q @r 0000000000000000-0000000000000fff

                memory-region: r
                  0000000000000000-0000000000000fff (prio 0, i/o): alias r @p 0000000000000000-0000000000000fff

                memory-region: p
                  0000000000000000-0000000000000fff (prio 0, i/o): alias p @q 0000000000000000-0000000000000fff

                """, "error: aliases show each other"));
        in.add(text("container-holds-an-alias-of-its-whole-self", HEAD + """
                    0000000000000000-000000000000ffff (prio 0, i/o): box
                      0000000000000000-000000000000ffff (prio 1, i/o): alias mirror @box 0000000000000000-000000000000ffff

                memory-region: box
                  0000000000000000-000000000000ffff (prio 0, i/o): box
                    0000000000000000-000000000000ffff (prio 1, i/o): alias mirror @box 0000000000000000-000000000000ffff

                """, "error: alias shows itself"));
        in.add(text("sse-200-alias-into-its-own-container", HEAD + """
                    0000000000000000-00000000ffffffff (prio 0, i/o): container
                      0000000000000000-0000000000ffffff (prio 0, ram): sram
                      0000000010000000-000000001fffffff (prio -1500, i/o): alias alias 1 @container 0000000000000000-000000000fffffff

                memory-region: container
                  0000000000000000-00000000ffffffff (prio 0, i/o): container
                    0000000000000000-0000000000ffffff (prio 0, ram): sram
                    0000000010000000-000000001fffffff (prio -1500, i/o): alias alias 1 @container 0000000000000000-000000000fffffff

                """, IMPORTED));
        in.add(text("alias-into-an-ancestor-through-a-container", HEAD + """
                    0000000000000000-00000000000fffff (prio 0, i/o): bus
                      0000000000080000-0000000000080fff (prio 0, i/o): alias up @system 0000000000000000-0000000000000fff

                memory-region: system
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000000000-00000000000fffff (prio 0, i/o): bus
                      0000000000080000-0000000000080fff (prio 0, i/o): alias up @system 0000000000000000-0000000000000fff

                """, IMPORTED));
        StringBuilder deep = new StringBuilder("address-space: memory\n");
        for (int level = 1; level <= 10_000; level++) {
            deep.append("  ".repeat(level)).append("0000000000000000-ffffffffffffffff (prio 0, i/o): c").append(level).append('\n');
        }
        in.add(exact("nesting-10000-levels", deep.append('\n').toString()));
        in.add(region("ram-of-2^50-bytes", "0000000000000000-0003ffffffffffff (prio 0, ram): ram", "error: memory beyond the import's limit"));
        in.add(region("ram-of-2^64-bytes", "0000000000000000-ffffffffffffffff (prio 0, ram): ram", "error: memory beyond the import's limit"));
        in.add(region("rom-of-2^44-bytes", "0000000000000000-00000fffffffffff (prio 0, rom): rom", "error: memory beyond the import's limit"));
        in.add(text("two-romds-of-576-gib", HEAD + """
                    0000000000000000-0000008fffffffff (prio 0, romd): a
                    0000010000000000-0000018fffffffff (prio 0, romd): b

                """, "error: memory beyond the import's limit"));
        in.add(text("empty-file", "", "error: no address space"));
        in.add(text("blank-lines-only", "\n\n   \n\t\n", "error: no address space"));
        in.add(text("memory-region-blocks-only", "memory-region: x\n  0000000000000000-0000000000000fff (prio 0, ram): x\n\n",
                "error: no address space"));
        byte[] garbage = new byte[4096];
        new Random(1).nextBytes(garbage);
        in.add(new Input("binary-garbage", garbage, "error: bytes that are not UTF-8", false));
        byte[] ascii = new byte[4096];
        Random r = new Random(2);
        for (int i = 0; i < ascii.length; i++) {
            ascii[i] = (byte) r.nextInt(128);
        }
        in.add(new Input("ascii-garbage", ascii, "error: syntax (not a dump line)", false));
        in.add(text("one-mib-line", "x".repeat(1 << 20), "error: syntax (not a dump line)"));
        in.add(region("priority-2^40", "0000000000000000-0000000000000fff (prio 1099511627776, ram): ram", "error: priority out of range"));
        in.add(region("priority-below-int", "0000000000000000-0000000000000fff (prio -2147483649, ram): ram", "error: priority out of range"));
        in.add(region("priority-of-30-digits", "0000000000000000-0000000000000fff (prio 123456789012345678901234567890, ram): ram",
                "error: priority out of range"));
        in.add(text("odd-indentation", HEAD + "   0000000000000000-0000000000000fff (prio 0, ram): ram\n\n", "error: syntax (indentation)"));
        in.add(text("level-skipped-as-without-D", HEAD + "      0000000000000000-0000000000000fff (prio 0, ram): ram\n\n",
                "error: syntax (indentation)"));
        in.add(text("region-after-a-blank-line", HEAD + "\n    0000000000000000-0000000000000fff (prio 0, ram): ram\n\n",
                "error: syntax (region outside a block)"));
        in.add(text("header-without-regions", HEAD + "\nmemory-region: lost\n\n", "error: syntax (block without regions)"));
        in.add(region("alias-to-nowhere", "0000000000000000-0000000000000fff (prio 0, ram): alias a @nowhere 0000000000000000-0000000000000fff",
                "error: alias names no target"));
        in.add(text("alias-window-wider-than-the-alias", HEAD + """
                    0000000000000000-0000000000000fff (prio 0, ram): alias a @r 0000000000000000-0000000000001fff

                memory-region: r
                  0000000000000000-0000000000001fff (prio 0, ram): r

                """, "error: alias window and size differ"));
        in.add(region("range-ending-before-it-starts", "0000000000001000-0000000000000fff (prio 0, i/o): wrapped",
                "error: memory API refuses something else"));
        in.add(text("copies-with-different-priorities", HEAD + """
                    0000000000100000-00000000001fffff (prio 1, i/o): bus
                      0000000000100000-0000000000100fff (prio 0, i/o): dev
                    0000000000200000-0000000000200fff (prio 0, i/o): alias win @bus 0000000000000000-0000000000000fff

                memory-region: bus
                  0000000000100000-00000000001fffff (prio 2, i/o): bus
                    0000000000100000-0000000000100fff (prio 0, i/o): dev

                """, "error: copies of a region disagree"));
        in.add(exact("copies-that-agree", HEAD + """
                    0000000000100000-00000000001fffff (prio 1, i/o): bus
                      0000000000100000-0000000000100fff (prio 0, i/o): dev
                    0000000000200000-0000000000200fff (prio 0, i/o): alias win @bus 0000000000000000-0000000000000fff

                memory-region: bus
                  0000000000100000-00000000001fffff (prio 1, i/o): bus
                    0000000000100000-0000000000100fff (prio 0, i/o): dev

                """));
        in.add(text("crlf-line-ends", oracle("x86_64-pc.mtree.txt").replace("\n", "\r\n"), IMPORTED));
        in.add(exact("non-ascii-names", HEAD + "    0000000000000000-0000000000000fff (prio 0, ram): mémoire-vive ✓\n\n"));
        in.add(exact("range-printed-past-2^64", """
                address-space: memory
                  0000000000000000-ffffffffffffffff (prio 0, i/o): system
                    0000000000001000-0000000000004fff (prio 0, i/o): bus
                [DETECTED OVERFLOW!]       0000000000001000-0000000000000fff (prio 0, i/o): big
                      0000000000002000-0000000000002fff (prio 0, i/o): small

                """));
        in.add(exact("50000-siblings", siblings(50_000, false)));
        in.add(exact("20000-siblings-at-one-address", siblings(20_000, true)));
        StringBuilder nested = new StringBuilder(HEAD);
        for (int i = 0; i < 1500; i++) { // each inside the one before: every pair overlaps
            nested.append(String.format("    %016x-%016x (prio 0, i/o): n%d\n", 0x1000L * i, -1L - 0x1000L * i, i));
        }
        in.add(text("1500-siblings-inside-each-other", nested.append('\n').toString(), "error: too many overlapping siblings to order"));
        return in;
    }

    private static String siblings(int n, boolean oneAddress) {
        StringBuilder s = new StringBuilder(HEAD);
        for (int i = 0; i < n; i++) {
            long start = oneAddress ? 0 : (long) i << 12;
            long size = oneAddress ? 0x1000L + i : 0x1000L;
            s.append(String.format("    %016x-%016x (prio 0, i/o): dev%d\n", start, start + size - 1, i));
        }
        return s.append('\n').toString();
    }

    private static String oracle(String name) {
        try {
            return Files.readString(QemuOracleTest.oracleFile(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
