/**
 * Every native structure guestmem shares with native code, described once: {@code StructLayout}s
 * with named members, their {@code VarHandle}s, offsets and sizes, and the generator of the C
 * header {@code guestmem_layout.h} that native code (a native JIT among them) compiles against.
 * Depends on {@code java.base} only.
 */
module org.guestmem.layout {
    exports org.guestmem.layout;
}
