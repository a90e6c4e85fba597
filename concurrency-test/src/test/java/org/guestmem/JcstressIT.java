package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs this module's jcstress tests from {@code target/jcstress.jar} (built in the package phase)
 * during {@code mvn verify} and fails the build unless every selected test passed.
 *
 * <p>Why a failsafe integration test rather than a bare {@code exec}: jcstress 0.16 signals
 * failure only by letting an {@code AssertionError} ("TEST FAILURES: ...") escape its main
 * method after grading, which does make the JVM exit with 1, but it exits with 0 when it ran
 * nothing (a wrong selector, a test the annotation processor did not register). This test asks the
 * jar for its test list first, then requires the exit code 0 <em>and</em> an {@code [OK]} verdict
 * for every listed test, and prints the aggregated outcome table of each test into the build log.
 *
 * <p>A test fails in jcstress when it observed an outcome marked {@code FORBIDDEN} or one no
 * {@code @Outcome} matches (graded {@code UNKNOWN}), threw, timed out or crashed its VM.
 *
 * <p>jcstress forks its test VMs with the {@code java} of the VM that runs it; this test starts
 * jcstress with the {@code java} of its own VM ({@code java.home}), which failsafe runs on the JDK
 * that runs Maven: JDK 25 under the enforcer's rule.
 *
 * <p>System properties (set by the pom, overridable with {@code -D}): {@code jcstress.jar},
 * {@code jcstress.workDir} (log, result blob and HTML report), {@code jcstress.mode} (preset),
 * {@code jcstress.tests} (regexp), {@code jcstress.extraArgs} (more options, space-separated),
 * {@code jcstress.timeoutMinutes}.
 */
class JcstressIT {
    private static final Pattern VERDICT = Pattern.compile("\\[([A-Z_ -]+)\\]\\s+(org\\.guestmem\\.\\S+)");

    @Test
    void everyConcurrencyTestPasses() throws Exception {
        Path jar = Path.of(System.getProperty("jcstress.jar", "target/jcstress.jar")).toAbsolutePath();
        Path work = Path.of(System.getProperty("jcstress.workDir", "target/jcstress")).toAbsolutePath();
        String mode = System.getProperty("jcstress.mode", "quick");
        String tests = System.getProperty("jcstress.tests", "^org\\.guestmem\\..*");
        String extra = System.getProperty("jcstress.extraArgs", "").strip();
        long timeoutMinutes = Long.getLong("jcstress.timeoutMinutes", 10);
        assertTrue(Files.isRegularFile(jar), "no jcstress jar at " + jar + ": run the package phase first");
        Files.createDirectories(work);

        List<String> base = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", // JNA, which jcstress uses for CPU affinity
                "-jar", jar.toString(),
                "-t", tests));

        List<String> listCmd = new ArrayList<>(base);
        listCmd.add("-l");
        Run listing = run(listCmd, work, work.resolve("jcstress-list.log"), Duration.ofMinutes(2));
        assertEquals(0, listing.exit, "jcstress -l failed:\n" + listing.output);
        List<String> expected = listing.output.lines()
                .map(String::strip)
                .filter(l -> l.matches("org\\.guestmem\\.[\\w.$]+"))
                .toList();
        assertFalse(expected.isEmpty(), "jcstress lists no test matching " + tests + ":\n" + listing.output);

        List<String> runCmd = new ArrayList<>(base);
        // the forks inherit this VM's --enable-native-access
        runCmd.addAll(List.of("-m", mode, "-v", "-r", work.resolve("report").toString()));
        if (!extra.isEmpty()) {
            runCmd.addAll(Arrays.asList(extra.split("\\s+")));
        }
        System.out.println("jcstress: " + String.join(" ", runCmd));
        long t0 = System.nanoTime();
        Run result = run(runCmd, work, work.resolve("jcstress.log"), Duration.ofMinutes(timeoutMinutes));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);

        String report = finalReport(result.output);
        System.out.println("jcstress finished in " + seconds + " s with exit code " + result.exit
                + " (full log: " + work.resolve("jcstress.log") + ", HTML: " + work.resolve("report/index.html") + ")");
        System.out.println(report);

        TreeMap<String, String> verdicts = new TreeMap<>();
        Matcher m = VERDICT.matcher(report);
        while (m.find()) {
            verdicts.merge(m.group(2), m.group(1).strip(), (a, b) -> a.equals("OK") ? b : a);
        }
        assertFalse(result.output.contains("FATAL"), "jcstress reported a fatal error:\n" + report);
        List<String> notOk = verdicts.entrySet().stream()
                .filter(e -> !e.getValue().equals("OK"))
                .map(e -> e.getValue() + " " + e.getKey())
                .toList();
        assertTrue(notOk.isEmpty(), "jcstress tests did not pass: " + notOk + "\n" + report);
        assertEquals(0, result.exit, "jcstress exited with " + result.exit + " (failures, errors or timeouts):\n" + report);
        List<String> missing = expected.stream().filter(t -> !verdicts.containsKey(t)).toList();
        assertTrue(missing.isEmpty(), "jcstress did not report on " + missing + "\n" + report);
    }

    /**
     * The part after "RUN RESULTS:", without the per-configuration details and the forks' error
     * streams: one verdict line and one table of outcomes per test.
     */
    private static String finalReport(String output) {
        int i = output.indexOf("RUN RESULTS:");
        if (i < 0) {
            return output.lines().skip(Math.max(0, output.lines().count() - 60)).reduce("", (a, b) -> a + b + "\n");
        }
        StringBuilder sb = new StringBuilder();
        boolean inTable = false;
        for (String line : output.substring(i).lines().toList()) {
            String s = line.strip();
            if (VERDICT.matcher(line).find() || s.startsWith("RUN RESULTS") || s.endsWith("tests: No matches.")
                    || s.matches(".*tests: \\d+ matching test results\\.?")) {
                sb.append(line).append('\n');
                inTable = false;
            } else if (s.startsWith("Results across all configurations") || s.startsWith("RESULT ")) {
                inTable = true;
            } else if (inTable && s.isEmpty()) {
                inTable = false;
            } else if (inTable) {
                sb.append(line).append('\n');
            } else if (s.startsWith("Exception in thread") || s.contains("had failed") || s.contains("had timed out")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    private record Run(int exit, String output) {
    }

    private static Run run(List<String> cmd, Path dir, Path log, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
            fail("jcstress did not finish within " + timeout + "; log: " + log);
        }
        // jcstress redraws its progress line with carriage returns
        String out = Files.readString(log, StandardCharsets.UTF_8).replace('\r', '\n');
        return new Run(p.exitValue(), out);
    }
}
