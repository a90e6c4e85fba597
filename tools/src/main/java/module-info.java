/**
 * The guestmem command line ({@code ./guestmem demo}, {@code ./guestmem mtree},
 * {@code ./guestmem emulate}): a client of the library's exported API only; {@code emulate} is the
 * RV32 example's command line. Its packages are not exported: it is an application, not a library.
 */
module org.guestmem.tools {
    requires org.guestmem;
    requires org.guestmem.examples.rv32;
}
