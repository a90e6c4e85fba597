package org.guestmem;

import static org.guestmem.Fixtures.OPS;
import static org.guestmem.Fixtures.TOP;
import static org.guestmem.Fixtures.r;
import static org.guestmem.Fixtures.ranges;
import static org.guestmem.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every bad-input rule of the API: the exception type, a message that names the regions and the
 * values in hex, and nothing changed (regions, lists, flags, published views, commit count).
 */
class BadInputTest {
    private MemorySystem sys;
    private ContainerRegion system;
    private RamRegion ram;
    private ContainerRegion pci;
    private RamRegion bios;
    private AliasRegion isaBios;
    private ContainerRegion io;
    private AddressSpace memory;
    private AddressSpace ioSpace;
    /** Regions whose state every rejection must leave unchanged, besides those reachable from the spaces. */
    private final List<MemoryRegion> watched = new ArrayList<>();

    private <T extends MemoryRegion> T w(T region) {
        watched.add(region);
        return region;
    }

    /** A small PC: pc.ram at 0, pci below it with pc.bios at 0xfffc0000 and the isa-bios alias. */
    @BeforeEach
    void buildMachine() {
        sys = MemorySystem.create();
        system = w(sys.container("system", TOP));
        ram = w(sys.ram("pc.ram", 0x100000));
        pci = w(sys.container("pci", TOP));
        bios = w(sys.rom("pc.bios", 0x40000));
        isaBios = w(sys.alias("isa-bios", bios, 0x20000, 0x20000));
        io = w(sys.container("io", 0x10000));
        system.addSubregion(ram, 0);
        system.addSubregionOverlap(pci, 0, -1);
        pci.addSubregion(bios, 0xfffc0000L);
        pci.addSubregionOverlap(isaBios, 0xe0000, 1);
        io.addSubregion(sys.mmio("pic", 2, OPS), 0x20);
        memory = sys.addressSpace("memory", system);
        ioSpace = sys.addressSpace("I/O", io);
    }

    @AfterEach
    void close() {
        sys.close();
    }

    /** Runs {@code bad}, expects {@code type} with every fragment in its message, and no change at all. */
    private <T extends RuntimeException> T rejects(Class<T> type, Executable bad, String... fragments) {
        return rejects(List.of(sys), type, bad, fragments);
    }

    private <T extends RuntimeException> T rejects(List<MemorySystem> systems, Class<T> type, Executable bad,
                                                   String... fragments) {
        MemoryRegion[] seeds = watched.toArray(MemoryRegion[]::new);
        Fixtures.Snapshot before = snapshot(systems, seeds);
        T e = assertThrows(type, bad);
        String msg = e.getMessage();
        for (String f : fragments) {
            assertTrue(msg != null && msg.contains(f), () -> "message should name " + f + ": " + msg);
        }
        assertEquals(before, snapshot(systems, seeds), "a rejected change must leave everything as it was");
        return e;
    }

    // ------------------------------------------------------------------ containers and cycles

    @Test
    void shouldRejectAddingARegionThatAlreadyHasAContainer() {
        ContainerRegion other = w(sys.container("other", TOP));
        rejects(IllegalArgumentException.class, () -> other.addSubregion(bios, 0x1000),
                "'pc.bios'", "'other'", "'pci'", "0xfffc0000", "0x1000");
        rejects(IllegalArgumentException.class, () -> pci.addSubregionOverlap(bios, 0x2000, 3),
                "'pc.bios'", "'pci'", "0xfffc0000", "0x2000");
    }

    @Test
    void shouldRejectAddingARegionToItself() {
        rejects(IllegalArgumentException.class, () -> system.addSubregion(system, 0x1000), "'system'");
        ContainerRegion loose = w(sys.container("loose", 0x1000));
        rejects(IllegalArgumentException.class, () -> loose.addSubregionOverlap(loose, 0, 1), "'loose'");
    }

    @Test
    void shouldRejectAddingAnAncestorToADescendant() {
        rejects(IllegalArgumentException.class, () -> pci.addSubregion(system, 0), "'system'", "'pci'");
        ContainerRegion bus = w(sys.container("bus", 0x10000));
        pci.addSubregion(bus, 0x100000);
        rejects(IllegalArgumentException.class, () -> bus.addSubregion(system, 0), "'system'", "'bus'");
    }

