/** The ELF32 loader: PT_LOAD segments at their physical addresses, the {@code tohost} symbol. */
package org.guestmem.examples.rv32.elf;
