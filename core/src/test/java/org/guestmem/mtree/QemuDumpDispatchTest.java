package org.guestmem.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.guestmem.AddressSpace;
import org.guestmem.AddressSpaceAccessor;
import org.guestmem.FlatRange;
import org.guestmem.FlatView;
import org.guestmem.GuestMemory;
import org.guestmem.Translation;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ten QEMU 7.2 machines of the test resources' {@code qemu-oracle}:
 * imported from their {@code info mtree -D} dumps, every flat range of every address space is
 * probed at its first, last and a middle byte through {@code translate}, on {@link AddressSpace}
 * and on an {@link AddressSpaceAccessor}; and the {@code info mtree -f -d} dispatch dump that
 * guestmem prints from its native tables must equal QEMU's, block by block.
 *
 * <p>Dispatch comparison: the dump is split into blank-line separated blocks (one per FlatView),
 * the {@code FlatView #N} number is dropped and {@code " [MRU]"} is masked (both depend on QEMU's
 * hash order and on the lookups made before the dump, spec 9.5 and 9.7), the {@code AS} lines of a
 * block are sorted (they follow the creation order of the address spaces, which an
 * {@code info mtree} dump does not carry, so the import cannot reproduce it); the blocks are then
 * compared as multisets. One known difference is handled explicitly: QEMU labels IOMMU sections
 * {@code " [iommu]"}, and the ppc64 machine has three ({@code tce-iommu-*}). An {@code info mtree}
 * dump cannot say that a region is an IOMMU (it prints {@code i/o}), so the importer makes them
 * ordinary MMIO stubs and guestmem prints no label. For ppc64 the label is removed from QEMU's
 * text, after checking that exactly those three section lines carried it; everything else of
 * those blocks (sections, nodes) must still match.
 */
class QemuDumpDispatchTest {
    static final String[] MACHINES = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"};

