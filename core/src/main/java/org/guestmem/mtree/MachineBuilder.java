package org.guestmem.mtree;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.guestmem.AddressSpace;
import org.guestmem.AliasLoopException;
import org.guestmem.MemoryRegion;
import org.guestmem.MemorySystem;
import org.guestmem.MemoryTransaction;
import org.guestmem.RamReservationException;
import org.guestmem.RegionFactory;
import org.guestmem.internal.Hex;
import org.guestmem.mtree.MtreeDump.Block;
import org.guestmem.mtree.MtreeDump.Node;

/**
 * Makes the regions of an {@link ImportPlan} in one transaction: first every region that is not
 * an alias, then the aliases, each after the alias it shows if any (so every alias target exists
 * before its aliases, even a target that will contain the alias), then the subregions of every
 * container in the order {@link SiblingOrder} infers, the addresses and priorities of regions no
 * container holds, and the address spaces. Whatever the library refuses becomes an
 * {@link MtreeImportException} at the line that asked for it.
 */
final class MachineBuilder {
    private final MtreeDump dump;
    private final ImportPlan plan;
    private final MemorySystem system;
    private final RegionFactory factory;
    private final Set<String> terminatingIo;
    private final long memoryLimit;
    private final IdentityHashMap<MemoryRegion, MmioStub> stubs = new IdentityHashMap<>();
    private long memoryUsed;
    private MemoryRegion scratch;

    MachineBuilder(MtreeDump dump, ImportPlan plan, MemorySystem system, Set<String> terminatingIo, long memoryLimit) {
        this.dump = dump;
        this.plan = plan;
        this.system = system;
        this.factory = system.owned(null);
        this.terminatingIo = terminatingIo;
        this.memoryLimit = memoryLimit;
    }

    ImportedMachine build() {
        List<AddressSpace> spaces = new ArrayList<>();
        try {
            try (MemoryTransaction tx = system.begin()) {
                makeRegions();
                for (Block b : dump.blocks) {
                    if (b.memoryRegion == null) {
                        MemoryRegion root = b.root.built();
                        for (String name : b.addressSpaces) {
                            spaces.add(call(b.headerLine, () -> system.addressSpace(name, root)));
                        }
                    }
                }
                if (scratch != null) {
                    scratch.destroy();
                }
            } // the commit renders every address space
        } catch (MtreeImportException e) {
            throw e;
        } catch (AliasLoopException e) { // the render refused an alias that shows itself: its line
            throw new MtreeImportException(dump.source, lineOf(e.alias()), e.getMessage(), e);
        } catch (IllegalArgumentException | IllegalStateException e) {
            Block first = firstAddressSpace();
            throw new MtreeImportException(dump.source, first.headerLine, "cannot render the imported regions: " + e.getMessage(), e);
        }
        return new ImportedMachine(system, spaces, stubs);
    }

    /** {@return the line of the region {@code r} was made for, or the first address space's line} */
    private int lineOf(MemoryRegion r) {
        for (Node n : plan.canonical) {
            if (n.region == r) {
                return n.lineNo;
            }
        }
        return firstAddressSpace().headerLine;
    }

        private Block firstAddressSpace() {
        for (Block b : dump.blocks) {
            if (b.memoryRegion == null) {
                return b;
            }
        }
        throw new AssertionError("the dump was read with an address space");
    }

    /** Every planned region, its subregions, and the places of the regions no container holds. */
    private void makeRegions() {
        for (Node n : plan.canonical) {
            if (!n.isAlias()) {
                n.region = create(n);
            }
        }
        for (Node n : plan.canonical) {
            if (n.isAlias()) {
                createAliasChain(n);
            }
        }
        for (Node n : plan.canonical) {
            if (!n.children.isEmpty()) {
                addChildren(n);
            }
        }
        for (Node n : plan.canonical) {
            if (n.parent == null && n.region.container().isEmpty()) {
                placeUnmapped(n);
            }
        }
    }

    /** Runs a library call for {@code line}, turning its refusal into an error at that line. */
    private <T> T call(int line, Supplier<T> op) {
        try {
            return op.get();
        } catch (IllegalArgumentException | IllegalStateException e) {
            if (e instanceof MtreeImportException m) {
                throw m;
            }
            throw new MtreeImportException(dump.source, line, e.getMessage(), e);
        }
    }

    private void run(int line, Runnable op) {
        call(line, () -> {
            op.run();
            return null;
        });
    }

    private static long size(Node n) {
        return n.sizeMinus1() == -1L ? MemoryRegion.SIZE_2_64 : n.sizeMinus1() + 1;
    }

    private MemoryRegion create(Node n) {
        long size = size(n);
        MemoryRegion r = switch (n.type) {
            case "ram", "ramd" -> backed(n, () -> factory.ram(n.name, size));
            case "rom" -> backed(n, () -> factory.rom(n.name, size));
            case "romd" -> {
                MmioStub stub = new MmioStub();
                MemoryRegion rd = backed(n, () -> factory.romDevice(n.name, size, stub.ops()));
                stubs.put(rd, stub);
                yield rd;
            }
            default -> {
                boolean terminates = terminatingIo != null
                        ? terminatingIo.contains(n.name + "\0" + n.prio)
                        : n.children.isEmpty();
                if (terminates) {
                    MmioStub stub = new MmioStub();
                    MemoryRegion io = call(n.lineNo, () -> factory.mmio(n.name, size, stub.ops()));
                    stubs.put(io, stub);
                    yield io;
                }
                yield call(n.lineNo, () -> factory.container(n.name, size));
            }
        };
        flags(r, n);
        return r;
    }

