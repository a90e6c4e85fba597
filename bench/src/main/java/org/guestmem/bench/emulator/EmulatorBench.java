package org.guestmem.bench.emulator;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.guestmem.bench.run.BenchMain;
import org.guestmem.bench.run.Json;

/**
 * {@code ./guestmem bench --emulator}: the end-to-end benchmark of the RV32 example
 * ({@code examples/rv32}). Builds the guest programs at a benchmark scale, runs each on every
 * variant (interpreter and JIT x guestmem and raw memory), each variant in a JVM of its own that
 * runs the program several times on a fresh machine ({@link EmulatorRun}: the first run is
 * warm-up, the others are measured), times {@code qemu-system-riscv32} on the same ELF where it
 * exists, and writes the table, JSON and a chart of MIPS per program and variant.
 */
public final class EmulatorBench {
    static final String USAGE = """
            usage: ./guestmem bench --emulator [--quick] [--runs N] [--scale N] [--programs A,B,...] [--no-qemu] [--out DIR]
              --quick       the programs at scale 1, 3 runs per variant (about a minute)
              --runs N      runs per variant and JVM, the first of them warm-up (default 3)
              --scale N     the guest programs' work factor (make SCALE=N; default 8)
              --programs    which programs (default: the compute programs, smcbench and smcbench-nopatch)
              --no-qemu     do not time qemu-system-riscv32
              --out DIR     where to write (default: bench-results/ at the repository root); the files go to DIR/emulator/
            """;

    private EmulatorBench() {
    }

    /**
     * Runs the benchmark with the arguments after {@code --emulator}; {@return the exit status: 0,
     * 1 when a program failed to build or run, 2 for a bad command line}
     */
    public static int run(String[] argv, PrintStream out) throws IOException, InterruptedException {
        try {
            return run(Settings.parse(argv), out);
        } catch (Settings.BadArgument e) {
            out.println("guestmem bench --emulator: " + e.getMessage());
            out.print(USAGE);
            return 2;
        }
    }

    /** The command line. */
    private record Settings(int runs, int scale, boolean qemu, List<String> programs, Path outDir, boolean help) {
        static final class BadArgument extends IllegalArgumentException {
            BadArgument(String message) {
                super(message);
            }
        }

        static Settings parse(String[] argv) {
            int runs = 3;
            int scale = 8;
            boolean help = false;
            boolean qemu = true;
            List<String> programs = new ArrayList<>(EmulatorResults.COMPUTE);
            programs.add(EmulatorResults.PATCHING);
            programs.add(EmulatorResults.UNPATCHED);
            Path outDir = Path.of(System.getProperty("guestmem.bench.out", "bench-results"));
            for (int i = 0; i < argv.length; i++) {
                switch (argv[i]) {
                    case "--quick" -> {
                        runs = 3;
                        scale = 1;
                    }
                    case "--runs" -> runs = positive(argv, ++i);
                    case "--scale" -> scale = positive(argv, ++i);
                    case "--programs" -> programs = List.of(value(argv, ++i).split(","));
                    case "--no-qemu" -> qemu = false;
                    case "--out" -> outDir = Path.of(value(argv, ++i));
                    case "help", "--help" -> help = true;
                    default -> throw new BadArgument("unknown option '" + argv[i] + "'");
                }
            }
            return new Settings(runs, scale, qemu, programs, outDir, help);
        }
    }

