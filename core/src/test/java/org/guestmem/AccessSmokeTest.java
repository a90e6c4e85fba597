package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.Test;

class AccessSmokeTest {
    @Test
    void shouldReadWriteRamAndMmioThroughBothPaths() {
        try (MemorySystem sys = MemorySystem.create()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            RamRegion ram = sys.ram("ram", 0x10000);
            MmioRegion dev = sys.mmio("dev", 0x400, MemoryRegionOps.builder()
                    .read((a, s) -> 0x11223344L).endianness(Endianness.BIG).build());
            root.addSubregion(ram, 0x1000_0000L);
            root.addSubregion(dev, 0x1000_0800L);
            AddressSpace as = sys.addressSpace("memory", root);
            assertEquals(MemTxResult.OK, as.st64le(0x1000_0008L, 0x0102030405060708L));
            assertEquals(0x0102030405060708L, as.ld64le(0x1000_0008L));
            assertEquals(0x11223344L, as.ld32be(0x1000_0800L));
            assertEquals(0x44332211L, as.ld32le(0x1000_0800L));
            try (RcuReader r = sys.rcu().register()) {
                AddressSpaceAccessor acc = as.accessor(r);
                r.enter();
                assertEquals(0x0102030405060708L, acc.ld64le(0x1000_0008L));
                assertEquals(0x0102030405060708L, acc.ld64le(0x1000_0008L));
                assertEquals(0x44332211L, acc.ld32le(0x1000_0800L));
                acc.st64le(0x1000_0010L, 42);
                assertEquals(42, acc.ld64le(0x1000_0010L));
                assertEquals(0, acc.ld32le(0x2000_0000L));
                assertEquals(MemTxResult.DECODE_ERROR, acc.lastResult());
                r.exit();
                ram.setEnabled(false);
                r.enter();
                assertEquals(0, acc.ld64le(0x1000_0010L));
                assertEquals(MemTxResult.DECODE_ERROR, acc.lastResult());
                r.exit();
            }
        }
    }
}