    private static void flags(MemoryRegion r, Node n) {
        if (n.nonvolatile) {
            r.setNonvolatile(true);
        }
        if (n.disabled) {
            r.setEnabled(false);
        }
    }

    /**
     * Makes a region backed by memory, within the import's budget; the one place where the
     * library's failure to allocate becomes an error at the region's line.
     */
    private MemoryRegion backed(Node n, Supplier<MemoryRegion> make) {
        long bytes = n.sizeMinus1() + 1; // 0 for 2^64
        if (bytes == 0 || Long.compareUnsigned(bytes, memoryLimit - memoryUsed) > 0) {
            throw dump.error(n.lineNo, n.type + " " + n.label() + " of " + Hex.ofSizeMinusOne(n.sizeMinus1())
                    + " bytes would take the import past its limit of " + Hex.of(memoryLimit)
                    + " bytes of RAM, ROM and ROM devices in all (" + Hex.of(memoryUsed) + " already allocated)");
        }
        try {
            MemoryRegion r = call(n.lineNo, make);
            memoryUsed += bytes;
            return r;
        } catch (RamReservationException | OutOfMemoryError e) {
            throw new MtreeImportException(dump.source, n.lineNo, "cannot allocate " + Hex.ofSizeMinusOne(n.sizeMinus1())
                    + " bytes for " + n.type + " " + n.label() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes the alias of {@code n} and, first, the aliases it shows through: a chain of aliases
     * whose targets are aliases, followed without recursion. A chain that comes back to itself
     * (an alias showing itself, two aliases showing each other) has no container between its
     * aliases to clip the windows, so it could never render: it is an error naming its lines.
     */
    private void createAliasChain(Node n) {
        List<Node> chain = new ArrayList<>();
        IdentityHashMap<Node, Boolean> onChain = new IdentityHashMap<>();
        for (Node a = n; a.region == null; a = a.target.root) {
            if (onChain.put(a, Boolean.TRUE) != null) {
                throw aliasCycle(chain.subList(chain.indexOf(a), chain.size()));
            }
            chain.add(a);
            if (!a.target.root.isAlias()) {
                break;
            }
        }
        for (int i = chain.size() - 1; i >= 0; i--) {
            Node a = chain.get(i);
            if (a.region == null) {
                a.region = createAlias(a);
            }
        }
    }

    private MtreeImportException aliasCycle(List<Node> cycle) {
        Node first = cycle.getFirst();
        if (cycle.size() == 1) {
            return dump.error(first.lineNo, first.label() + " shows itself: it is the root of " + first.target.header()
                    + ", its own target; expected an alias of another region");
        }
        StringBuilder s = new StringBuilder("aliases show each other in a cycle with no container between them: ");
        for (Node a : cycle) {
            s.append(a.label()).append(" (line ").append(a.lineNo).append(") -> ");
        }
        return dump.error(first.lineNo, s.append(first.label()).toString());
    }

    private MemoryRegion createAlias(Node n) {
        if (n.aliasEnd - n.aliasStart != n.sizeMinus1()) {
            throw dump.error(n.lineNo, "alias window " + Hex.of(n.aliasStart) + "-" + Hex.of(n.aliasEnd)
                    + " and region " + Hex.of(n.start) + "-" + Hex.of(n.end) + " differ in size: expected equal sizes");
        }
        MemoryRegion target = n.target.root.built();
        MemoryRegion r = call(n.lineNo, () -> factory.alias(n.aliasName, target, n.aliasStart, size(n)));
        flags(r, n);
        return r;
    }

    private void addChildren(Node n) {
        MemoryRegion parent = n.region;
        List<Node> order = call(n.lineNo, () -> SiblingOrder.newestFirst(n.children));
        // QEMU puts a new region before its equal-priority siblings: add the oldest first.
        for (int i = order.size() - 1; i >= 0; i--) {
            Node c = order.get(i);
            MemoryRegion r = c.built();
            long addr = c.relativeStart();
            if (c.prio == 0) {
                run(c.lineNo, () -> parent.addSubregion(r, addr));
            } else {
                run(c.lineNo, () -> parent.addSubregionOverlap(r, addr, c.prio));
            }
        }
    }

    /**
     * Gives a region that no container holds the address and priority its line printed. QEMU
     * keeps both after a region leaves its container; guestmem, like QEMU, only sets a priority
     * when adding a subregion, so the region visits a scratch container for a moment.
     */
    private void placeUnmapped(Node n) {
        MemoryRegion r = n.region;
        if (n.prio != 0) {
            if (scratch == null) {
                scratch = factory.container("import-scratch", MemoryRegion.SIZE_2_64);
            }
            run(n.lineNo, () -> scratch.addSubregionOverlap(r, n.start, n.prio));
            scratch.removeSubregion(r);
        } else if (n.start != 0) {
            run(n.lineNo, () -> r.setAddress(n.start));
        }
    }
}
