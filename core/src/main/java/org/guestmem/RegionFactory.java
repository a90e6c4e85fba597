package org.guestmem;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;
import org.guestmem.internal.AnonymousMemory;
import org.guestmem.internal.Hex;
import org.guestmem.internal.RamBlock;
import org.guestmem.iommu.IommuOps;

/**
 * Creates regions of one {@link MemorySystem} with a given owner (QEMU's {@code owner} argument
 * of every {@code memory_region_init_*}). Obtain one with {@link MemorySystem#owned(Object)};
 * the system's own factory methods create owner-less regions. New regions are enabled, unmapped,
 * at address 0 with priority 0. Thread-safe (creation takes the update lock).
 */
public final class RegionFactory {
    private final RegionContext context;
    private final Object owner;

    RegionFactory(RegionContext context, Object owner) {
        this.context = context;
        this.owner = owner;
    }

    /** {@return the owner given to every region this factory creates (may be null)} */
    public Object owner() {
        return owner;
    }

    /**
     * {@return a pure container of {@code size} bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup>)}
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @throws IllegalArgumentException if {@code size} is 0
     */
    public ContainerRegion container(String name, long size) {
        return context.create(() -> new ContainerRegion(context, owner, name, size));
    }

    /**
     * {@return a RAM region with a new zero-filled RAM block of {@code size} bytes}
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @throws IllegalArgumentException if {@code size} is 0 or does not fit a {@code long} (RAM
     *                                  blocks hold at most 2<sup>63</sup>-1 bytes)
     */
    public RamRegion ram(String name, long size) {
        return context.create(() -> new RamRegion(context, owner, name, newBlock(name, size), false));
    }

    /**
     * {@return a ROM region (RAM with the readonly flag) with a new zero-filled block; fill it
     * through {@link RamRegion#segment()}}
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @throws IllegalArgumentException as {@link #ram(String, long)}
     */
    public RamRegion rom(String name, long size) {
        return context.create(() -> new RamRegion(context, owner, name, newBlock(name, size), true));
    }

    /**
     * {@return a RAM region over caller-owned memory (QEMU's {@code memory_region_init_ram_ptr});
     * guestmem never frees it}
     *
     * @param name the region's name (may be null)
     * @param segment the caller's memory, never freed by guestmem
     * @throws IllegalArgumentException if the segment is empty or read-only
     */
    public RamRegion ramFromSegment(String name, MemorySegment segment) {
        return context.create(() -> new RamRegion(context, owner, name,
                RamBlock.wrap(name, segment, context.pageBits, context.memory.checkedRam(), context.memory.reclaimer()), false));
    }

    /**
     * {@return a RAM region mapping the first {@code size} bytes of {@code file} (extended if
     * shorter); with {@code shared} the guest's writes reach the file (QEMU's
     * {@code memory_region_init_ram_from_file} with {@code RAM_SHARED})}
     *
     * @param name the region's name (may be null)
     * @param file the file to map
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @param shared whether the guest's writes reach the file
     * @throws java.io.UncheckedIOException if the file cannot be opened or mapped
     */
    public RamRegion ramFromFile(String name, Path file, long size, boolean shared) {
        Objects.requireNonNull(file, "file");
        return context.create(() -> new RamRegion(context, owner, name,
                RamBlock.mapFile(name, file, size, shared, context.pageBits, context.memory.reclaimer()), false));
    }

    /**
     * {@return an MMIO region whose accesses go to {@code ops}}
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @param ops the device's callbacks and access rules
     */
    public MmioRegion mmio(String name, long size, MemoryRegionOps ops) {
        return context.create(() -> new MmioRegion(context, owner, name, size, ops));
    }

    /**
     * {@return a ROM device: reads from a new zero-filled block in romd mode, writes to {@code ops}}
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @param ops the device's callbacks and access rules
     */
    public RomDeviceRegion romDevice(String name, long size, MemoryRegionOps ops) {
        Objects.requireNonNull(ops, "ops");
        return context.create(() -> new RomDeviceRegion(context, owner, name, newBlock(name, size), ops));
    }

    /**
     * {@return an alias showing {@code target}'s {@code [offset, offset + size)}}
     *
     * @param name the region's name (may be null)
     * @param target the region shown
     * @param offset the offset within the target of the alias's first byte
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @throws IllegalArgumentException if the window does not fit the target, or the target
     *                                  belongs to another system
     * @throws IllegalStateException    if the target was destroyed
     */
    public AliasRegion alias(String name, MemoryRegion target, long offset, long size) {
        Objects.requireNonNull(target, "target");
        return context.create(() -> {
            if (target.context != context) {
                throw new IllegalArgumentException("cannot create alias '" + name + "' of " + MemoryRegion.describe(target)
                        + ": it belongs to another memory system");
            }
            target.checkAlive();
            return new AliasRegion(context, owner, name, target, offset, size);
        });
    }

    /**
     * {@return an IOMMU region of {@code size} bytes whose accesses {@code ops} translates (QEMU's
     * {@code memory_region_init_iommu})}
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     * @param ops the device's callbacks and access rules
     */
    public IommuRegion iommu(String name, long size, IommuOps ops) {
        Objects.requireNonNull(ops, "ops");
        return context.create(() -> new IommuRegion(context, owner, name, size, ops));
    }

    /**
     * {@return a reservation: claims its range and answers like a hole}
     *
     * @param name the region's name (may be null)
     * @param size the size in bytes ({@link MemoryRegion#SIZE_2_64} for 2<sup>64</sup> where the kind allows it)
     */
    public ReservationRegion reservation(String name, long size) {
        return context.create(() -> new ReservationRegion(context, owner, name, size));
    }

    private RamBlock newBlock(String name, long size) {
        long s1 = RegionExtent.sizeMinusOne(size, name);
        if (s1 < 0) {
            throw new IllegalArgumentException("region '" + name + "': RAM blocks hold at most 0x7fffffffffffffff bytes, got "
                    + Hex.ofSizeMinusOne(s1));
        }
        try {
            return RamBlock.allocate(name, s1 + 1, context.pageBits, context.memory.checkedRam(), context.memory.reclaimer());
        } catch (AnonymousMemory.MappingFailure e) {
            throw new RamReservationException(name, s1 + 1, e.errno(), e);
        }
    }
}
