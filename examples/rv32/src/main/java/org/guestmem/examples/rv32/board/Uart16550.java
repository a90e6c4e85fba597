package org.guestmem.examples.rv32.board;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.guestmem.Endianness;
import org.guestmem.MemoryRegionOps;

/**
 * The ns16550a UART of QEMU's {@code virt} board ({@code hw/char/serial.c}, {@code serial_mm_ops}:
 * any access of 1 to 8 aligned bytes reaches one byte register). Transmit only: a byte written to
 * THR goes to the output at once, so LSR always reads THRE | TEMT (0x60). Nothing is ever
 * received; the other registers read what QEMU's read at reset (IIR 0x01, MCR 0x08, MSR 0xb0,
 * divisor 0x0c) and keep what the guest writes to them. No interrupts are delivered.
 */
public final class Uart16550 {
    private static final int LCR_DLAB = 0x80;
    private static final int IER_THRI = 0x02;
    private static final int FCR_FE = 0x01;
    private static final int MCR_LOOP = 0x10;

    private final OutputStream out;
    private final boolean flushLines;
    private int ier;
    private int lcr;
    private int mcr = 0x08; // OUT2, QEMU's reset value
    private int fcr;
    private int scr;
    private int divider = 0x0c;
    private boolean thrInterruptPending;

    /** A UART writing to {@code out}, flushed at every newline if {@code flushLines}. */
    public Uart16550(OutputStream out, boolean flushLines) {
        this.out = out;
        this.flushLines = flushLines;
    }

    /** {@return the ops: little-endian, valid and implemented sizes 1 to 8, aligned} */
    public MemoryRegionOps ops() {
        return MemoryRegionOps.builder()
                .read((addr, size) -> read((int) addr & 7))
                .write((addr, value, size) -> write((int) addr & 7, (int) value & 0xff))
                .endianness(Endianness.LITTLE)
                .valid(1, 8, false)
                .impl(1, 8, false)
                .build();
    }

    /** {@return the register at {@code reg} (0 to 7), as QEMU's {@code serial_ioport_read}} */
    public int read(int reg) {
        return switch (reg) {
            case 0 -> (lcr & LCR_DLAB) != 0 ? divider & 0xff : 0; // RBR: nothing received
            case 1 -> (lcr & LCR_DLAB) != 0 ? (divider >>> 8) & 0xff : ier;
            case 2 -> readIir();
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> 0x60; // LSR: THRE | TEMT, no data
            case 6 -> (mcr & MCR_LOOP) != 0 ? ((mcr & 0x0c) << 4) | ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) : 0xb0;
            default -> scr;
        };
    }

    private int readIir() {
        int fifo = (fcr & FCR_FE) != 0 ? 0xc0 : 0;
        if ((ier & IER_THRI) != 0 && thrInterruptPending) {
            thrInterruptPending = false; // reading IIR acknowledges THRE
            return fifo | 0x02;
        }
        return fifo | 0x01;
    }

    /** Writes the register at {@code reg}, as QEMU's {@code serial_ioport_write}. */
    public void write(int reg, int value) {
        switch (reg) {
            case 0 -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divider = (divider & 0xff00) | value;
                } else {
                    transmit(value);
                    thrInterruptPending = true; // sent at once: THR is empty again
                }
            }
            case 1 -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divider = (divider & 0x00ff) | (value << 8);
                } else {
                    ier = value & 0x0f;
                    thrInterruptPending = true;
                }
            }
            case 2 -> fcr = value & 0xc9;
            case 3 -> lcr = value;
            case 4 -> mcr = value & 0x1f;
            case 7 -> scr = value;
            default -> { } // LSR and MSR are read-only
        }
    }

    private void transmit(int b) {
        if ((mcr & MCR_LOOP) != 0) {
            return; // loopback: QEMU receives it, this UART has no receiver
        }
        try {
            out.write(b);
            if (flushLines && b == '\n') {
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
