package org.guestmem.examples.rv32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every guest program in {@code guests/} on the interpreter and the JIT, over guestmem and raw
 * memory, and on {@code qemu-system-riscv32} where it is installed: stdout and exit status must be
 * what {@code guests/expected/} recorded from QEMU 7.2. Builds the programs once with
 * {@code make}; skipped with a message where Debian's {@code gcc-riscv64-unknown-elf} is missing.
 */
class GuestProgramsTest {
    private static final Path GUESTS = Path.of("guests");
    private static final Path BUILT = Path.of("target/guests");
    private static final Properties STATUS = new Properties();

    @BeforeAll
    static void buildTheProgramsOnce() throws IOException, InterruptedException {
        try (var in = Files.newInputStream(GUESTS.resolve("expected/exit-status.properties"))) {
            STATUS.load(in);
        }
        assumeTrue(onPath("riscv64-unknown-elf-gcc"),
                "riscv64-unknown-elf-gcc is not installed (Debian: apt-get install gcc-riscv64-unknown-elf): guest programs not built");
        Process make = new ProcessBuilder("make", "-s", "-C", GUESTS.toString()).redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, make.waitFor(), "make failed:\n" + log);
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    static List<String> programs() {
        try (Stream<Path> s = Files.list(GUESTS.resolve("expected"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".out")).map(n -> n.substring(0, n.length() - 4))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> variants() {
        List<Arguments> list = new ArrayList<>();
        for (String p : programs()) {
            for (String engine : new String[] {"--interp", "--jit"}) {
                for (String memory : new String[] {"guestmem", "raw"}) {
                    list.add(Arguments.of(p, engine, memory));
                }
            }
        }
        return list.stream();
    }

    private static String expected(String program) throws IOException {
        return Files.readString(GUESTS.resolve("expected/" + program + ".out"), StandardCharsets.ISO_8859_1);
    }

    private static int expectedStatus(String program) {
        return Integer.parseInt(STATUS.getProperty(program));
    }

    @ParameterizedTest(name = "{0} {1} --memory {2}")
    @MethodSource("variants")
    void runsLikeQemu(String program, String engine, String memory) throws IOException {
        ByteArrayOutputStream uart = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String elf = BUILT.resolve(program + ".elf").toString();
        int status = Main.run(new String[] {engine, "--memory", memory, "--max-insns", "2000000000", elf}, uart, false,
                new PrintStream(java.io.OutputStream.nullOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(expected(program), uart.toString(StandardCharsets.ISO_8859_1), "UART output; stderr: " + err);
        assertEquals(expectedStatus(program), status, "exit status; stderr: " + err);
    }

    @ParameterizedTest(name = "{0} on qemu-system-riscv32")
    @MethodSource("programs")
    void qemuStillAgreesWithTheRecordedOutput(String program) throws IOException, InterruptedException {
        assumeTrue(onPath("qemu-system-riscv32"),
                "qemu-system-riscv32 is not installed (Debian: apt-get install qemu-system-misc): not compared with QEMU");
        Process q = new ProcessBuilder("qemu-system-riscv32", "-M", "virt", "-bios", "none", "-nographic", "-kernel",
                BUILT.resolve(program + ".elf").toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = q.getInputStream().readAllBytes();
        boolean done = q.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            q.destroyForcibly();
        }
        assertTrue(done, program + " did not finish on QEMU within 120 s");
        assertEquals(expected(program), new String(out, StandardCharsets.ISO_8859_1));
        assertEquals(expectedStatus(program), q.exitValue());
    }
}
