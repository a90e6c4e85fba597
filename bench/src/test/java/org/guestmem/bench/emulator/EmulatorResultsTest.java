package org.guestmem.bench.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.bench.run.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmulatorResultsTest {
    private static EmulatorResults.Program program(String name, double interpGm, double interpRaw, double jitGm, double jitRaw,
                                                   double... qemu) {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put("interp/guestmem", new double[] {interpGm, interpGm * 2, interpGm / 2});
        m.put("interp/raw", new double[] {interpRaw});
        m.put("jit/guestmem", new double[] {jitGm});
        m.put("jit/raw", new double[] {jitRaw, jitRaw});
        return new EmulatorResults.Program(name, 1_000_000, m, qemu);
    }

    @Test
    void mediansAndGeometricMeansOverTheComputeProgramsOnly() {
        EmulatorResults r = new EmulatorResults();
        r.add(program("sieve", 10, 20, 90, 100));
        r.add(program("sort", 10, 20, 40, 100));
        r.add(program("smcbench", 1, 1, 1, 1000)); // not a compute program: outside the means
        assertEquals(10, r.programs().getFirst().median("interp/guestmem"), 1e-9);
        assertEquals(Math.sqrt(0.9 * 0.4), r.geomean("jit/guestmem", "jit/raw"), 1e-9);
        assertEquals(Math.sqrt(9 * 4), r.geomean("jit/guestmem", "interp/guestmem"), 1e-9);
        assertTrue(Double.isNaN(r.patchingRatio("jit/guestmem")), "no unpatched twin measured");
    }

    @Test
    void targetsSayWhetherTheyAreMet() {
        EmulatorResults r = new EmulatorResults();
        r.add(program("crc", 10, 10, 95, 100));
        r.add(program(EmulatorResults.PATCHING, 10, 10, 40, 50));
        r.add(program(EmulatorResults.UNPATCHED, 10, 10, 100, 100));
        List<EmulatorResults.Target> t = r.targets();
        assertTrue(t.get(0).met(), t.get(0).toString());      // 0.95 >= 0.9
        assertTrue(t.get(1).met(), t.get(1).toString());      // 9.5 >= 5
        assertFalse(t.get(3).met(), t.get(3).toString());     // 0.4 < 0.5
        assertEquals(0.5, t.get(4).value(), 1e-9);
        String table = r.table();
        assertTrue(table.contains("NOT met"), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("crc ")), table);
    }

    @Test
    void jsonAndChartAreWritten(@TempDir Path dir) throws Exception {
        EmulatorResults r = new EmulatorResults();
        r.add(program("list", 10, 20, 90, 100, 0.5, 0.7));
        Map<String, Object> json = Json.object(Json.parse(Json.write(r.toJson())));
        Map<String, Object> list = Json.object(Json.array(json.get("programs")).getFirst());
        assertEquals("list", list.get("program"));
        assertEquals(2, Json.array(list.get("qemuSeconds")).size());
        assertEquals(0.6, r.programs().getFirst().qemuMedian(), 1e-9);
        for (Path p : EmulatorChart.write(r, dir)) {
            assertTrue(Files.size(p) > 1000, p.toString());
        }
    }
}
