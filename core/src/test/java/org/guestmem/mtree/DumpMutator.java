package org.guestmem.mtree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Damages an {@code info mtree -D} dump the ways files get damaged or hand-edited: one to three
 * edits chosen by a seeded {@link Random}, each described in words so a failing input can be
 * named. The edits are hex digits flipped (in addresses, which changes sizes and positions, and
 * in alias windows), lines deleted, duplicated and swapped, indentation changed, priorities set
 * to ordinary and to out-of-range values, type words changed, names changed, {@code [disabled]}
 * toggled, alias targets pointed elsewhere (another block, the alias's own name, nowhere), the
 * text cut short and bytes sprinkled in.
 */
final class DumpMutator {
    private static final Pattern REGION = Pattern.compile(
            "^((?:\\[DETECTED OVERFLOW!\\] )?(?:  )+)([0-9a-f]{16})-([0-9a-f]{16}) \\(prio (-?\\d+), ((?:nv-)?(?:ramd|romd|rom|ram|i/o))\\): (.*)$");
    private static final Pattern ALIAS_TARGET = Pattern.compile("^(alias .*) @(.*) ([0-9a-f]{16})-([0-9a-f]{16})(.*)$");
    private static final String[] TYPES = {"ram", "rom", "romd", "ramd", "i/o", "nv-ram", "nv-i/o"};
    private static final String[] PRIORITIES = {"0", "1", "-1", "2", "1000", "-1500", "4096", "2147483647", "-2147483648",
            "2147483648", "-2147483649", "1099511627776", "99999999999999999999"};

    private DumpMutator() {
    }

    /** A damaged dump and what was done to it. */
    record Mutant(String text, String description) {
    }

    static Mutant mutate(String text, Random rnd) {
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        List<String> done = new ArrayList<>();
        int edits = 1 + (rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(2) : 0);
        for (int e = 0; e < edits; e++) {
            int op = rnd.nextInt(100);
            if (op < 30) {
                done.add(flipHex(lines, rnd));
            } else if (op < 38) {
                int i = rnd.nextInt(lines.size());
                done.add("delete line " + (i + 1));
                lines.remove(i);
            } else if (op < 44) {
                int i = rnd.nextInt(lines.size());
                done.add("duplicate line " + (i + 1));
                lines.add(i, lines.get(i));
            } else if (op < 50) {
                int i = rnd.nextInt(lines.size());
                int j = rnd.nextBoolean() ? Math.min(lines.size() - 1, i + 1) : rnd.nextInt(lines.size());
                done.add("swap lines " + (i + 1) + " and " + (j + 1));
                String t = lines.get(i);
                lines.set(i, lines.get(j));
                lines.set(j, t);
            } else if (op < 56) {
                done.add(indent(lines, rnd));
            } else if (op < 66) {
                done.add(field(lines, rnd, 4, PRIORITIES[rnd.nextInt(PRIORITIES.length)], "priority"));
            } else if (op < 74) {
                done.add(field(lines, rnd, 5, TYPES[rnd.nextInt(TYPES.length)], "type"));
            } else if (op < 80) {
                done.add(rename(lines, rnd));
            } else if (op < 84) {
                done.add(toggleDisabled(lines, rnd));
            } else if (op < 94) {
                done.add(retarget(lines, rnd));
            } else if (op < 97) {
                String joined = String.join("\n", lines);
                int at = rnd.nextInt(joined.length() + 1);
                lines = new ArrayList<>(Arrays.asList(joined.substring(0, at).split("\n", -1)));
                done.add("cut after " + at + " characters");
            } else {
                int i = rnd.nextInt(lines.size());
                String l = lines.get(i);
                int at = rnd.nextInt(l.length() + 1);
                char c = (char) rnd.nextInt(256);
                lines.set(i, l.substring(0, at) + c + l.substring(at));
                done.add(String.format("insert character 0x%02x in line %d", (int) c, i + 1));
            }
        }
        return new Mutant(String.join("\n", lines), String.join(", ", done));
    }

    /** Indices of the lines that are region lines. */
    private static List<Integer> regionLines(List<String> lines, boolean aliasesOnly) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = REGION.matcher(lines.get(i));
            if (m.matches() && (!aliasesOnly || ALIAS_TARGET.matcher(m.group(6)).matches())) {
                out.add(i);
            }
        }
        return out;
    }

    private static int pick(List<Integer> candidates, List<String> lines, Random rnd) {
        return candidates.isEmpty() ? rnd.nextInt(lines.size()) : candidates.get(rnd.nextInt(candidates.size()));
    }

    private static String flipHex(List<String> lines, Random rnd) {
        boolean window = rnd.nextInt(4) == 0;
        List<Integer> c = regionLines(lines, window);
        if (c.isEmpty()) {
            return "no line to flip a digit in";
        }
        int i = pick(c, lines, rnd);
        String l = lines.get(i);
        Matcher m = REGION.matcher(l);
        m.matches();
        int from;
        if (window) {
            Matcher a = ALIAS_TARGET.matcher(m.group(6));
            a.matches();
            from = m.start(6) + a.start(rnd.nextBoolean() ? 3 : 4);
        } else {
            from = m.start(rnd.nextBoolean() ? 2 : 3);
        }
        int at = from + rnd.nextInt(16);
        char old = l.charAt(at);
        char now;
        do {
            now = Character.forDigit(rnd.nextInt(16), 16);
        } while (now == old);
        lines.set(i, l.substring(0, at) + now + l.substring(at + 1));
        return "line " + (i + 1) + ": hex digit " + (at - from) + " of " + (window ? "the alias window" : "the range")
                + " " + old + " -> " + now;
    }

    private static String indent(List<String> lines, Random rnd) {
        int i = pick(regionLines(lines, false), lines, rnd);
        int delta = new int[] {-2, -1, 1, 2, 4}[rnd.nextInt(5)];
        String l = lines.get(i);
        if (delta < 0) {
            int n = Math.min(-delta, l.length() - l.stripLeading().length());
            lines.set(i, l.substring(n));
        } else {
            lines.set(i, " ".repeat(delta) + l);
        }
        return "line " + (i + 1) + ": indentation " + (delta > 0 ? "+" : "") + delta;
    }

    private static String field(List<String> lines, Random rnd, int group, String value, String what) {
        List<Integer> c = regionLines(lines, false);
        if (c.isEmpty()) {
            return "no line to change the " + what + " of";
        }
        int i = pick(c, lines, rnd);
        Matcher m = REGION.matcher(lines.get(i));
        m.matches();
        String l = lines.get(i);
        lines.set(i, l.substring(0, m.start(group)) + value + l.substring(m.end(group)));
        return "line " + (i + 1) + ": " + what + " " + m.group(group) + " -> " + value;
    }

    private static String rename(List<String> lines, Random rnd) {
        List<Integer> c = regionLines(lines, false);
        if (c.isEmpty()) {
            return "no line to rename";
        }
        int i = pick(c, lines, rnd);
        lines.set(i, lines.get(i) + "x");
        return "line " + (i + 1) + ": name + 'x'";
    }

    private static String toggleDisabled(List<String> lines, Random rnd) {
        List<Integer> c = regionLines(lines, false);
        if (c.isEmpty()) {
            return "no line to disable";
        }
        int i = pick(c, lines, rnd);
        String l = lines.get(i);
        boolean off = l.endsWith(" [disabled]");
        lines.set(i, off ? l.substring(0, l.length() - " [disabled]".length()) : l + " [disabled]");
        return "line " + (i + 1) + (off ? ": enabled" : ": disabled");
    }

    private static String retarget(List<String> lines, Random rnd) {
        List<Integer> c = regionLines(lines, true);
        if (c.isEmpty()) {
            return "no alias to retarget";
        }
        int i = pick(c, lines, rnd);
        List<String> blocks = new ArrayList<>();
        for (String l : lines) {
            if (l.startsWith("memory-region: ")) {
                blocks.add(l.substring("memory-region: ".length()));
            }
        }
        Matcher m = REGION.matcher(lines.get(i));
        m.matches();
        Matcher a = ALIAS_TARGET.matcher(m.group(6));
        a.matches();
        String self = a.group(1).substring("alias ".length());
        String target = switch (rnd.nextInt(3)) {
            case 0 -> blocks.isEmpty() ? "nowhere" : blocks.get(rnd.nextInt(blocks.size()));
            case 1 -> self;
            default -> "nowhere";
        };
        String l = lines.get(i);
        int at = m.start(6) + a.start(2);
        lines.set(i, l.substring(0, at) + target + l.substring(m.start(6) + a.end(2)));
        return "line " + (i + 1) + ": alias target " + a.group(2) + " -> " + target;
    }
}
