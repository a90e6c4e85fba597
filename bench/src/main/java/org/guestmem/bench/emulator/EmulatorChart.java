package org.guestmem.bench.emulator;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/** The emulator benchmark's chart: guest MIPS per program, one bar per variant and QEMU. */
public final class EmulatorChart {
    private EmulatorChart() {
    }

    /** {@return the chart of {@code results}} */
    public static CategoryChart draw(EmulatorResults results) {
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(640)
                .title("RV32 emulator: guest MIPS per program (median run; QEMU: instructions / wall time)")
                .xAxisTitle("program").yAxisTitle("guest MIPS").build();
        CategoryStyler st = chart.getStyler();
        st.setYAxisDecimalPattern("#,###");
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xdd, 0xdd, 0xdd));
        st.setAntiAlias(true);
        List<String> names = results.programs().stream().map(EmulatorResults.Program::program).toList();
        for (String v : EmulatorResults.VARIANTS) {
            chart.addSeries(v, names, values(results, p -> p.median(v)));
        }
        if (results.programs().stream().anyMatch(p -> p.qemuSeconds().length > 0)) {
            chart.addSeries("qemu-system-riscv32", names, values(results, EmulatorResults.Program::qemuMips));
        }
        return chart;
    }

    private static List<Double> values(EmulatorResults r, java.util.function.ToDoubleFunction<EmulatorResults.Program> f) {
        List<Double> out = new ArrayList<>();
        for (EmulatorResults.Program p : r.programs()) {
            double v = f.applyAsDouble(p);
            out.add(Double.isFinite(v) ? v : 0.0);
        }
        return out;
    }

    /** Writes {@code chart-emulator.png} and {@code chart-emulator.svg} into {@code dir}; {@return the files} */
    public static List<Path> write(EmulatorResults results, Path dir) throws IOException {
        CategoryChart chart = draw(results);
        Path base = dir.resolve("chart-emulator");
        BitmapEncoder.saveBitmap(chart, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(chart, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return List.of(dir.resolve("chart-emulator.png"), dir.resolve("chart-emulator.svg"));
    }
}
