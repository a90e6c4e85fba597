package org.guestmem.mtree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How {@code info mtree} texts are compared when QEMU's block order (hash order) must not
 * matter. {@link #views} normalises {@code info mtree -f} exactly as
 * QEMU's block order requires (blocks keyed by their address spaces); {@link #blocks} splits {@code info mtree} into
 * its blank-line-separated blocks.
 */
public final class MtreeText {
    private static final Pattern RANGE = Pattern.compile("^  [0-9a-f]{16}-[0-9a-f]{16} .*");

    private MtreeText() {
    }

    /** One address space as the oracle script sees it: its name, its view's root text and range lines. */
    public record AsView(String addressSpace, String root, List<String> ranges) {
    }

    /** The oracle script's {@code views()}: a multiset of every AS of every view, with its root text and range lines. */
    public static Map<AsView, Integer> views(String text) {
        Map<AsView, Integer> out = new HashMap<>();
        List<String> ases = new ArrayList<>();
        String root = null;
        List<String> lines = new ArrayList<>();
        for (String raw : text.split("\n", -1)) {
            String line = raw.stripTrailing();
            if (line.startsWith("FlatView #")) {
                flush(out, ases, root, lines);
                ases = new ArrayList<>();
                root = null;
                lines = new ArrayList<>();
            } else if (line.startsWith(" AS \"") && line.contains("\", root: ")) {
                ases.add(line.substring(5, line.indexOf("\", root: ")));
            } else if (line.startsWith(" Root memory region: ")) {
                root = line.substring(" Root memory region: ".length());
            } else if (RANGE.matcher(line).matches()) {
                lines.add(line);
            }
        }
        flush(out, ases, root, lines);
        return out;
    }

    private static void flush(Map<AsView, Integer> out, List<String> ases, String root, List<String> lines) {
        for (String as : ases) {
            out.merge(new AsView(as, root, List.copyOf(lines)), 1, Integer::sum);
        }
    }

    /** Blank-line-separated blocks, as a multiset. */
    public static Map<String, Integer> blocks(String text) {
        Map<String, Integer> out = new TreeMap<>();
        StringBuilder cur = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) {
                if (!cur.isEmpty()) {
                    out.merge(cur.toString(), 1, Integer::sum);
                    cur.setLength(0);
                }
            } else {
                cur.append(line).append('\n');
            }
        }
        if (!cur.isEmpty()) {
            out.merge(cur.toString(), 1, Integer::sum);
        }
        return out;
    }

    /** {@return a readable difference of two {@link #views} multisets (empty if equal)} */
    public static String diffViews(Map<AsView, Integer> want, Map<AsView, Integer> got) {
        StringBuilder sb = new StringBuilder();
        want.forEach((v, n) -> {
            if (!n.equals(got.get(v))) {
                sb.append("expected (x").append(n).append(") but missing: AS \"").append(v.addressSpace())
                        .append("\" root ").append(v.root()).append('\n');
                v.ranges().forEach(l -> sb.append("    ").append(l).append('\n'));
                got.keySet().stream().filter(g -> g.addressSpace().equals(v.addressSpace())).forEach(g -> {
                    sb.append("  instead: AS \"").append(g.addressSpace()).append("\" root ").append(g.root()).append('\n');
                    g.ranges().forEach(l -> sb.append("    ").append(l).append('\n'));
                });
            }
        });
        got.forEach((v, n) -> {
            if (!want.containsKey(v) && want.keySet().stream().noneMatch(w -> w.addressSpace().equals(v.addressSpace()))) {
                sb.append("unexpected AS \"").append(v.addressSpace()).append("\"\n");
            }
        });
        return sb.toString();
    }

    /** {@return a readable difference of two {@link #blocks} multisets (empty if equal)} */
    public static String diffBlocks(Map<String, Integer> want, Map<String, Integer> got) {
        StringBuilder sb = new StringBuilder();
        want.forEach((b, n) -> {
            if (!n.equals(got.get(b))) {
                sb.append("--- expected block (x").append(n).append(", got x").append(got.getOrDefault(b, 0))
                        .append("):\n").append(b);
            }
        });
        got.forEach((b, n) -> {
            if (!want.containsKey(b)) {
                sb.append("+++ unexpected block (x").append(n).append("):\n").append(b);
            }
        });
        return sb.toString();
    }
}
