package org.guestmem.examples.rv32.elf;

/** The file is not an ELF32 RISC-V executable this machine can load; the message says why, in one line. */
public final class ElfException extends Exception {
    private static final long serialVersionUID = 1L;

    /** An error described by {@code message}. */
    public ElfException(String message) {
        super(message);
    }
}
