package org.guestmem.examples.rv32.cpu;

import java.util.function.LongSupplier;

/**
 * The machine-mode CSRs this hart implements: {@code mstatus} (MIE, MPIE; MPP reads as M),
 * {@code misa} (RV32IM, read-only), {@code mie}, {@code mtvec}, {@code mscratch}, {@code mepc},
 * {@code mcause}, {@code mtval}, {@code mhartid} (0), and the read-only counters {@code cycle},
 * {@code time}, {@code instret} with their high halves. Any other number is an unknown CSR: the
 * instruction raises an illegal-instruction exception, as does a write to a read-only CSR.
 */
public final class Csrs {
    /** {@code mstatus.MIE}. */
    public static final int MSTATUS_MIE = 1 << 3;
    /** {@code mstatus.MPIE}. */
    public static final int MSTATUS_MPIE = 1 << 7;
    /** {@code mstatus.MPP}: always M (3), the only privilege mode. */
    public static final int MSTATUS_MPP = 3 << 11;
    /** {@code misa}: MXL = 1 (32-bit), extensions I and M. */
    public static final int MISA = (1 << 30) | (1 << ('I' - 'A')) | (1 << ('M' - 'A'));
    private static final int MIE_WRITABLE = (1 << 3) | (1 << 7) | (1 << 11);

    /** CSR numbers. */
    public static final int MSTATUS = 0x300, MISA_CSR = 0x301, MIE = 0x304, MTVEC = 0x305, MSCRATCH = 0x340,
            MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, MHARTID = 0xF14, CYCLE = 0xC00, TIME = 0xC01,
            INSTRET = 0xC02, CYCLEH = 0xC80, TIMEH = 0xC81, INSTRETH = 0xC82;

    private final Cpu cpu;
    private final LongSupplier mtime;
    private int mstatus;
    private int mie;
    private int mtvec;
    private boolean mtvecWritten;
    private int mscratch;
    private int mepc;
    private int mcause;
    private int mtval;

    Csrs(Cpu cpu, LongSupplier mtime) {
        this.cpu = cpu;
        this.mtime = mtime;
    }

    /** {@return whether {@code csr} exists here} */
    public static boolean exists(int csr) {
        return switch (csr) {
            case MSTATUS, MISA_CSR, MIE, MTVEC, MSCRATCH, MEPC, MCAUSE, MTVAL, MHARTID, CYCLE, TIME, INSTRET, CYCLEH,
                 TIMEH, INSTRETH -> true;
            default -> false;
        };
    }

    /** {@return whether writing {@code csr} is an illegal instruction (bits 11:10 are 11)} */
    public static boolean readOnly(int csr) {
        return (csr >>> 10) == 3;
    }

    /** {@return the value of existing CSR {@code csr}} */
    public int read(int csr) {
        return switch (csr) {
            case MSTATUS -> mstatus | MSTATUS_MPP;
            case MISA_CSR -> MISA;
            case MIE -> mie;
            case MTVEC -> mtvec;
            case MSCRATCH -> mscratch;
            case MEPC -> mepc;
            case MCAUSE -> mcause;
            case MTVAL -> mtval;
            case MHARTID -> 0;
            case CYCLE, INSTRET -> (int) cpu.instret;
            case CYCLEH, INSTRETH -> (int) (cpu.instret >>> 32);
            case TIME -> (int) mtime.getAsLong();
            case TIMEH -> (int) (mtime.getAsLong() >>> 32);
            default -> throw new IllegalArgumentException("no CSR 0x" + Integer.toHexString(csr));
        };
    }

    /** Writes existing, writable CSR {@code csr} (WARL fields keep their legal values). */
    public void write(int csr, int value) {
        switch (csr) {
            case MSTATUS -> mstatus = value & (MSTATUS_MIE | MSTATUS_MPIE);
            case MISA_CSR -> { } // WARL: the extensions cannot be changed
            case MIE -> mie = value & MIE_WRITABLE;
            case MTVEC -> {
                mtvecWritten = true;
                if ((value & 3) < 2) { // QEMU 7.2 ignores reserved modes
                    mtvec = value;
                }
            }
            case MSCRATCH -> mscratch = value;
            case MEPC -> mepc = value & ~3; // IALIGN = 32
            case MCAUSE -> mcause = value;
            case MTVAL -> mtval = value;
            default -> throw new IllegalArgumentException("CSR 0x" + Integer.toHexString(csr) + " is not writable");
        }
    }

    /** {@return whether the guest has written {@code mtvec}, i.e. installed a trap handler} */
    public boolean handlerInstalled() {
        return mtvecWritten;
    }

    int enterTrap(int cause, int tval, int epc) {
        if (!mtvecWritten) {
            throw new UnhandledTrapException(cause, tval, epc);
        }
        mepc = epc;
        mcause = cause;
        mtval = tval;
        int mieBit = mstatus & MSTATUS_MIE;
        mstatus = (mstatus & ~(MSTATUS_MIE | MSTATUS_MPIE)) | (mieBit != 0 ? MSTATUS_MPIE : 0);
        return mtvec & ~3;
    }

    /** {@code mret}: {@code MIE = MPIE}, {@code MPIE = 1}; {@return {@code mepc}, the address to return to} */
    public int mret() {
        int mpie = mstatus & MSTATUS_MPIE;
        mstatus = (mstatus & ~MSTATUS_MIE) | (mpie != 0 ? MSTATUS_MIE : 0) | MSTATUS_MPIE;
        return mepc;
    }
}
