package org.guestmem.mtree;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.guestmem.MemorySystem;
import org.guestmem.MemorySystemBuilder;

/**
 * Reads QEMU's {@code info mtree -D} text back into regions and address spaces.
 *
 * <h2 id="rules">What the dump says, and what is inferred</h2>
 * <ul>
 * <li>{@code ram}, {@code rom} and {@code romd} regions get real zero-filled memory ({@code ramd}
 * is imported as RAM); i/o regions that terminate become {@link MmioStub}s that read 0, ignore
 * writes and count accesses; romd regions are ROM devices whose writes reach a stub.</li>
 * <li>Aliases resolve to their {@code memory-region:} blocks. A region in a tree whose name and
 * size equal a {@code memory-region:} block's root (and which sits where that block says) is that
 * same region: one object, placed in at most one container. Its two copies must agree line for
 * line (priority, type, flags, alias windows, subregions and their addresses and sizes); copies
 * that disagree are an error naming both lines, since importing one would silently drop the
 * other.</li>
 * <li>Every alias target is made before its aliases, wherever it is printed: later in the file,
 * or as the alias's own container or one of its ancestors. An alias whose target is its own
 * container renders as QEMU renders it (the window clips the recursion). An alias that shows
 * itself, and aliases that show each other with no container in between, could never render:
 * they are an error naming their lines; so is an alias whose window contains the alias itself,
 * which the render refuses ({@link org.guestmem.AliasLoopException}).</li>
 * <li>A root printed at a non-zero address keeps that address (QEMU shifts the whole address
 * space by it); {@code [disabled]} applies; address-space names may repeat.</li>
 * <li>Whether an i/o region terminates or is a pure container is not printed. When QEMU's
 * {@code info mtree -f} output for the same machine is given (the file {@code NAME.flat.txt}
 * beside {@code NAME.mtree.txt}), an i/o region terminates if and only if an i/o range with its
 * name and priority appears there; without it, leaves terminate and regions with children are
 * containers. (A range counts whether it prints as {@code i/o} or, when shown through a
 * readonly path, as {@code rom}.)</li>
 * <li>Which of two equal-priority siblings was added later (and so wins) is not printed either.
 * At the same address the one printed first is the later one (that is QEMU's print order); at
 * different addresses, for siblings that overlap, the smaller one is the later one, and at equal
 * sizes the one printed later. Conflicting guesses are resolved in favour of the exact
 * same-address order.</li>
 * </ul>
 * Alias windows may reach past their targets (QEMU allows it; the system is built with
 * {@link MemorySystemBuilder#lenientAliasWindows(boolean)}). Zero-sized regions print like
 * one-byte regions and are imported as such. The dump must come from {@code -D} (without it,
 * children of disabled regions float without their parent and the import is rejected).
 *
 * <h2 id="errors">Errors</h2>
 * Every dump the importer cannot build is reported as one {@link MtreeImportException} naming the
 * file (for {@link #importFile}) and the line, and the half-built system is closed again. That
 * includes bytes that are not UTF-8, lines that are not QEMU's, priorities outside {@code int},
 * a text without an {@code address-space:} block, memory beyond {@link #MAX_MEMORY_BYTES} or
 * beyond what the system can allocate (the size in hex), and structures the memory API refuses.
 *
 * <p>Threading: the importer keeps no state; concurrent calls build separate systems and do not
 * interact.
 */
public final class MtreeImporter {
    private static final Pattern FLAT_RANGE = Pattern.compile(
            "^  ([0-9a-f]{16})-([0-9a-f]{16}) \\(prio (-?\\d+), (nv-)?(ramd|romd|rom|ram|i/o)\\): (.*?)(?: @[0-9a-f]{16})?$");

    /**
     * The most memory one import allocates for its RAM, ROM and ROM-device regions together:
     * 2<sup>40</sup> bytes (1 TiB). Guest RAM is reserved lazily, but every block gets its dirty
     * bitmaps at once (a few bits per target page, about 100 MiB per TiB), and a dump of a
     * machine with more memory, or one damaged so that a RAM line covers 2<sup>44</sup> bytes,
     * would take seconds and gigabytes to import.
     */
    public static final long MAX_MEMORY_BYTES = 1L << 40;

    private MtreeImporter() {
    }

