package org.guestmem.examples.rv32.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.OptionalLong;
import org.guestmem.examples.rv32.testing.ElfBuilder;
import org.junit.jupiter.api.Test;

class ElfFileTest {
    private static final long RAM = 0x80000000L;

    private static String error(byte[] bytes) {
        return assertThrows(ElfException.class, () -> ElfFile.parse(bytes)).getMessage();
    }

    @Test
    void rejectsWhatIsNotAnRv32Executable() {
        assertTrue(error("hello world, this is not an ELF file at all, not even close".getBytes()).contains("no \\x7fELF magic"));
        assertTrue(error(new ElfBuilder().code(1).elfClass(2).build()).contains("not a 32-bit ELF file (EI_CLASS 2"));
        assertTrue(error(new ElfBuilder().code(1).data(2).build()).contains("not a little-endian ELF file (EI_DATA 2)"));
        assertTrue(error(new ElfBuilder().code(1).machine(62).build()).contains("not a RISC-V ELF file (e_machine 62"));
        assertTrue(error(new ElfBuilder().code(1).type(3).build()).contains("not an executable ELF file (e_type 3"));
        assertTrue(error(new ElfBuilder().code(1).memSize(2).build()).contains("larger than p_memsz 0x2"));
        byte[] truncated = Arrays.copyOf(new ElfBuilder().code(1, 2, 3).build(), 90);
        assertTrue(error(truncated).contains("lies outside the file"), error(truncated));
        assertTrue(error(Arrays.copyOf(new ElfBuilder().code(1).build(), 60)).contains("program headers"));
    }

    @Test
    void loadsSegmentsAndZeroFillsTheirTail() throws ElfException {
        ElfFile f = ElfFile.parse(new ElfBuilder().code(0x11223344, 0x55667788).paddr(RAM + 0x100).memSize(16).entry(0x80000104).build());
        assertEquals(0x80000104, f.entry());
        MemorySegment ram = Arena.ofAuto().allocate(4096);
        ram.fill((byte) 0xee);
        f.load(ram, RAM);
        ValueLayout.OfInt le = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x11223344, ram.get(le, 0x100));
        assertEquals(0x55667788, ram.get(le, 0x104));
        assertEquals(0, ram.get(le, 0x108));
        assertEquals(0, ram.get(le, 0x10c));
        assertEquals(0xeeeeeeee, ram.get(le, 0x110));
        assertEquals(0xeeeeeeee, ram.get(le, 0xfc));
    }

    @Test
    void aSegmentOutsideRamIsRefusedAndNothingIsWritten() throws ElfException {
        MemorySegment ram = Arena.ofAuto().allocate(4096);
        ElfFile below = ElfFile.parse(new ElfBuilder().code(1).paddr(0x7ffffffcL).build());
        String m = assertThrows(ElfException.class, () -> below.load(ram, RAM)).getMessage();
        assertEquals("segment at 0x7ffffffc (0x4 bytes) does not fit in RAM [0x80000000, 0x80001000)", m);
        ElfFile past = ElfFile.parse(new ElfBuilder().code(7, 7).paddr(RAM + 4092).build());
        assertThrows(ElfException.class, () -> past.load(ram, RAM));
        assertEquals(0, ram.get(ValueLayout.JAVA_INT, 4092), "nothing written");
    }

    @Test
    void findsTheTohostSymbol() throws ElfException {
        assertEquals(OptionalLong.of(0x80001000L), ElfFile.parse(new ElfBuilder().code(1).tohost(0x80001000L).build()).symbol("tohost"));
        assertEquals(OptionalLong.empty(), ElfFile.parse(new ElfBuilder().code(1).tohost(0x80001000L).build()).symbol("fromhost"));
        assertEquals(OptionalLong.empty(), ElfFile.parse(new ElfBuilder().code(1).build()).symbol("tohost"));
    }
}
