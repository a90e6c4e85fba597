/**
 * The hart: architectural state ({@link org.guestmem.examples.rv32.cpu.Cpu}), CSRs and traps, the
 * decoder, the RV32M arithmetic shared with compiled code ({@link org.guestmem.examples.rv32.cpu.Alu}),
 * and the interpreter. Everything here is confined to the CPU thread.
 */
package org.guestmem.examples.rv32.cpu;
