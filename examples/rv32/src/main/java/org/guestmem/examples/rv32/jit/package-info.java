/**
 * The JIT: the dispatcher ({@link org.guestmem.examples.rv32.jit.JitEngine}), region selection,
 * the bytecode compiler ({@code java.lang.classfile}, hidden classes) and the bounded code cache
 * that drops translations whose guest code was overwritten. Not exported.
 */
package org.guestmem.examples.rv32.jit;
