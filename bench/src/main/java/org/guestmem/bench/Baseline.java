package org.guestmem.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the in-run baseline of a benchmark method: another benchmark of the same class, measured
 * in the same run with the same parameters. {@code ./guestmem bench} prints each score divided by
 * its baseline's score, and the performance gate ({@code bench/baseline.json}) compares those
 * ratios, never absolute times, so a slower or faster machine moves both sides together.
 *
 * <p>For a method of a JMH {@code @Group}, the result is the group's per-method score, and
 * {@link #value()} may name a method of another group as {@code group:method}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Baseline {
    /** {@return the baseline: a benchmark method of the same class, or {@code group:method}} */
    String value();
}
