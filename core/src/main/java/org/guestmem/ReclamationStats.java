package org.guestmem;

/**
 * What a {@link MemorySystem} has reclaimed and what still waits, read by
 * {@link MemorySystem#reclamationStats()}: how a user (or a test) sees, without reflection,
 * whether freeing keeps up with a writer that destroys RAM. See {@code docs/lifetimes.md}, "What
 * bounds memory under churn".
 *
 * <p>A RAM block <em>waits for reclamation</em> from the moment its region is
 * {@linkplain MemoryRegion#destroy() destroyed} until its memory is returned to the host: while
 * the views that mapped it wait for their grace period, while a counted reference (an
 * {@link AddressSpace.RetainedView}, a {@link DmaMapping}, a {@link MemoryRegionCache}) still
 * holds a view or the block, and while its memory is being unmapped. Byte counts are native bytes:
 * the block's memory (for memory guestmem allocated) and its dirty bitmaps. The numbers are read
 * one after the other, not as one atomic snapshot.
 *
 * @param pendingBlocks     RAM blocks whose region was destroyed and whose memory is not returned yet
 * @param pendingBytes      the native bytes of those blocks
 * @param freedBlocks       RAM blocks whose memory was returned since the system was created
 *                          (destroyed ones and, at {@link MemorySystem#close()}, the rest)
 * @param freedBytes        the native bytes returned with them
 * @param gracePeriods      RCU grace periods completed by the system's domain
 * @param backpressureWaits how many times a writer waited for reclamation because more than
 *                          {@code backlogLimit} bytes were pending
 * @param backlogLimit      the bound in force now (see {@link MemorySystemBuilder#reclamationBacklog})
 */
public record ReclamationStats(long pendingBlocks, long pendingBytes, long freedBlocks, long freedBytes,
                               long gracePeriods, long backpressureWaits, long backlogLimit) {
}
