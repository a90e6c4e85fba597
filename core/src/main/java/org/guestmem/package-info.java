/**
 * The memory API: {@link org.guestmem.MemorySystem} (one machine's memory), the region kinds
 * (sealed {@link org.guestmem.MemoryRegion}), {@link org.guestmem.AddressSpace},
 * {@link org.guestmem.MemoryTransaction}, {@link org.guestmem.FlatView} and
 * {@link org.guestmem.FlatRange}, and the access path.
 *
 * <h2 id="nulls">Null handling</h2>
 * Unless a parameter is documented as nullable, passing null throws {@link NullPointerException},
 * before anything changes: a {@link java.nio.ByteOrder} like a {@link org.guestmem.MemTxAttrs}
 * (there is no default byte order or attribute set behind a null). Region names may be null (QEMU
 * prints them as {@code (null)}), and so may the result array of
 * {@link org.guestmem.GuestMemory#load}.
 *
 * <h2 id="addresses">Addresses</h2>
 * Addresses, offsets and sizes are {@code long}s read as unsigned 64-bit values. Messages print
 * them in hex.
 *
 * <h2 id="ordering">Memory ordering, in one table</h2>
 * <table class="striped">
 * <caption>Shared state and its access modes</caption>
 * <thead><tr><th>state</th><th>writer</th><th>write</th><th>read</th></tr></thead>
 * <tbody>
 * <tr><td>region attributes and subregion lists</td><td>update-lock holder</td><td>plain, under the lock</td><td>under the lock</td></tr>
 * <tr><td>{@code AddressSpace} current view</td><td>update-lock holder (commit)</td><td>release</td><td>acquire</td></tr>
 * <tr><td>{@code FlatView} contents</td><td>the renderer, before publication</td><td>plain (final fields)</td><td>after the acquire load</td></tr>
 * <tr><td>{@code FlatView} and RAM-block reference counts</td><td>any thread</td><td>compare-and-exchange loop</td><td>volatile</td></tr>
 * </tbody>
 * </table>
 * The RCU protocol is described in {@link org.guestmem.rcu.RcuDomain} and
 * {@code docs/concurrency.md}.
 */
package org.guestmem;
