package org.guestmem.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code guestmem emulate} reaches the RV32 example's command line with its exit statuses. */
class EmulateCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /**
     * An ELF32 RISC-V executable of five instructions at 0x80000000 that writes
     * {@code (7 << 16) | 0x3333} to the SiFive test device: exit status 7.
     */
    private static byte[] exitSeven() {
        int[] code = {
            0x001002B7, // lui  t0, 0x100        (the SiFive test device)
            0x00073337, // lui  t1, 0x73
            0x33330313, // addi t1, t1, 0x333    (7 << 16 | 0x3333)
            0x0062A023, // sw   t1, 0(t0)
            0x0000006F, // j    .
        };
        ByteBuffer b = ByteBuffer.allocate(52 + 32 + 4 * code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        b.putShort((short) 2).putShort((short) 0xF3).putInt(1).putInt(0x80000000).putInt(52).putInt(0)
                .putInt(0).putShort((short) 52).putShort((short) 32).putShort((short) 1)
                .putShort((short) 40).putShort((short) 0).putShort((short) 0);
        b.putInt(1).putInt(84).putInt(0x80000000).putInt(0x80000000).putInt(4 * code.length)
                .putInt(4 * code.length).putInt(5).putInt(4);
        for (int c : code) {
            b.putInt(c);
        }
        return b.array();
    }

    @Test
    void runsTheGuestAndReturnsItsExitStatusOnEveryEngine(@TempDir Path dir) throws IOException {
        Path elf = Files.write(dir.resolve("exit7.elf"), exitSeven());
        assertEquals(7, run("emulate", "--interp", elf.toString()), err.toString());
        assertEquals(7, run("emulate", "--jit", "--memory", "raw", elf.toString()), err.toString());
        assertEquals("", err.toString());
    }

    @Test
    void mtreePrintsTheBoard(@TempDir Path dir) throws IOException {
        Path elf = Files.write(dir.resolve("exit7.elf"), exitSeven());
        assertEquals(0, run("emulate", "--mtree", "--ram", "16", elf.toString()), err.toString());
        String mtree = out.toString(StandardCharsets.UTF_8);
        assertTrue(mtree.contains("0000000080000000-0000000080ffffff"), mtree);
        assertTrue(mtree.contains("serial"), mtree);
    }

    @Test
    void badCommandLineAndBadFileHaveTheExamplesStatuses(@TempDir Path dir) throws IOException {
        assertEquals(64, run("emulate"));
        assertTrue(err.toString().startsWith("emulate: "), err.toString());
        err.reset();
        Path notElf = Files.writeString(dir.resolve("x.elf"), "not an elf");
        assertEquals(65, run("emulate", notElf.toString()));
        assertTrue(err.toString().contains(notElf.toString()), err.toString());
    }

    @Test
    void usageNamesTheCommand() {
        assertEquals(0, run("help"));
        assertTrue(out.toString().contains("emulate [--jit|--interp]"), out.toString());
    }
}
