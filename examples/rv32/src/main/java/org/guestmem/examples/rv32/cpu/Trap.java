package org.guestmem.examples.rv32.cpu;

/** The exception causes ({@code mcause} values) this machine raises, from the RISC-V privileged spec. */
public final class Trap {
    /** A jump or taken branch to an address that is not 4-byte aligned (no C extension). */
    public static final int INSN_ADDRESS_MISALIGNED = 0;
    /** Instruction fetch answered a {@code MemTxResult} error. */
    public static final int INSN_ACCESS_FAULT = 1;
    /** An undefined instruction, an unknown CSR or a write to a read-only CSR. */
    public static final int ILLEGAL_INSTRUCTION = 2;
    /** {@code ebreak}. */
    public static final int BREAKPOINT = 3;
    /** A load answered a {@code MemTxResult} error. */
    public static final int LOAD_ACCESS_FAULT = 5;
    /** A store answered a {@code MemTxResult} error. */
    public static final int STORE_ACCESS_FAULT = 7;
    /** {@code ecall} from machine mode. */
    public static final int ECALL_M = 11;

    private Trap() {
    }

    /** {@return a short name for {@code cause}} */
    public static String name(int cause) {
        return switch (cause) {
            case INSN_ADDRESS_MISALIGNED -> "instruction address misaligned";
            case INSN_ACCESS_FAULT -> "instruction access fault";
            case ILLEGAL_INSTRUCTION -> "illegal instruction";
            case BREAKPOINT -> "breakpoint";
            case LOAD_ACCESS_FAULT -> "load access fault";
            case STORE_ACCESS_FAULT -> "store access fault";
            case ECALL_M -> "environment call from M-mode";
            default -> "cause " + cause;
        };
    }
}
