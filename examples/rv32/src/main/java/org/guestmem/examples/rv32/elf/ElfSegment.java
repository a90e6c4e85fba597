package org.guestmem.examples.rv32.elf;

/**
 * A {@code PT_LOAD} program header: {@code fileSize} bytes at {@code offset} in the file go to
 * physical address {@code paddr}, followed by zeros up to {@code memSize}. Addresses are unsigned
 * 32-bit values held in {@code long}s.
 */
public record ElfSegment(long offset, long paddr, long fileSize, long memSize) {
}
