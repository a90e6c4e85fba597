/**
 * The guestmem command line ({@code ./guestmem demo}, {@code ./guestmem mtree}): a client of the
 * library's exported API only. Its packages are not exported: it is an application, not a library.
 */
module org.guestmem.tools {
    requires org.guestmem;
}
