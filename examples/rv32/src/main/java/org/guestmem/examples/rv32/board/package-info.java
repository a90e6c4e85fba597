/**
 * QEMU's {@code virt} board: the device models, each a guestmem
 * {@link org.guestmem.MemoryRegionOps}, where they sit ({@link org.guestmem.examples.rv32.board.VirtBoard}),
 * and the board as guestmem regions ({@link org.guestmem.examples.rv32.board.GuestmemBoard}).
 */
package org.guestmem.examples.rv32.board;
