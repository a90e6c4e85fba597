/**
 * A reference RV32IM emulator on guestmem: QEMU's {@code virt} board (RAM, ns16550a UART, SiFive
 * test device, ACLINT timer, HTIF) built from guestmem regions, an interpreter and a JIT that
 * compiles guest code to JVM bytecode with {@code java.lang.classfile}. It uses only guestmem's
 * exported API; it is the example a user copies, not part of the library.
 *
 * <p>{@code org.guestmem.examples.rv32} holds the command line and {@code Machine}; the CPU, the
 * memory backends, the board and the ELF loader are exported for tests and embedders; the JIT's
 * internals ({@code .jit}) are not, except through {@code JitEngine}.
 */
@SuppressWarnings("module") // the name ends in digits on purpose: rv32 is the architecture
module org.guestmem.examples.rv32 {
    requires transitive org.guestmem;

    exports org.guestmem.examples.rv32;
    exports org.guestmem.examples.rv32.board;
    exports org.guestmem.examples.rv32.cpu;
    exports org.guestmem.examples.rv32.elf;
    exports org.guestmem.examples.rv32.mem;
}
