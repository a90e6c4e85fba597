package org.guestmem.bench.emulator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one run of the emulator benchmark measured: per guest program, the guest MIPS of every
 * variant (engine x memory backend) and QEMU's wall time, and the ratios the targets are about.
 */
public final class EmulatorResults {
    /** The variants, in table order: engine/memory. */
    public static final List<String> VARIANTS = List.of("interp/guestmem", "interp/raw", "jit/guestmem", "jit/raw");
    /** The programs the geometric means run over: the compute programs. */
    public static final List<String> COMPUTE = List.of("memcpy", "sieve", "sort", "hash", "list", "matmul", "crc");
    /** The program that patches its own code every 1,000 instructions, and its twin that does not. */
    public static final String PATCHING = "smcbench";
    /** The patching program's twin without the patches. */
    public static final String UNPATCHED = "smcbench-nopatch";

    /**
     * One program's numbers.
     *
     * @param program      its name
     * @param instructions guest instructions per run
     * @param mips         per variant, the guest MIPS of each measured run
     * @param qemuSeconds  QEMU's wall time of each run (empty without QEMU)
     */
    public record Program(String program, long instructions, Map<String, double[]> mips, double[] qemuSeconds) {
        /** {@return the median MIPS of {@code variant}, NaN if it was not measured} */
        public double median(String variant) {
            double[] m = mips.get(variant);
            return m == null ? Double.NaN : EmulatorResults.median(m);
        }

        /** {@return QEMU's median wall time in seconds, NaN without QEMU} */
        public double qemuMedian() {
            return EmulatorResults.median(qemuSeconds);
        }

        /** {@return guest instructions per QEMU wall-clock microsecond (start-up included), NaN without QEMU} */
        public double qemuMips() {
            return instructions / qemuMedian() / 1e6;
        }
    }

    private final List<Program> programs = new ArrayList<>();

    /** Adds a program's numbers. */
    public void add(Program p) {
        programs.add(p);
    }

    /** {@return the programs, in the order measured} */
    public List<Program> programs() {
        return programs;
    }

    /** {@return the median of {@code v}, NaN if empty} */
    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * {@return the geometric mean over the compute programs measured of {@code a}'s median MIPS
     * divided by {@code b}'s; NaN if none has both}
     */
    public double geomean(String a, String b) {
        double logSum = 0;
        int n = 0;
        for (Program p : programs) {
            double r = p.median(a) / p.median(b);
            if (COMPUTE.contains(p.program()) && Double.isFinite(r) && r > 0) {
                logSum += Math.log(r);
                n++;
            }
        }
        return n == 0 ? Double.NaN : Math.exp(logSum / n);
    }

    /** {@return the patching program's median MIPS on {@code variant} over its unpatched twin's; NaN if one is missing} */
    public double patchingRatio(String variant) {
        Program patched = find(PATCHING);
        Program plain = find(UNPATCHED);
        return patched == null || plain == null ? Double.NaN : patched.median(variant) / plain.median(variant);
    }

    private Program find(String name) {
        return programs.stream().filter(p -> p.program().equals(name)).findFirst().orElse(null);
    }

    /**
     * The targets: name, measured value, the least value that meets it.
     *
     * @param name     what is compared
     * @param value    the measured ratio
     * @param atLeast  the target
     */
    public record Target(String name, double value, double atLeast) {
        /** {@return whether the value meets the target} */
        public boolean met() {
            return value >= atLeast;
        }
    }

    /** {@return the targets with their measured values} */
    public List<Target> targets() {
        return List.of(
                new Target("JIT on guestmem / JIT on raw memory (geometric mean)", geomean("jit/guestmem", "jit/raw"), 0.9),
                new Target("JIT / interpreter on guestmem (geometric mean)", geomean("jit/guestmem", "interp/guestmem"), 5),
                new Target("JIT / interpreter on raw memory (geometric mean)", geomean("jit/raw", "interp/raw"), 5),
                new Target(PATCHING + " / " + UNPATCHED + ", JIT on guestmem", patchingRatio("jit/guestmem"), 0.5),
                new Target(PATCHING + " / " + UNPATCHED + ", JIT on raw memory", patchingRatio("jit/raw"), 0.5));
    }

    /** {@return the table: one line per program, MIPS per variant, QEMU, the per-program ratios; then the targets} */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-17s %12s", "program", "instructions"));
        for (String v : VARIANTS) {
            b.append(String.format(Locale.ROOT, " %15s", v));
        }
        b.append(String.format(Locale.ROOT, " %10s %10s %13s %13s%n", "qemu s", "qemu MIPS", "jit gm/raw", "jit/interp gm"));
        for (Program p : programs) {
            b.append(String.format(Locale.ROOT, "%-17s %12d", p.program(), p.instructions()));
            for (String v : VARIANTS) {
                b.append(String.format(Locale.ROOT, " %15.1f", p.median(v)));
            }
            b.append(String.format(Locale.ROOT, " %10.3f %10.1f %13.2f %13.2f%n", p.qemuMedian(), p.qemuMips(),
                    p.median("jit/guestmem") / p.median("jit/raw"), p.median("jit/guestmem") / p.median("interp/guestmem")));
        }
        b.append("(guest MIPS, median of the measured runs; QEMU: median wall time of qemu-system-riscv32, start-up included)\n");
        for (Target t : targets()) {
            b.append(String.format(Locale.ROOT, "%-58s %6.2f  (target >= %s: %s)%n", t.name(), t.value(),
                    t.atLeast() == Math.rint(t.atLeast()) ? String.valueOf((int) t.atLeast()) : String.valueOf(t.atLeast()),
                    Double.isNaN(t.value()) ? "not measured" : t.met() ? "met" : "NOT met"));
        }
        return b.toString();
    }

    /** {@return the results as a JSON-ready map (insertion-ordered)} */
    public Map<String, Object> toJson() {
        List<Object> list = new ArrayList<>();
        for (Program p : programs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("program", p.program());
            m.put("instructions", (double) p.instructions());
            Map<String, Object> vs = new LinkedHashMap<>();
            for (String v : VARIANTS) {
                double[] runs = p.mips().get(v);
                if (runs != null) {
                    vs.put(v, Map.of("medianMips", p.median(v), "mips", Arrays.stream(runs).boxed().toList()));
                }
            }
            m.put("variants", vs);
            m.put("qemuSeconds", Arrays.stream(p.qemuSeconds()).boxed().toList());
            list.add(m);
        }
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (Target t : targets()) {
            ratios.put(t.name(), t.value());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("programs", list);
        out.put("ratios", ratios);
        return out;
    }
}
