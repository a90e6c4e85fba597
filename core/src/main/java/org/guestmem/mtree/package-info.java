/**
 * QEMU's {@code info mtree} output: printing a {@link org.guestmem.MemorySystem} in the exact
 * formats of QEMU 7.2 ({@link org.guestmem.mtree.MtreePrinter}) and reading QEMU's
 * {@code info mtree -D} dumps back into regions ({@link org.guestmem.mtree.MtreeImporter}).
 */
package org.guestmem.mtree;
