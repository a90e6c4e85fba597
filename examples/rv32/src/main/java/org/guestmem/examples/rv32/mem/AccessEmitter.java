package org.guestmem.examples.rv32.mem;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ConstantDesc;

/**
 * A backend's code generator: emits, into a compiled block, the bytecode of one load or store.
 * Each backend decides what an access is (the raw backend: a bounds check and a
 * {@code MemorySegment} access inline; the guestmem backend: a static call the JVM inlines), so
 * switching the guestmem backend to another guestmem API changes one class.
 */
public interface AccessEmitter {
    /** What the compiler offers an emitter: constants the JIT'ed code can load. */
    interface Context {
        /**
         * {@return a constant for {@code value}, loadable with {@code ldc}} The value is handed to
         * the block's hidden class as class data, so the JVM's compiler treats it as a constant.
         */
        ConstantDesc constant(Object value, Class<?> type);
    }

    /**
     * Emits a load of {@code size} bytes (1, 2 or 4) from the address in int local {@code addr}.
     * Falls through with the value on the stack (sign- or zero-extended to 32 bits as
     * {@code signed} says), or jumps to {@code fault} with an empty stack if the access failed.
     */
    void load(CodeBuilder cb, Context ctx, int size, boolean signed, int addr, Label fault);

    /**
     * Emits a store of the low {@code size} bytes of int local {@code value} to the address in int
     * local {@code addr}. Falls through when the status is 0; otherwise stores the
     * {@link MemoryBackend} status in int local {@code status} and jumps to {@code nonZero}.
     */
    void store(CodeBuilder cb, Context ctx, int size, int addr, int value, int status, Label nonZero);
}