    private static int run(Settings s, PrintStream out) throws IOException, InterruptedException {
        if (s.help()) {
            out.print(USAGE);
            return 0;
        }
        int runs = s.runs();
        int scale = s.scale();
        boolean qemu = s.qemu();
        List<String> programs = s.programs();
        Path outDir = s.outDir();
        Path root = Path.of(System.getProperty("guestmem.root", "."));
        Path guests = root.resolve("examples/rv32/guests");
        Path elfDir = root.resolve("examples/rv32/target").resolve(scale == 1 ? "guests" : "guests-scale" + scale);
        out.println("guestmem bench --emulator: building the guest programs (make SCALE=" + scale + ")");
        if (exec(List.of("make", "-s", "-C", guests.toString(), "SCALE=" + scale), null, 600) != 0) {
            out.println("guestmem bench --emulator: make failed (needs riscv64-unknown-elf-gcc: apt-get install gcc-riscv64-unknown-elf)");
            return 1;
        }
        qemu = qemu && exec(List.of("sh", "-c", "command -v qemu-system-riscv32"), null, 10) == 0;
        String loadBefore = BenchMain.loadAverage();
        out.printf(Locale.ROOT, "  %d programs x %d variants, %d runs each (the first warm-up)%s; load average %s%n",
                programs.size(), EmulatorResults.VARIANTS.size(), runs, qemu ? ", and QEMU" : ", no QEMU", loadBefore);
        EmulatorResults results = new EmulatorResults();
        long t0 = System.nanoTime();
        for (String prog : programs) {
            Path elf = elfDir.resolve(prog + ".elf");
            if (!Files.isRegularFile(elf)) {
                throw new IllegalArgumentException("no guest program " + elf);
            }
            Map<String, double[]> mips = new LinkedHashMap<>();
            long insns = -1;
            for (String v : EmulatorResults.VARIANTS) {
                List<long[]> r = variant(v, runs, elf);
                for (long[] run : r) {
                    if (insns >= 0 && run[0] != insns) {
                        throw new IllegalStateException(prog + " on " + v + " retired " + run[0] + " instructions, another run " + insns);
                    }
                    insns = run[0];
                }
                List<long[]> measured = r.size() > 1 ? r.subList(1, r.size()) : r;
                mips.put(v, measured.stream().mapToDouble(x -> x[0] / (double) x[1]).toArray());
                out.printf(Locale.ROOT, "  %-17s %-15s %8.1f MIPS  (runs: %s)%n", prog, v, EmulatorResults.median(mips.get(v)),
                        Arrays.stream(mips.get(v)).mapToObj(x -> String.format(Locale.ROOT, "%.1f", x)).toList());
            }
            double[] qemuSeconds = qemu ? qemu(elf, Math.max(1, runs - 1)) : new double[0];
            results.add(new EmulatorResults.Program(prog, insns, mips, qemuSeconds));
        }
        double minutes = (System.nanoTime() - t0) / 60e9;
        String table = results.table();
        out.println();
        out.print(table);
        Path dir = outDir.resolve("emulator");
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("date", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(ZonedDateTime.now()));
        json.put("machine", BenchMain.machine());
        json.put("loadAverageBefore", loadBefore);
        json.put("loadAverageAfter", BenchMain.loadAverage());
        json.put("scale", (double) scale);
        json.put("runs", (double) runs);
        json.putAll(results.toJson());
        Files.writeString(dir.resolve("results.json"), Json.write(json));
        Files.writeString(dir.resolve("table.txt"), table);
        List<Path> charts = EmulatorChart.write(results, dir);
        out.printf(Locale.ROOT, "%.1f minutes; load average before %s, after %s%nwrote %s, %s and %s%n", minutes, loadBefore,
                BenchMain.loadAverage(), dir.resolve("results.json"), dir.resolve("table.txt"), charts);
        return 0;
    }

    /** Runs {@code variant} in a JVM of its own; {@return per run: instructions, microseconds} */
    private static List<long[]> variant(String variant, int runs, Path elf) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String[] ev = variant.split("/");
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                EmulatorRun.class.getName(), "--" + ev[0], ev[1], String.valueOf(runs), elf.toString());
        Path log = Files.createTempFile("emulator-run", ".txt");
        try {
            if (exec(cmd, log, 1800) != 0) {
                throw new IllegalStateException(elf.getFileName() + " on " + variant + " failed: " + Files.readString(log));
            }
            List<long[]> r = new ArrayList<>();
            for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                String[] f = l.split(" ");
                if (f[0].equals("run")) {
                    r.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]) / 1000});
                }
            }
            return r;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** {@return QEMU's wall time, in seconds, of {@code n} runs of {@code elf}} */
    private static double[] qemu(Path elf, int n) throws IOException, InterruptedException {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            int status = exec(List.of("qemu-system-riscv32", "-M", "virt", "-bios", "none", "-nographic", "-kernel", elf.toString()), null, 600);
            s[i] = (System.nanoTime() - t) / 1e9;
            if (status != 0) {
                throw new IllegalStateException("qemu-system-riscv32 on " + elf + " exited with " + status);
            }
        }
        return s;
    }

    /** Runs {@code cmd} (output to {@code log}, or discarded), waiting at most {@code seconds}; {@return its exit status} */
    private static int exec(List<String> cmd, Path log, long seconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        if (log != null) {
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT);
        }
        Process p = pb.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + ": no answer in " + seconds + " s");
        }
        return p.exitValue();
    }

    private static String value(String[] a, int i) {
        if (i >= a.length) {
            throw new Settings.BadArgument(a[i - 1] + " needs a value");
        }
        return a[i];
    }

    private static int positive(String[] a, int i) {
        String v = value(a, i);
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Settings.BadArgument(a[i - 1] + " needs a positive number, not '" + v + "'");
    }
}
