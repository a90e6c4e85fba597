package org.guestmem.mtree;

/**
 * An {@code info mtree -D} dump that {@link MtreeImporter} cannot import, located the way a
 * compiler locates an error: the file (when the dump came from one), the 1-based line the problem
 * was found at, and what was expected there. The message is one line: {@code FILE:LINE: reason}
 * for a file, {@code line LINE: reason} for text. A reason that involves a second line (the other
 * copy of a region, the other alias of a cycle) names that line too.
 */
public final class MtreeImportException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The file the dump came from, or null when it was given as text. */
    private final String source;
    /** The 1-based line the problem was found at. */
    private final int line;
    /** What was wrong and what was expected, without the location. */
    private final String reason;

    MtreeImportException(String source, int line, String reason, Throwable cause) {
        super((source != null ? source + ":" : "line ") + line + ": " + reason, cause);
        this.source = source;
        this.line = line;
        this.reason = reason;
    }

    /** {@return the file the dump came from, or null when it was given as text} */
    public String source() {
        return source;
    }

    /** {@return the 1-based line the problem was found at} */
    public int line() {
        return line;
    }

    /** {@return what was wrong and what was expected, without the location} */
    public String reason() {
        return reason;
    }
}
