package org.guestmem.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the in-run baseline of a benchmark method: another benchmark method of the same class,
 * measured in the same run with the same parameters (those of its parameters the baseline has).
 * {@code ./guestmem bench} prints each score divided by its baseline's score, and the performance
 * gate ({@code bench/baseline.json}) compares those ratios, never absolute times, so a slower or
 * faster machine moves both sides together.
 *
 * <p>The value is a method name also for JMH groups: the runner finds the group's result (the
 * group's own score when the method is alone in its group, its per-method score otherwise).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Baseline {
    /** {@return the name of the baseline benchmark method, in the same class} */
    String value();

    /**
     * {@return whether the performance gate checks this ratio} False for comparisons that measure
     * no guestmem code (a raw segment against the hand-written map): their ratio only moves with
     * noise and would make the gate flaky without guarding anything.
     */
    boolean gated() default true;
}