    @Test
    void shouldRefuseAtCommitAnAliasOfAnAncestorThatShowsItselfAndRollBack() {
        AliasRegion wholeSystem = w(sys.alias("system-alias", system, 0, TOP));
        rejects(IllegalArgumentException.class, () -> pci.addSubregion(wholeSystem, 0), "'system-alias'", "'pci'",
                "rolled back");
        AliasRegion pciWindow = w(sys.alias("pci-window", pci, 0xa0000, 0x20000));
        rejects(IllegalArgumentException.class, () -> pci.addSubregionOverlap(pciWindow, 0xa0000, 2), "'pci-window'", "'pci'",
                "0xa0000", "0xbffff");
    }

    @Test
    void shouldAcceptAnAliasOfARegionThatIsNotAnAncestor() {
        AliasRegion ramWindow = w(sys.alias("ram-window", ram, 0x1000, 0x1000));
        pci.addSubregion(ramWindow, 0x200000);
        assertEquals(pci, ramWindow.container().orElseThrow());
        assertTrue(ranges(memory).contains(r(0x200000, 0x200fff, "pc.ram", 0x1000)), () -> ranges(memory).toString());
    }

    // ------------------------------------------------------------------ sizes

    @Test
    void shouldRejectSizeZeroAtCreation() {
        Fixtures.Snapshot before = snapshot(sys, watched.toArray(MemoryRegion[]::new));
        List<Executable> creations = List.of(
                () -> sys.container("zero", 0),
                () -> sys.ram("zero", 0),
                () -> sys.rom("zero", 0),
                () -> sys.mmio("zero", 0, OPS),
                () -> sys.romDevice("zero", 0, OPS),
                () -> sys.reservation("zero", 0),
                () -> sys.alias("zero", ram, 0, 0));
        for (Executable c : creations) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c);
            assertTrue(e.getMessage().contains("'zero'") && e.getMessage().contains("0x0"), e.getMessage());
        }
        assertEquals(before, snapshot(sys, watched.toArray(MemoryRegion[]::new)));
    }

    @Test
    void shouldRejectSetSizeZero() {
        rejects(IllegalArgumentException.class, () -> pci.setSize(0), "'pci'", "0x0");
        rejects(IllegalArgumentException.class, () -> isaBios.setSize(0), "'isa-bios'", "0x0");
        rejects(IllegalArgumentException.class, () -> bios.setSize(0), "'pc.bios'", "0x0");
    }

    @Test
    void shouldRejectSizesAboveTwoToThe64() {
        BigInteger two64 = BigInteger.ONE.shiftLeft(64);
        IllegalArgumentException above = assertThrows(IllegalArgumentException.class,
                () -> MemoryRegion.encodeSize(two64.add(BigInteger.ONE)));
        assertTrue(above.getMessage().contains("0x10000000000000001"), above.getMessage());
        IllegalArgumentException far = assertThrows(IllegalArgumentException.class,
                () -> MemoryRegion.encodeSize(two64.shiftLeft(1)));
        assertTrue(far.getMessage().contains("0x20000000000000000"), far.getMessage());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> MemoryRegion.encodeSize(BigInteger.ZERO));
        assertTrue(zero.getMessage().contains("0x0"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryRegion.encodeSize(BigInteger.valueOf(-0x1000)));
    }

    @Test
    void shouldRejectTwoToThe64MinusOneWhichQemuCannotExpress() {
        BigInteger max = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryRegion.encodeSize(max));
        assertTrue(e.getMessage().contains("0xffffffffffffffff"), e.getMessage());
    }

    @Test
    void shouldEncodeEveryExpressibleSize() {
        assertEquals(MemoryRegion.SIZE_2_64, MemoryRegion.encodeSize(BigInteger.ONE.shiftLeft(64)));
        assertEquals(-2L, MemoryRegion.encodeSize(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.TWO)));
        assertEquals(1L, MemoryRegion.encodeSize(BigInteger.ONE));
        assertEquals(0xfffc0000L, MemoryRegion.encodeSize(BigInteger.valueOf(0xfffc0000L)));
        ContainerRegion whole = w(sys.container("whole", MemoryRegion.encodeSize(BigInteger.ONE.shiftLeft(64))));
        assertEquals(-1L, whole.sizeMinusOne());
        assertEquals(new AddrRange(0, -1L), whole.range());
    }

    @Test
    void shouldRejectGrowingRamBeyondItsBlock() {
        rejects(IllegalArgumentException.class, () -> ram.setSize(0x100001), "'pc.ram'", "0x100001", "0x100000");
        ram.setSize(0x80000); // shrinking within the block is fine
        assertEquals(0x80000, ram.size());
    }

    /** Package documentation: unless documented as nullable, a null parameter throws NullPointerException. */
    @Test
    void shouldRejectNullRegionsWithNullPointerException() {
        assertAll(
                () -> rejects(NullPointerException.class, () -> system.addSubregion(null, 0)),
                () -> rejects(NullPointerException.class, () -> system.addSubregionOverlap(null, 0, 1)),
                () -> rejects(NullPointerException.class, () -> system.removeSubregion(null)),
                () -> rejects(NullPointerException.class, () -> sys.alias("a", null, 0, 0x1000)),
                () -> rejects(NullPointerException.class, () -> sys.addressSpace("as", null)),
                () -> rejects(NullPointerException.class, () -> sys.mmio("m", 0x1000, null)));
    }

    /** The same rule for a byte order as for transaction attributes: no default hides behind null. */
    @Test
    void shouldRejectANullByteOrderLikeNullAttributes() throws Exception {
        memory.st64le(0x1000, 0x1122334455667788L);
        MemTxResult[] result = new MemTxResult[1];
        try (RcuReader r = sys.rcu().register()) {
            AddressSpaceAccessor acc = memory.accessor(r);
            try (MemoryRegionCache cache = memory.cache(0x1000, 0x100, true)) {
                assertAll(
                        () -> rejects(NullPointerException.class, () -> memory.load(0x1000, 8, null, MemTxAttrs.UNSPECIFIED, result), "order"),
                        () -> rejects(NullPointerException.class, () -> memory.load(0x1000, 8, ByteOrder.BIG_ENDIAN, null, result), "attrs"),
                        () -> rejects(NullPointerException.class, () -> memory.store(0x1000, 8, 1, null, MemTxAttrs.UNSPECIFIED), "order"),
                        () -> rejects(NullPointerException.class, () -> acc.load(0x1000, 8, null, MemTxAttrs.UNSPECIFIED, result), "order"),
                        () -> rejects(NullPointerException.class, () -> acc.store(0x1000, 8, 1, null, MemTxAttrs.UNSPECIFIED), "order"),
                        () -> rejects(NullPointerException.class, () -> cache.load(0, 8, null), "order"),
                        () -> rejects(NullPointerException.class, () -> cache.store(0, 8, 1, null), "order"));
            }
        }
        assertEquals(0x1122334455667788L, memory.ld64le(0x1000), "no store went through");
        assertNull(result[0], "no load reported a result");
    }

    // ------------------------------------------------------------------ huge RAM

    @Test
    void shouldRejectRamTheHostCannotReserveWithADocumentedExceptionNamingTheSize() {
        long allocations = sys.nativeMemoryStats().liveAllocations();
        long bytes = sys.nativeMemoryStats().liveBytes();
        RamReservationException e = rejects(RamReservationException.class, () -> sys.ram("huge", 1L << 50),
                "'huge'", "0x4000000000000", "errno 12");
        assertEquals(1L << 50, e.size());
        assertEquals(12, e.errno(), "ENOMEM: beyond the user address space");
        RamReservationException max = rejects(RamReservationException.class, () -> sys.rom("max", Long.MAX_VALUE),
                "'max'", "0x7fffffffffffffff");
        assertEquals(Long.MAX_VALUE, max.size());
        rejects(RamReservationException.class, () -> sys.romDevice("dev", 1L << 60, OPS), "0x1000000000000000");
        assertEquals(allocations, sys.nativeMemoryStats().liveAllocations(), "nothing left allocated");
        assertEquals(bytes, sys.nativeMemoryStats().liveBytes());
        assertEquals(0, sys.reclamationStats().pendingBlocks());
    }

    // ------------------------------------------------------------------ reaching past 2^64

    @Test
    void shouldRejectAddSubregionPastTwoToThe64() {
        MmioRegion dev = w(sys.mmio("dev", 0x1000, OPS));
        rejects(IllegalArgumentException.class, () -> pci.addSubregion(dev, 0xfffffffffffff001L),
                "'dev'", "'pci'", "0xfffffffffffff001", "0x1000");
        ContainerRegion whole = w(sys.container("whole", TOP));
        rejects(IllegalArgumentException.class, () -> pci.addSubregionOverlap(whole, 1, 2),
                "'whole'", "'pci'", "0x1", "0x10000000000000000");
        // exactly up to 2^64 is fine
        pci.addSubregion(dev, 0xfffffffffffff000L);
        assertEquals(new AddrRange(0xfffffffffffff000L, -1L), dev.range());
    }

    @Test
    void shouldRejectSetAddressOfAMappedRegionPastTwoToThe64() {
        rejects(IllegalArgumentException.class, () -> bios.setAddress(0xfffffffffffd0000L),
                "'pc.bios'", "0xfffffffffffd0000", "0x40000");
        bios.setAddress(0xfffffffffffc0000L);
        assertEquals(0xfffffffffffc0000L, bios.address());
    }

    @Test
    void shouldRejectSetSizeOfAMappedRegionPastTwoToThe64() {
        MmioRegion dev = w(sys.mmio("dev", 0x1000, OPS));
        pci.addSubregion(dev, 0xfffffffffffff000L);
        rejects(IllegalArgumentException.class, () -> dev.setSize(0x2000), "'dev'", "0xfffffffffffff000", "0x2000");
        ContainerRegion bus = w(sys.container("bus", 0x10000));
        system.addSubregion(bus, 0x1000);
        rejects(IllegalArgumentException.class, () -> bus.setSize(TOP), "'bus'", "0x1000", "0x10000000000000000");
    }

    /**
     * guestmem records the address of an unmapped region (an address space root starts there) and
     * {@code setAddress} refuses an address that would make such a region reach past 2^64; growing
     * the region there with {@code setSize} must be refused the same way.
     */
    @Test
    void shouldRejectSetSizeOfAnAddressSpaceRootThatWouldReachPastTwoToThe64() {
        io.setAddress(0xffffffffffff0000L);
        rejects(IllegalArgumentException.class, () -> io.setSize(0x20000), "'io'", "0xffffffffffff0000", "0x20000");
    }

    // ------------------------------------------------------------------ removal

    @Test
    void shouldRejectRemovingARegionThatIsNotAChild() {
        rejects(IllegalArgumentException.class, () -> system.removeSubregion(bios), "'system'", "'pc.bios'", "'pci'");
        RamRegion loose = w(sys.ram("loose", 0x1000));
        rejects(IllegalArgumentException.class, () -> system.removeSubregion(loose), "'system'", "'loose'");
        rejects(IllegalArgumentException.class, () -> bios.removeSubregion(bios), "'pc.bios'");
    }

    // ------------------------------------------------------------------ alias windows

    @Test
    void shouldRejectAnAliasWindowThatDoesNotFitItsTargetAtCreation() {
        rejects(IllegalArgumentException.class, () -> sys.alias("too-far", bios, 0x30000, 0x20000),
                "'too-far'", "'pc.bios'", "0x30000", "0x20000", "0x40000");
        rejects(IllegalArgumentException.class, () -> sys.alias("too-big", bios, 0, 0x40001),
                "'too-big'", "'pc.bios'", "0x40001", "0x40000");
    }

    @Test
    void shouldRejectSetAliasOffsetThatMovesTheWindowPastItsTarget() {
        rejects(IllegalArgumentException.class, () -> isaBios.setAliasOffset(0x20001),
                "'isa-bios'", "'pc.bios'", "0x20001", "0x20000", "0x40000");
        isaBios.setAliasOffset(0x20000); // still the same and fitting: accepted
        isaBios.setAliasOffset(0);
        assertEquals(0, isaBios.aliasOffset());
    }

    @Test
    void shouldRejectAliasSetSizeThatMakesTheWindowOverhangItsTarget() {
        rejects(IllegalArgumentException.class, () -> isaBios.setSize(0x20001),
                "'isa-bios'", "'pc.bios'", "0x20001", "0x40000");
    }

    /**
     * The window must fit its target (AliasRegion's documentation); shrinking the target under an
     * existing window breaks that just as creating the window too large would.
     */
    @Test
    void shouldRejectShrinkingATargetBelowAnAliasWindow() {
        rejects(IllegalArgumentException.class, () -> bios.setSize(0x30000), "'pc.bios'", "0x30000", "'isa-bios'");
        bios.setSize(0x40000); // unchanged: fine
    }

    @Test
    void shouldAcceptOverhangingAliasWindowsInALenientSystemAndClipThemToTheTarget() {
        try (MemorySystem lenient = MemorySystem.builder().lenientAliasWindows(true).build()) {
            ContainerRegion root = w(lenient.container("root", TOP));
            RamRegion target = w(lenient.rom("target", 0x40000));
            AliasRegion far = w(lenient.alias("far", target, 0x30000, 0x20000));
            root.addSubregion(far, 0x100000);
            AddressSpace as = lenient.addressSpace("as", root);
            assertEquals(List.of(r(0x100000, 0x10ffff, "target", 0x30000).ro()), ranges(as));

            AliasRegion moved = w(lenient.alias("moved", target, 0, 0x20000));
            root.addSubregion(moved, 0x200000);
            moved.setAliasOffset(0x38000);
            moved.setSize(0x30000);
            assertEquals(0x38000, moved.aliasOffset());
            assertEquals(0x30000, moved.size());
            assertEquals(List.of(r(0x100000, 0x10ffff, "target", 0x30000).ro(), r(0x200000, 0x207fff, "target", 0x38000).ro()),
                    ranges(as));
        }
    }

    // ------------------------------------------------------------------ destroyed regions

    /** Every mutator, applied to a destroyed region of the right kind. */
    enum Mutator {
        ADD_SUBREGION(d -> d.container.addSubregion(d.fresh, 0x1000)),
        ADD_SUBREGION_OVERLAP(d -> d.container.addSubregionOverlap(d.fresh, 0x1000, 1)),
        ADD_AS_SUBREGION(d -> d.live.addSubregion(d.container, 0x1000)),
        ADD_AS_SUBREGION_OVERLAP(d -> d.live.addSubregionOverlap(d.container, 0x1000, 1)),
        REMOVE_SUBREGION(d -> d.container.removeSubregion(d.fresh)),
        SET_ENABLED(d -> d.container.setEnabled(true)),
        SET_DISABLED(d -> d.container.setEnabled(false)),
        SET_ADDRESS(d -> d.container.setAddress(0x2000)),
        SET_READONLY(d -> d.container.setReadonly(true)),
        SET_NONVOLATILE(d -> d.container.setNonvolatile(true)),
        SET_SIZE(d -> d.container.setSize(0x800)),
        SET_ALIAS_OFFSET(d -> d.alias.setAliasOffset(0x100)),
        ALIAS_SET_SIZE(d -> d.alias.setSize(0x100)),
        SET_ROMD_MODE(d -> d.romDevice.setRomdMode(false)),
        ALIAS_OF_DESTROYED(d -> d.system.alias("late-alias", d.container, 0, 0x100)),
        ADDRESS_SPACE_OF_DESTROYED(d -> d.system.addressSpace("late", d.container));

        final Consumer<Dead> action;

        Mutator(Consumer<Dead> action) {
            this.action = action;
        }
    }

    record Dead(MemorySystem system, ContainerRegion container, AliasRegion alias, RomDeviceRegion romDevice,
                MemoryRegion fresh, ContainerRegion live) {
    }

    @ParameterizedTest
    @EnumSource(Mutator.class)
    void shouldRejectEveryMutatorOnADestroyedRegion(Mutator m) {
        ContainerRegion deadContainer = w(sys.container("dead-container", 0x10000));
        AliasRegion deadAlias = w(sys.alias("dead-alias", ram, 0, 0x1000));
        RomDeviceRegion deadRomd = w(sys.romDevice("dead-flash", 0x1000, OPS));
        deadContainer.destroy();
        deadAlias.destroy();
        deadRomd.destroy();
        ContainerRegion live = w(sys.container("live", 0x10000));
        system.addSubregion(live, 0x10000000L);
        MmioRegion fresh = w(sys.mmio("fresh", 0x100, OPS));
        Dead d = new Dead(sys, deadContainer, deadAlias, deadRomd, fresh, live);
        String deadName = switch (m) {
            case SET_ALIAS_OFFSET, ALIAS_SET_SIZE -> "'dead-alias'";
            case SET_ROMD_MODE -> "'dead-flash'";
            default -> "'dead-container'";
        };
        rejects(IllegalStateException.class, () -> m.action.accept(d), deadName, "destroyed");
    }

    @Test
    void shouldRejectMappingAnAliasWhoseTargetWasDestroyed() {
        RamRegion victim = w(sys.ram("victim", 0x1000));
        AliasRegion orphan = w(sys.alias("orphan", victim, 0, 0x1000));
        AliasRegion orphanOfOrphan = w(sys.alias("orphan2", orphan, 0, 0x1000));
        victim.destroy(); // allowed: no mapped alias shows it
        rejects(IllegalStateException.class, () -> system.addSubregion(orphan, 0x20000000L), "'orphan'", "'victim'");
        rejects(IllegalStateException.class, () -> system.addSubregion(orphanOfOrphan, 0x20000000L), "'orphan2'", "'victim'");
    }

    /**
     * Mapping an alias whose target was destroyed is refused (see above); making it the root of an
     * address space is the same operation on a destroyed region and must be refused as well.
     */
    @Test
    void shouldRejectAnAddressSpaceOnAnAliasWhoseTargetWasDestroyed() {
        RamRegion victim = w(sys.ram("victim", 0x1000));
        AliasRegion orphan = w(sys.alias("orphan", victim, 0x100, 0x100));
        victim.destroy();
        rejects(IllegalStateException.class, () -> sys.addressSpace("ghost", orphan), "'orphan'", "'victim'");
    }

    // ------------------------------------------------------------------ two systems

    @Test
    void shouldRejectMixingRegionsOfTwoSystems() {
        try (MemorySystem other = MemorySystem.builder().name("other").build()) {
            ContainerRegion foreign = w(other.container("foreign", 0x1000));
            ContainerRegion otherRoot = w(other.container("other-root", TOP));
            other.addressSpace("other-memory", otherRoot);
            List<MemorySystem> both = List.of(sys, other);
            rejects(both, IllegalArgumentException.class, () -> system.addSubregion(foreign, 0x1000), "'foreign'", "'system'");
            rejects(both, IllegalArgumentException.class, () -> otherRoot.addSubregion(sys.ram("mine", 0x1000), 0),
                    "'mine'", "'other-root'");
            rejects(both, IllegalArgumentException.class, () -> other.alias("window", ram, 0, 0x1000), "'window'", "'pc.ram'");
            rejects(both, IllegalArgumentException.class, () -> other.addressSpace("stolen", system), "'system'");
            rejects(both, IllegalArgumentException.class, () -> system.removeSubregion(foreign), "'system'", "'foreign'");
        }
    }

    // ------------------------------------------------------------------ destroy

    @Test
    void shouldRejectDestroyOfAMappedRegion() {
        rejects(IllegalStateException.class, bios::destroy, "'pc.bios'", "'pci'");
        pci.removeSubregion(bios);
        // isa-bios still shows it
        rejects(IllegalStateException.class, bios::destroy, "'pc.bios'");
        pci.removeSubregion(isaBios);
        bios.destroy();
        assertTrue(bios.isDestroyed());
    }

    @Test
    void shouldRejectDestroyOfARegionMappedOnlyThroughAnAliasChain() {
        RamRegion hidden = w(sys.ram("hidden", 0x1000));
        AliasRegion first = w(sys.alias("first", hidden, 0, 0x1000));
        AliasRegion second = w(sys.alias("second", first, 0, 0x1000));
        system.addSubregion(second, 0x30000000L);
        rejects(IllegalStateException.class, hidden::destroy, "'hidden'");
        rejects(IllegalStateException.class, first::destroy, "'first'");
        system.removeSubregion(second);
        hidden.destroy();
        assertTrue(hidden.isDestroyed());
    }

    @Test
    void shouldRejectDestroyOfAnAddressSpaceRoot() {
        rejects(IllegalStateException.class, system::destroy, "'system'");
        rejects(IllegalStateException.class, io::destroy, "'io'");
        ioSpace.destroy();
        io.destroy();
        assertTrue(io.isDestroyed());
    }

    @Test
    void shouldRejectDestroyOfARegionThatIsAnAddressSpaceRootThroughAnAlias() {
        ContainerRegion bus = w(sys.container("bus", 0x100000));
        bus.addSubregion(sys.mmio("dev", 0x1000, OPS), 0x1000);
        AliasRegion busAlias = w(sys.alias("bus-alias", bus, 0, 0x100000));
        AliasRegion busAlias2 = w(sys.alias("bus-alias2", busAlias, 0x1000, 0x1000));
        AddressSpace dma = sys.addressSpace("dma", busAlias2);
        rejects(IllegalStateException.class, bus::destroy, "'bus'");
        rejects(IllegalStateException.class, busAlias::destroy, "'bus-alias'");
        rejects(IllegalStateException.class, busAlias2::destroy, "'bus-alias2'");
        dma.destroy();
        busAlias2.destroy();
        busAlias.destroy();
        bus.destroy();
        assertTrue(bus.isDestroyed());
    }
}
