package org.guestmem.cli;

import java.io.PrintStream;

/** {@code guestmem demo}: placeholder replaced below. */
final class Demo {
    private Demo() {
    }

    static int run(PrintStream out) {
        out.println("demo");
        return 0;
    }
}
