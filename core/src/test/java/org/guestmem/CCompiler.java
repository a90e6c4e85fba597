package org.guestmem;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The host's C compiler for the tests that compile the generated header: found on PATH, run with a time limit. */
public final class CCompiler {
    private CCompiler() {
    }

    /** {@return the path of {@code $CC}, {@code cc} or {@code gcc}, the first on PATH, or null if none is} */
    public static String find() throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        String env = System.getenv("CC");
        if (env != null && !env.isBlank()) {
            names.add(env.trim());
        }
        names.addAll(List.of("cc", "gcc"));
        for (String name : names) {
            Process p = new ProcessBuilder("sh", "-c", "command -v \"$0\"", name).redirectErrorStream(true).start();
            String path;
            try (InputStream in = p.getInputStream()) {
                path = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (p.waitFor() == 0 && !path.isEmpty()) {
                return path;
            }
        }
        return null;
    }

    /** Runs {@code cmd}; fails the test with its output if it exits non-zero or takes over two minutes. */
    public static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed:\n" + out);
        }
    }
}