    /**
     * Imports {@code mtreeFile}; if {@code NAME.flat.txt} sits beside {@code NAME.mtree.txt}, it is
     * read as the hint for which i/o regions terminate. Errors name the file as given.
     *
     * @param mtreeFile a file holding QEMU's {@code info mtree -D}
     * @return the machine imported
     * @throws UncheckedIOException  if a file cannot be read
     * @throws MtreeImportException if the text is not QEMU's {@code info mtree -D} output or
     *                               cannot be built (see {@link #importText})
     */
    public static ImportedMachine importFile(Path mtreeFile) {
        String source = mtreeFile.toString();
        String text = readText(mtreeFile, source);
        String hint = null;
        String fileName = mtreeFile.getFileName().toString();
        if (fileName.endsWith(".mtree.txt")) {
            Path flat = mtreeFile.resolveSibling(fileName.substring(0, fileName.length() - ".mtree.txt".length()) + ".flat.txt");
            if (Files.isRegularFile(flat)) {
                hint = readText(flat, flat.toString());
            }
        }
        return importText(text, hint, MemorySystem.builder().name(fileName), source, MAX_MEMORY_BYTES);
    }

    /**
     * Imports {@code mtreeText} into a new system built by {@code systemBuilder}. Time and memory
     * grow linearly with the text (the order of overlapping equal-priority siblings aside, which
     * costs one step per overlapping pair; a container whose equal-priority subregions overlap in
     * more than a million pairs at different addresses is refused at its line), and no part of
     * the import or of the render recurses per level of nesting.
     *
     * @param mtreeText the text of QEMU's {@code info mtree -D}
     * @param systemBuilder configures the system to build (its lenient alias windows are turned on)
     * @param flatHint QEMU's {@code info mtree -f} text for the same machine, or null
     * @return the machine imported
     * @throws MtreeImportException if the text is not QEMU's {@code info mtree -D} output (the
     *                               first line that is not), holds no address space (line 1),
     *                               repeats a region with different contents (both lines), has
     *                               an alias that shows itself or a cycle of aliases, needs more
     *                               than {@link #MAX_MEMORY_BYTES} of memory or memory the system
     *                               cannot allocate, or asks for a structure the memory API
     *                               refuses (the line that asked, with the API's reason); the
     *                               new system is closed again
     */
    public static ImportedMachine importText(String mtreeText, String flatHint, MemorySystemBuilder systemBuilder) {
        return importText(mtreeText, flatHint, systemBuilder, null, MAX_MEMORY_BYTES);
    }

    /** {@link #importText(String, String, MemorySystemBuilder)} with a source name for messages and a memory limit. */
    static ImportedMachine importText(String mtreeText, String flatHint, MemorySystemBuilder systemBuilder,
                                      String source, long memoryLimit) {
        MtreeDump dump = MtreeDump.parse(mtreeText, source);
        ImportPlan plan = new ImportPlan(dump);
        plan.plan();
        RegionCopies.check(dump, plan);
        Set<String> terminatingIo = flatHint == null ? null : terminatingIo(flatHint);
        MemorySystem system = systemBuilder.lenientAliasWindows(true).build();
        try {
            return new MachineBuilder(dump, plan, system, terminatingIo, memoryLimit).build();
        } catch (RuntimeException | Error e) {
            system.close();
            throw e;
        }
    }

    /**
     * {@return the file's text, decoded as UTF-8}
     *
     * @throws MtreeImportException at the line of the first byte that is not UTF-8
     */
    private static String readText(Path file, String source) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new MtreeImportException(source, line, String.format(
                    "byte 0x%02x is not UTF-8 text: expected QEMU's info mtree output", bytes[at] & 0xff), null);
        }
        return out.flip().toString();
    }

    /** Names and priorities ({@code name + "\0" + prio}) of the i/o ranges of an {@code info mtree -f} dump. */
    static Set<String> terminatingIo(String flat) {
        Set<String> out = new HashSet<>();
        for (String line : flat.split("\n")) {
            Matcher m = FLAT_RANGE.matcher(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
            // an i/o range shown through a readonly path prints as rom (QEMU's flat-mode type word)
            if (m.matches() && (m.group(5).equals("i/o") || m.group(5).equals("rom"))) {
                out.add(m.group(6) + "\0" + m.group(3));
            }
        }
        return out;
    }
}
