package org.guestmem.examples.rv32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.guestmem.examples.rv32.testing.Asm;
import org.guestmem.examples.rv32.testing.ElfBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line: options, one-line errors, exit statuses, --mtree and --stats. */
class MainTest {
    @TempDir
    Path dir;

    private record Run(int status, String uart, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream uart = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int s = Main.run(args, uart, false, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(s, uart.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String elf(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p.toString();
    }

    @Test
    void badCommandLinesExit64WithTheUsage() {
        Run r = run();
        assertEquals(Main.EXIT_USAGE, r.status());
        assertEquals("emulate: no ELF file given\n" + Options.USAGE + "\n", r.err());
        assertTrue(run("--memory", "flat", "x.elf").err().startsWith("emulate: --memory must be guestmem or raw, got 'flat'\n"));
        assertTrue(run("--ram", "0", "x.elf").err().startsWith("emulate: --ram must be within 1..2048, got 0\n"));
        assertTrue(run("--max-insns", "lots", "x.elf").err().startsWith("emulate: --max-insns needs a number, got 'lots'\n"));
        assertTrue(run("--fast", "x.elf").err().startsWith("emulate: unknown option '--fast'\n"));
        assertTrue(run("a.elf", "b.elf").err().startsWith("emulate: more than one file: 'a.elf' and 'b.elf'\n"));
        assertEquals(Main.EXIT_USAGE, run("--ram").status());
    }

    @Test
    void filesThatCannotBeLoadedExit65WithOneLine() throws IOException {
        Run missing = run(dir.resolve("none.elf").toString());
        assertEquals(Main.EXIT_BAD_FILE, missing.status());
        assertTrue(missing.err().contains("none.elf: cannot read"), missing.err());
        assertEquals(1, missing.err().lines().count());
        String text = elf("text.elf", "just some text, long enough to look like a header......".getBytes());
        assertEquals("emulate: " + text + ": not an ELF file (no \\x7fELF magic)\n", run(text).err());
        String high = elf("high.elf", new ElfBuilder().code(0).paddr(0x90000000L).build());
        Run r = run("--ram", "16", high);
        assertEquals(Main.EXIT_BAD_FILE, r.status());
        assertEquals("emulate: " + high + ": segment at 0x90000000 (0x4 bytes) does not fit in RAM [0x80000000, 0x81000000)\n", r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--interp", "--jit"})
    void theInstructionLimitEndsTheRunWith124(String engine) throws IOException {
        String loop = elf("loop.elf", new ElfBuilder().code(Asm.j(0, 0)).build());
        Run r = run(engine, "--max-insns", "100000", loop);
        assertEquals(124, r.status());
        assertEquals("emulate: stopped after 100000 instructions (--max-insns 100000) at pc 0x80000000\n", r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--interp", "--jit"})
    void aTrapWithoutHandlerExits125(String engine) throws IOException {
        String bad = elf("bad.elf", new ElfBuilder().code(new Asm().addi(5, 0, 1).word(0).words()).build());
        Run r = run(engine, "--memory", "raw", bad);
        assertEquals(125, r.status());
        assertEquals("emulate: illegal instruction at pc 0x80000004 (mtval 0x0) with no trap handler installed (mtvec never written)\n",
                r.err());
    }

    @Test
    void htifTohostExitsWithThePayloadAndShowsInTheMtree() throws IOException {
        int tohost = 0x80001000;
        Asm a = new Asm().li(5, tohost).li(6, (42 << 1) | 1).sw(6, 5, 0);
        String f = elf("htif.elf", new ElfBuilder().code(a.words()).tohost(Integer.toUnsignedLong(tohost)).build());
        assertEquals(42, run("emulate", f).status());
        Run m = run("--mtree", f);
        assertEquals(0, m.status());
        assertTrue(m.out().contains("0000000080001000-0000000080001007 (prio 1, i/o): riscv.htif.uart\n"), m.out());
    }

    @Test
    void statsGoToStderrAndUartToStdout() throws IOException {
        Asm a = new Asm().li(5, 0x10000000).li(6, 'A').sb(6, 5, 0).exit(3);
        String f = elf("hello.elf", new ElfBuilder().code(a.words()).build());
        Run r = run("--stats", "--interp", f);
        assertEquals(3, r.status());
        assertEquals("A", r.uart());
        assertTrue(r.err().startsWith("emulate: 9 instructions in "), r.err()); // the exiting store does not retire
        assertTrue(r.err().contains("MIPS (interp, memory guestmem)"), r.err());
        assertTrue(r.err().contains("TLB: "), r.err());
        Run j = run("--stats", "--memory", "raw", f);
        assertTrue(j.err().contains("(jit, memory raw)"), j.err());
        assertTrue(j.err().contains("jit: 0 translations compiled"), j.err());
    }
}
