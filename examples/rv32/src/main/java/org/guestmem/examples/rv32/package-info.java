/**
 * The command line ({@link org.guestmem.examples.rv32.Main}, {@link org.guestmem.examples.rv32.Options})
 * and {@link org.guestmem.examples.rv32.Machine}, which ties the board, a memory backend, the hart
 * and an engine together and runs a program.
 */
package org.guestmem.examples.rv32;
