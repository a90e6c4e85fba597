package org.guestmem.bench.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Number formatting and plain-text tables for the runner's reports. */
final class Fmt {
    private Fmt() {
    }

    /** {@return {@code v} with three significant digits, thousands separated: 0.512, 51.2, 5,120, 12,281,273} */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "∞" : "-∞";
        }
        double a = Math.abs(v);
        if (a >= 100 || a == 0) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        int decimals = Math.min(12, 2 - (int) Math.floor(Math.log10(a)));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** {@return {@code v} as a signed percentage: +8.6%, -12%} */
    static String percent(double v) {
        double p = v * 100;
        return String.format(Locale.ROOT, Math.abs(p) < 10 ? "%+.1f%%" : "%+.0f%%", p);
    }

    /** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
    static final class Table {
        private final String[] head;
        private final boolean[] right;
        private final List<String[]> rows = new ArrayList<>();

        Table(String[] head, boolean[] right) {
            this.head = head;
            this.right = right;
        }

        void add(String... cells) {
            rows.add(cells);
        }

        String text() {
            int[] w = new int[head.length];
            for (int c = 0; c < head.length; c++) {
                w[c] = head[c].length();
                for (String[] r : rows) {
                    w[c] = Math.max(w[c], r[c].length());
                }
            }
            StringBuilder b = new StringBuilder();
            line(b, head, w);
            for (String[] r : rows) {
                line(b, r, w);
            }
            return b.toString();
        }

        private void line(StringBuilder b, String[] cells, int[] w) {
            StringBuilder l = new StringBuilder();
            for (int c = 0; c < cells.length; c++) {
                String pad = " ".repeat(w[c] - cells[c].length());
                l.append(c == 0 ? "" : "  ").append(right[c] ? pad + cells[c] : cells[c] + pad);
            }
            b.append(l.toString().stripTrailing()).append('\n');
        }

        String markdown() {
            StringBuilder b = new StringBuilder("|");
            for (String h : head) {
                b.append(' ').append(h).append(" |");
            }
            b.append("\n|");
            for (boolean r : right) {
                b.append(r ? "---:|" : "---|");
            }
            b.append('\n');
            for (String[] row : rows) {
                b.append('|');
                for (String cell : row) {
                    b.append(' ').append(cell.replace("|", "\\|")).append(" |");
                }
                b.append('\n');
            }
            return b.toString();
        }
    }
}
