/**
 * How the CPU reaches memory: {@link org.guestmem.examples.rv32.mem.MemoryBackend} for the
 * interpreter and {@link org.guestmem.examples.rv32.mem.AccessEmitter} for the JIT, implemented
 * over guestmem ({@link org.guestmem.examples.rv32.mem.GuestmemMemory}, the only class that calls
 * guestmem's access API) and over one raw {@code MemorySegment}
 * ({@link org.guestmem.examples.rv32.mem.RawMemory}).
 */
package org.guestmem.examples.rv32.mem;
