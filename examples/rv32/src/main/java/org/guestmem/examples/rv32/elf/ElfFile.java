package org.guestmem.examples.rv32.elf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * An ELF32 little-endian RISC-V executable: its entry point, its {@code PT_LOAD} segments and its
 * symbol table (for {@code tohost}). Segments are loaded at their physical addresses, as QEMU's
 * {@code load_elf} does for {@code -kernel}.
 */
public final class ElfFile {
    private static final int PT_LOAD = 1;
    private static final int SHT_SYMTAB = 2;
    private static final int EM_RISCV = 243;
    private static final int ET_EXEC = 2;

    private final byte[] bytes;
    private final int entry;
    private final List<ElfSegment> segments;
    private final ByteBuffer b;

    private ElfFile(byte[] bytes) throws ElfException {
        this.bytes = bytes;
        this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 52 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
            throw new ElfException("not an ELF file (no \\x7fELF magic)");
        }
        if (bytes[4] != 1) {
            throw new ElfException("not a 32-bit ELF file (EI_CLASS " + bytes[4] + "; this machine is RV32)");
        }
        if (bytes[5] != 1) {
            throw new ElfException("not a little-endian ELF file (EI_DATA " + bytes[5] + ")");
        }
        int machine = u16(18);
        if (machine != EM_RISCV) {
            throw new ElfException("not a RISC-V ELF file (e_machine " + machine + ", RISC-V is " + EM_RISCV + ")");
        }
        int type = u16(16);
        if (type != ET_EXEC) {
            throw new ElfException("not an executable ELF file (e_type " + type + ", executables are " + ET_EXEC + ")");
        }
        this.entry = b.getInt(24);
        long phoff = u32(28);
        int phentsize = u16(42);
        int phnum = u16(44);
        if (phnum > 0 && (phentsize < 32 || phoff + (long) phnum * phentsize > bytes.length)) {
            throw new ElfException("program headers (" + phnum + " at offset 0x" + Long.toHexString(phoff) + ") lie outside the file");
        }
        List<ElfSegment> list = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int h = (int) (phoff + (long) i * phentsize);
            if (b.getInt(h) != PT_LOAD) {
                continue;
            }
            ElfSegment s = new ElfSegment(u32(h + 4), u32(h + 12), u32(h + 16), u32(h + 20));
            if (s.fileSize() > s.memSize()) {
                throw new ElfException("segment " + i + " has p_filesz 0x" + Long.toHexString(s.fileSize())
                        + " larger than p_memsz 0x" + Long.toHexString(s.memSize()));
            }
            if (s.offset() + s.fileSize() > bytes.length) {
                throw new ElfException("segment " + i + " (offset 0x" + Long.toHexString(s.offset()) + ", 0x"
                        + Long.toHexString(s.fileSize()) + " bytes) lies outside the file");
            }
            list.add(s);
        }
        if (list.isEmpty()) {
            throw new ElfException("no PT_LOAD segment");
        }
        this.segments = List.copyOf(list);
    }

    /** {@return the parsed file} */
    public static ElfFile parse(byte[] bytes) throws ElfException {
        return new ElfFile(bytes.clone());
    }

    /**
     * {@return the parsed file at {@code path}}
     *
     * @throws ElfException if it cannot be read or is not an ELF32 RISC-V executable
     */
    public static ElfFile read(Path path) throws ElfException {
        try {
            return new ElfFile(Files.readAllBytes(path));
        } catch (IOException e) {
            throw new ElfException("cannot read: " + e.getMessage());
        }
    }

    private int u16(int off) {
        return b.getShort(off) & 0xffff;
    }

    private long u32(int off) {
        return b.getInt(off) & 0xffffffffL;
    }

    /** {@return the entry point} */
    public int entry() {
        return entry;
    }

    /** {@return the {@code PT_LOAD} segments, in file order} */
    public List<ElfSegment> segments() {
        return segments;
    }

    /**
     * Copies every segment into {@code ram}, which holds guest physical addresses
     * {@code [ramBase, ramBase + ram.byteSize())}, and zero-fills up to each segment's memory size.
     * Checks every segment before writing anything.
     *
     * @throws ElfException if a segment does not fit in RAM; then nothing was written
     */
    public void load(MemorySegment ram, long ramBase) throws ElfException {
        long ramEnd = ramBase + ram.byteSize();
        for (ElfSegment s : segments) {
            if (s.paddr() < ramBase || s.paddr() + s.memSize() > ramEnd) {
                throw new ElfException(String.format("segment at 0x%x (0x%x bytes) does not fit in RAM [0x%x, 0x%x)",
                        s.paddr(), s.memSize(), ramBase, ramEnd));
            }
        }
        for (ElfSegment s : segments) {
            long at = s.paddr() - ramBase;
            MemorySegment.copy(MemorySegment.ofArray(bytes), s.offset(), ram, at, s.fileSize());
            ram.asSlice(at + s.fileSize(), s.memSize() - s.fileSize()).fill((byte) 0);
        }
    }

    /** {@return the value of the symbol {@code name} in the symbol table, if there is one} */
    public OptionalLong symbol(String name) {
        long shoff = u32(32);
        int shentsize = u16(46);
        int shnum = u16(48);
        if (shoff == 0 || shentsize < 40 || shoff + (long) shnum * shentsize > bytes.length) {
            return OptionalLong.empty();
        }
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) != SHT_SYMTAB) {
                continue;
            }
            long off = u32(sh + 16);
            long size = u32(sh + 20);
            int link = b.getInt(sh + 24);
            long entsize = u32(sh + 36);
            if (link < 0 || link >= shnum || entsize < 16 || off + size > bytes.length) {
                continue;
            }
            int strSh = (int) (shoff + (long) link * shentsize);
            long strOff = u32(strSh + 16);
            long strSize = u32(strSh + 20);
            for (long e = off; e + 16 <= off + size; e += entsize) {
                long nameOff = u32((int) e);
                if (nameOff < strSize && name.equals(cString(strOff + nameOff, strOff + strSize))) {
                    return OptionalLong.of(u32((int) e + 4));
                }
            }
        }
        return OptionalLong.empty();
    }

    private String cString(long start, long limit) {
        long end = start;
        while (end < limit && end < bytes.length && bytes[(int) end] != 0) {
            end++;
        }
        return new String(bytes, (int) start, (int) (end - start), StandardCharsets.US_ASCII);
    }
}