    static Path oracle(String name) {
        URL url = QemuDumpDispatchTest.class.getResource("/qemu-oracle/" + name);
        if (url == null) {
            throw new AssertionError("test resource qemu-oracle/" + name + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"})
    void everyFlatRangeShouldTranslateAtItsFirstMiddleAndLastByte(String machine) {
        try (ImportedMachine m = MtreeImporter.importFile(oracle(machine + ".mtree.txt"));
             RcuReader reader = m.system().rcu().register()) {
            List<AddressSpace> spaces = m.addressSpaces();
            assertFalse(spaces.isEmpty());
            int probes = 0;
            List<String> bad = new ArrayList<>();
            for (AddressSpace as : spaces) {
                AddressSpaceAccessor acc = as.accessor(reader);
                FlatView view = as.currentView();
                for (FlatRange r : view.ranges()) {
                    long[] addrs = {r.start(), r.start() + ((r.last() - r.start()) >>> 1), r.last()};
                    for (long a : addrs) {
                        for (GuestMemory g : List.<GuestMemory>of(as, acc)) {
                            Translation t;
                            if (g == acc) {
                                reader.enter();
                                try {
                                    t = g.translate(a, 1, false);
                                } finally {
                                    reader.exit();
                                }
                            } else {
                                t = g.translate(a, 1, false);
                            }
                            probes++;
                            if (t.section().region() != r.region() || t.offsetInRegion() != r.offsetOf(a)) {
                                bad.add(as.name() + " " + g.getClass().getSimpleName() + " translate(0x" + Long.toHexString(a) + "): want "
                                        + r.region().name() + " @0x" + Long.toHexString(r.offsetOf(a)) + ", got "
                                        + (t.section().region() == null ? "(unassigned)" : t.section().region().name()) + " @0x"
                                        + Long.toHexString(t.offsetInRegion()));
                            }
                            if (t.section().region() == r.region()) {
                                // the section lies within the range it was cut from
                                assertTrue(r.contains(t.section().offsetWithinAddressSpace())
                                        && r.contains(t.section().offsetWithinAddressSpace() + t.section().sizeMinusOne()), machine + " section inside its range");
                                assertEquals(r.readonly(), t.section().readonly(), machine + " readonly of " + r);
                            }
                        }
                    }
                }
            }
            if (!bad.isEmpty()) {
                fail(machine + ": " + bad.size() + " of " + probes + " probes differ:\n" + String.join("\n", bad.subList(0, Math.min(20, bad.size()))));
            }
            assertTrue(probes > 0);
        }
    }

    /** Splits a dump into blocks, drops FlatView numbers and masks [MRU]; counts each block. */
    static Map<String, Integer> dispatchBlocks(String text) {
        Map<String, Integer> out = new TreeMap<>();
        for (String block : text.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            List<String> lines = new ArrayList<>(block.strip().replace(" [MRU]", "").lines().toList());
            lines.set(0, lines.get(0).replaceFirst("^FlatView #\\d+$", "FlatView"));
            // the AS lines follow the order the address spaces were created in, which a dump does not carry
            int firstAs = 1;
            int endAs = firstAs;
            while (endAs < lines.size() && lines.get(endAs).startsWith(" AS \"")) {
                endAs++;
            }
            lines.subList(firstAs, endAs).sort(null);
            out.merge(String.join("\n", lines) + "\n", 1, Integer::sum);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"aarch64-virt", "m68k-virt", "mips-malta", "ppc64-pseries", "riscv64-virt",
            "s390x-s390-ccw-virtio", "sh4-r2d", "x86_64-pc", "x86_64-pc+4G", "x86_64-q35+devices"})
    void dispatchDumpShouldEqualQemusBlockByBlock(String machine) throws IOException {
        String qemu = Files.readString(oracle(machine + ".dispatch.txt"));
        if (machine.equals("ppc64-pseries")) {
            List<String> labelled = qemu.lines().filter(l -> l.endsWith(" [iommu]")).toList();
            assertEquals(List.of(
                    "      #1 @0000000000000000..000000003fffffff tce-iommu-80000000 [not dirty] [iommu]",
                    "      #1 @0000000000000000..000000000fffffff tce-iommu-71000002 [not dirty] [iommu]",
                    "      #1 @0000000000000000..000000000fffffff tce-iommu-71000001 [not dirty] [iommu]"), labelled,
                    "the only [iommu] labels are the three TCE IOMMUs, which an mtree dump cannot reveal as IOMMUs");
            qemu = qemu.replace(" [iommu]\n", "\n");
        } else {
            assertFalse(qemu.contains("[iommu]"), machine + " has no IOMMU section");
        }
        String ours;
        try (ImportedMachine m = MtreeImporter.importFile(oracle(machine + ".mtree.txt"))) {
            ours = MtreePrinter.flat(m.system(), true);
        }
        assertFalse(ours.contains("[MRU]"), "guestmem keeps no MRU section");
        Map<String, Integer> want = dispatchBlocks(qemu);
        Map<String, Integer> got = dispatchBlocks(ours);
        if (!want.equals(got)) {
            StringBuilder sb = new StringBuilder(machine + ": dispatch blocks differ from QEMU's\n");
            for (Map.Entry<String, Integer> e : want.entrySet()) {
                if (!e.getValue().equals(got.get(e.getKey()))) {
                    sb.append("--- QEMU has ").append(e.getValue()).append(" x, guestmem ").append(got.getOrDefault(e.getKey(), 0))
                            .append(" x:\n").append(e.getKey());
                }
            }
            for (Map.Entry<String, Integer> e : got.entrySet()) {
                if (!want.containsKey(e.getKey())) {
                    sb.append("+++ only guestmem (").append(e.getValue()).append(" x):\n").append(e.getKey());
                }
            }
            fail(sb.toString());
        }
        assertEquals(want.size(), got.size());
    }
}
