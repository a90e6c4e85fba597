package org.guestmem.examples.rv32.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes small ELF32 RISC-V executables for tests: one PT_LOAD segment holding {@code code} at
 * {@code paddr}, an optional {@code tohost} symbol, and knobs to break the header.
 */
public final class ElfBuilder {
    private int[] code = new int[0];
    private long paddr = 0x80000000L;
    private long memSize = -1;
    private int entry = 0x80000000;
    private Long tohost;
    private byte elfClass = 1;
    private byte data = 1;
    private int machine = 243;
    private int type = 2;

    public ElfBuilder code(int... words) { this.code = words.clone(); return this; }
    public ElfBuilder paddr(long value) { this.paddr = value; return this; }
    public ElfBuilder memSize(long value) { this.memSize = value; return this; }
    public ElfBuilder entry(int value) { this.entry = value; return this; }
    public ElfBuilder tohost(long value) { this.tohost = value; return this; }
    public ElfBuilder elfClass(int value) { this.elfClass = (byte) value; return this; }
    public ElfBuilder data(int value) { this.data = (byte) value; return this; }
    public ElfBuilder machine(int value) { this.machine = value; return this; }
    public ElfBuilder type(int value) { this.type = value; return this; }

    public byte[] build() {
        int codeOff = 52 + 32;
        int codeLen = code.length * 4;
        byte[] strtab = "\0tohost\0".getBytes(StandardCharsets.US_ASCII);
        int symOff = codeOff + codeLen;
        int symLen = tohost == null ? 0 : 32; // null symbol + tohost
        int strOff = symOff + symLen;
        int shOff = (strOff + strtab.length + 3) & ~3;
        int shnum = tohost == null ? 0 : 3;
        ByteBuffer b = ByteBuffer.allocate(shOff + shnum * 40).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', elfClass, data, 1});
        b.position(16);
        b.putShort((short) type).putShort((short) machine).putInt(1).putInt(entry).putInt(52).putInt(shnum == 0 ? 0 : shOff)
                .putInt(0).putShort((short) 52).putShort((short) 32).putShort((short) 1).putShort((short) 40)
                .putShort((short) shnum).putShort((short) 0);
        b.putInt(1).putInt(codeOff).putInt((int) paddr).putInt((int) paddr).putInt(codeLen)
                .putInt((int) (memSize < 0 ? codeLen : memSize)).putInt(7).putInt(4);
        for (int w : code) {
            b.putInt(w);
        }
        if (tohost != null) {
            b.position(symOff);
            b.put(new byte[16]);
            b.putInt(1).putInt((int) (long) tohost).putInt(8).put((byte) 0x11).put((byte) 0).putShort((short) 1);
            b.position(strOff);
            b.put(strtab);
            b.position(shOff + 40); // section 0 is null
            b.putInt(0).putInt(2).putInt(0).putInt(0).putInt(symOff).putInt(symLen).putInt(2).putInt(1).putInt(4).putInt(16);
            b.putInt(0).putInt(3).putInt(0).putInt(0).putInt(strOff).putInt(strtab.length).putInt(0).putInt(0).putInt(1).putInt(0);
        }
        return b.array();
    }
}
