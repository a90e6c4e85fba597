package org.guestmem;

import org.guestmem.internal.RamBlock;
import org.guestmem.internal.RamBlockSet;

/**
 * Cheap FlatViews and AddressSpaces for the jcstress tests of this package.
 *
 * <p>jcstress creates hundreds of thousands of states, so a state must not build a
 * {@link MemorySystem} (each has an RCU domain, a reclaimer thread once something is deferred,
 * native reader slots). One system per JVM is shared: it provides the regions the ranges show and
 * the RCU domain a released view defers its destruction to. Views and spaces are built directly
 * through their package-private constructors (this class is in package {@code org.guestmem}; on
 * the class path, where jcstress runs, a package is not split between modules, so that is
 * allowed), bypassing rendering: what is tested is publication and reference counting, not
 * rendering.
 *
 * <p>Two recognisable views:
 * <pre>
 *  old view: 1 range   [0x1000, 0x1fff] -&gt; OLD_REGION + 0x10
 *  new view: 2 ranges  [0x2000, 0x2fff] -&gt; NEW_REGION + 0x0,  [0x3000, 0x3fff] -&gt; NEW_REGION + 0x1000
 * </pre>
 */
final class ViewFixtures {
    /** Shared by every state of a JVM; never closed (the forked JVM exits). */
    static final MemorySystem SYSTEM = MemorySystem.builder().name("jcstress").build();
    static final MemoryRegion ROOT = SYSTEM.container("root", 0x10000);
    static final MemoryRegion OLD_REGION = SYSTEM.reservation("old", 0x1000);
    static final MemoryRegion NEW_REGION = SYSTEM.reservation("new", 0x2000);

    private static final RamBlock[] NO_BLOCKS = new RamBlock[0];

    private ViewFixtures() {
    }

    /** {@return a fresh old view (count 1)} */
    static FlatView oldView() {
        return new FlatView(SYSTEM.viewContext(), new FlatRange[] {
            new FlatRange(0x1000, 0x1fff, OLD_REGION, 0x10, false, true, false, 0),
        }, ROOT, RamBlockSet.retainAll(NO_BLOCKS, 0));
    }

    /** {@return a fresh new view (count 1)} */
    static FlatView newView() {
        return new FlatView(SYSTEM.viewContext(), new FlatRange[] {
            new FlatRange(0x2000, 0x2fff, NEW_REGION, 0x0, false, true, false, 0),
            new FlatRange(0x3000, 0x3fff, NEW_REGION, 0x1000, false, true, false, 0),
        }, ROOT, RamBlockSet.retainAll(NO_BLOCKS, 0));
    }

    /** {@return a space showing {@code initial}; like MemorySystem.addressSpace, the space takes its own reference} */
    static AddressSpace space(FlatView initial) {
        if (!initial.tryRetain()) {
            throw new IllegalStateException("initial view already released");
        }
        return SYSTEM.unlistedSpace("jcstress", ROOT, initial);
    }

    /** {@return 1 for OLD_REGION, 2 for NEW_REGION, 0 for anything else (null included)} */
    static int regionCode(MemoryRegion r) {
        return r == OLD_REGION ? 1 : r == NEW_REGION ? 2 : 0;
    }
}
