package org.guestmem.bench.run;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Charts of latency against region count, drawn with XChart: one chart per benchmark class whose
 * benchmarks have a {@code regions} parameter (one per {@code stream} value where there is one),
 * one series per benchmark and remaining parameters, log-log axes. guestmem's series are solid,
 * its baselines' (benchmarks that declare no gated {@code @Baseline}) dashed. Each chart is
 * written as PNG and as SVG (XChart draws every glyph as a path, so an SVG weighs some 750 KB).
 */
public final class Charts {
    private Charts() {
    }

    /**
     * One series.
     *
     * @param name      legend text
     * @param regions   x values
     * @param ns        y values
     * @param reference whether it is a baseline (drawn dashed)
     */
    public record Series(String name, double[] regions, double[] ns, boolean reference) {
    }

    /**
     * One chart.
     *
     * @param file   file name without extension
     * @param title  the title
     * @param series its series, each with at least two points
     */
    public record Chart(String file, String title, List<Series> series) {
    }

    /** {@return the charts {@code scores} can fill: series with at least two region counts} */
    public static List<Chart> plan(Scores scores, Baselines baselines) {
        Map<String, String> titles = new LinkedHashMap<>();
        Map<String, Map<String, TreeMap<Double, Double>>> points = new LinkedHashMap<>();
        Map<String, Boolean> reference = new LinkedHashMap<>();
        for (Score s : scores.all()) {
            String regions = s.params().get("regions");
            if (regions == null || !(s.robust() > 0)) {
                continue;
            }
            String shortName = s.shortName();
            String cls = shortName.substring(0, shortName.indexOf('.'));
            String method = shortName.substring(shortName.indexOf('.') + 1);
            String stream = s.params().get("stream");
            String file = "chart-" + cls + (stream == null ? "" : "-" + stream);
            titles.putIfAbsent(file, cls + (stream == null ? "" : " (" + stream + " stream)") + ": ns per operation against regions");
            Map<String, String> rest = new TreeMap<>(s.params());
            rest.remove("regions");
            rest.remove("stream");
            String series = method + (rest.isEmpty() ? "" : " " + Score.paramText(rest));
            boolean ref = baselines.isReference(s.benchmark());
            String legend = series + (ref ? " (baseline)" : "");
            points.computeIfAbsent(file, k -> new LinkedHashMap<>()).computeIfAbsent(legend, k -> new TreeMap<>())
                    .put(Double.parseDouble(regions), s.robust());
            reference.put(file + "/" + legend, ref);
        }
        List<Chart> charts = new ArrayList<>();
        points.forEach((file, bySeries) -> {
            List<Series> series = new ArrayList<>();
            bySeries.forEach((legend, xy) -> {
                if (xy.size() >= 2) {
                    series.add(new Series(legend, xy.keySet().stream().mapToDouble(Double::doubleValue).toArray(),
                            xy.values().stream().mapToDouble(Double::doubleValue).toArray(), reference.get(file + "/" + legend)));
                }
            });
            if (!series.isEmpty()) {
                charts.add(new Chart(file, titles.get(file), series));
            }
        });
        return charts;
    }

    /** {@return the XChart chart for {@code c}} */
    public static XYChart draw(Chart c) {
        XYChart chart = new XYChartBuilder().width(1000).height(640).title(c.title())
                .xAxisTitle("regions").yAxisTitle("ns per operation, median iteration (log)").build();
        XYStyler st = chart.getStyler();
        st.setXAxisLogarithmic(true);
        st.setYAxisLogarithmic(true);
        st.setXAxisDecimalPattern("#,###");
        st.setYAxisDecimalPattern("#,###.##");
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xdd, 0xdd, 0xdd));
        st.setAntiAlias(true);
        for (Series s : c.series()) {
            XYSeries x = chart.addSeries(s.name(), s.regions(), s.ns());
            x.setMarker(s.reference() ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
            x.setLineWidth(s.reference() ? 1.5f : 2.5f);
            if (s.reference()) {
                x.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            }
        }
        return chart;
    }

    /**
     * Writes every chart as {@code file.png} and {@code file.svg} in {@code dir}.
     *
     * @return the files written
     */
    public static List<Path> write(List<Chart> charts, Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Chart c : charts) {
            XYChart chart = draw(c);
            Path base = dir.resolve(c.file());
            BitmapEncoder.saveBitmap(chart, base.toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(chart, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            out.add(dir.resolve(c.file() + ".png"));
            out.add(dir.resolve(c.file() + ".svg"));
        }
        return out;
    }
}
