package org.guestmem;

/**
 * The result of translating an address, QEMU's {@code address_space_translate}: the section that
 * serves it, the offset within the section's region ({@code xlat}) and how many bytes the access
 * may cover.
 *
 * @param section        the section serving the address (its region is null for a hole)
 * @param offsetInRegion offset within {@code section.region()} of the translated address
 * @param length         bytes the access may cover: clamped to the end of the section for RAM and
 *                       ROM, left as requested for everything else (QEMU does not clamp MMIO,
 *                       because registers such as ports 0xcf8/0xcf9 overlap; callers split MMIO
 *                       accesses themselves)
 */
public record Translation(MemoryRegionSection section, long offsetInRegion, long length) {
}
