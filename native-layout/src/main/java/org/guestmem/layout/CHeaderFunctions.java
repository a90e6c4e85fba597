package org.guestmem.layout;

/**
 * The {@code static inline} functions of {@code guestmem_layout.h}: the dispatch lookup of
 * {@link DispatchHeaderLayout}, and the softmmu TLB's probe, fill, revalidation and quiescent state
 * ({@link TlbLayout}, {@link TlbEntryLayout}) in C, so that a native JIT inlines the same sequences
 * the Java fast path uses. Tags other threads may change ({@code addr_write}, the descriptor's
 * {@code tables}) are accessed with GCC/Clang {@code __atomic} builtins.
 */
final class CHeaderFunctions {
    private CHeaderFunctions() {
    }

    /** The C text, appended after the structs. */
    static final String TEXT = """
            /* ---- dispatch: the lookup of a view's tables ---- */

            static inline const struct guestmem_section *guestmem_sections(const struct guestmem_dispatch_header *h) {
                return (const struct guestmem_section *) (const void *) ((const unsigned char *) h + h->sections_offset);
            }

            /* The only section that can cover guest address a: the last one starting at or below a (a
             * branch-free binary search of the index), or 0 when every section starts above a. */
            static inline uint32_t guestmem_section_candidate(const struct guestmem_dispatch_header *h, uint64_t a) {
                const uint64_t *index = (const uint64_t *) (const void *) ((const unsigned char *) h + h->index_offset);
                uint64_t base = 0;
                for (uint64_t half = h->index_count / 2; half > 0; half /= 2) {
                    base = index[base + half] <= a ? base + half : base;
                }
                if (h->section_count <= 1 || index[0] > a) {
                    return 0;
                }
                uint32_t s = (uint32_t) base + 1;
                return s > h->section_count - 1 ? h->section_count - 1 : s;
            }

            /* The section serving guest address a: the candidate if it covers a, else 0 (unassigned). */
            static inline uint32_t guestmem_find_section(const struct guestmem_dispatch_header *h, uint64_t a) {
                uint32_t s = guestmem_section_candidate(h, a);
                const struct guestmem_section *sections = guestmem_sections(h);
                if (s == 0 || a - sections[s].start > sections[s].size_minus_1) {
                    return 0;
                }
                return s;
            }

            /* ---- softmmu TLB: probe ---- */

            static inline struct guestmem_tlb_index *guestmem_tlb_index_of(const struct guestmem_tlb *t, uint32_t k) {
                return (struct guestmem_tlb_index *) (uintptr_t) ((uintptr_t) t + sizeof(struct guestmem_tlb)
                        + (uintptr_t) k * sizeof(struct guestmem_tlb_index));
            }

            /* The direct entry of guest address a in MMU index k (QEMU's index: the page number's low bits). */
            static inline struct guestmem_tlb_entry *guestmem_tlb_entry_of(const struct guestmem_tlb *t, uint32_t k, uint64_t a) {
                uint64_t mask = ((uint64_t) 1 << t->log2_entries) - 1;
                return (struct guestmem_tlb_entry *) (uintptr_t) (t->table
                        + ((uint64_t) k << (t->log2_entries + GUESTMEM_TLB_ENTRY_SHIFT))
                        + (((a >> t->page_bits) & mask) << GUESTMEM_TLB_ENTRY_SHIFT));
            }

            /* The second entry of guest address a in MMU index k, where a page evicted from its direct entry
             * is kept: the page number with its high part folded in. */
            static inline struct guestmem_tlb_entry *guestmem_tlb_entry_b(const struct guestmem_tlb *t, uint32_t k, uint64_t a) {
                uint64_t mask = ((uint64_t) 1 << t->log2_entries) - 1;
                uint64_t p = a >> t->page_bits;
                return (struct guestmem_tlb_entry *) (uintptr_t) (t->table
                        + ((uint64_t) k << (t->log2_entries + GUESTMEM_TLB_ENTRY_SHIFT))
                        + (((p ^ ((p >> t->log2_entries) * GUESTMEM_TLB_SECOND_WAY_FOLD)) & mask) << GUESTMEM_TLB_ENTRY_SHIFT));
            }

            /* The host address of a if tag translates an access of size bytes at a, else NULL: a flagged
             * tag, another page, or an access crossing into the next page all miss. */
            static inline void *guestmem_tlb_hit(const struct guestmem_tlb *t, const struct guestmem_tlb_entry *e,
                                                 uint64_t tag, uint64_t a, uint32_t size) {
                uint64_t page_mask = ~(((uint64_t) 1 << t->page_bits) - 1);
                if (tag != ((a + size - 1) & page_mask)) {
                    return NULL;
                }
                return (void *) (uintptr_t) (a + __atomic_load_n(&e->addend, __ATOMIC_RELAXED));
            }

            /* Host address of a load of size bytes at a through index k (its direct entry, then its second),
             * or NULL (take the slow path). */
            static inline void *guestmem_tlb_lookup_read(const struct guestmem_tlb *t, uint32_t k, uint64_t a, uint32_t size) {
                const struct guestmem_tlb_entry *e = guestmem_tlb_entry_of(t, k, a);
                void *h = guestmem_tlb_hit(t, e, __atomic_load_n(&e->addr_read, __ATOMIC_RELAXED), a, size);
                if (h == NULL) {
                    e = guestmem_tlb_entry_b(t, k, a);
                    h = guestmem_tlb_hit(t, e, __atomic_load_n(&e->addr_read, __ATOMIC_RELAXED), a, size);
                }
                return h;
            }

            /* Host address of a store; NULL also when a dirty-log bit of the page is clean (NOTDIRTY). A
             * native store through the result needs no dirty-bit update: the entry is armed only while
             * every bit the page logs for is dirty. */
            static inline void *guestmem_tlb_lookup_write(const struct guestmem_tlb *t, uint32_t k, uint64_t a, uint32_t size) {
                const struct guestmem_tlb_entry *e = guestmem_tlb_entry_of(t, k, a);
                void *h = guestmem_tlb_hit(t, e, __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED), a, size);
                if (h == NULL) {
                    e = guestmem_tlb_entry_b(t, k, a);
                    h = guestmem_tlb_hit(t, e, __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED), a, size);
                }
                return h;
            }

            /* Host address of an instruction fetch. */
            static inline void *guestmem_tlb_lookup_code(const struct guestmem_tlb *t, uint32_t k, uint64_t a, uint32_t size) {
                const struct guestmem_tlb_entry *e = guestmem_tlb_entry_of(t, k, a);
                void *h = guestmem_tlb_hit(t, e, __atomic_load_n(&e->addr_code, __ATOMIC_RELAXED), a, size);
                if (h == NULL) {
                    e = guestmem_tlb_entry_b(t, k, a);
                    h = guestmem_tlb_hit(t, e, __atomic_load_n(&e->addr_code, __ATOMIC_RELAXED), a, size);
                }
                return h;
            }

            /* ---- softmmu TLB: fill ---- */

            /* Whether page is dirty for every client of mask in the bitmap at address bitmap (its bits are
             * stored inverted: 0 = dirty). */
            static inline int guestmem_dirty_for_all(uint64_t bitmap, uint64_t pages, uint32_t mask, uint64_t page) {
                for (uint32_t c = 0; c < GUESTMEM_DIRTY_CLIENTS; c++) {
                    if ((mask & (1u << c)) != 0) {
                        const uint64_t *w = (const uint64_t *) (uintptr_t) (bitmap + GUESTMEM_DIRTY_WORD_OFFSET(pages, c, page));
                        if (((__atomic_load_n(w, __ATOMIC_ACQUIRE) >> (page % 64)) & 1) != 0) {
                            return 0;
                        }
                    }
                }
                return 1;
            }

            /* Fills index k's direct entry for the page of guest address vaddr, which the index maps to guest
             * physical address paddr (identity indexes: paddr == vaddr), from the view the index follows
             * (its descriptor part's tables), as the Java fill does: RAM (reads, fetches and stores direct;
             * stores flagged NOTDIRTY while a dirty-log bit of the page is clean), ROM and romd (reads and
             * fetches direct, stores MMIO), unassigned (everything MMIO). Returns 1 if it filled the entry,
             * 0 if the page needs Java: MMIO, IOMMU, several sections in the page, RAM without a native
             * address, checked mode, or no view yet. Owner thread only, inside a read section. */
            static inline int guestmem_tlb_fill_page(const struct guestmem_tlb *t, uint32_t k, uint64_t vaddr, uint64_t paddr) {
                const struct guestmem_tlb_index *ix = guestmem_tlb_index_of(t, k);
                const struct guestmem_dispatch_header *h =
                        (const struct guestmem_dispatch_header *) (uintptr_t) __atomic_load_n(&ix->tables, __ATOMIC_ACQUIRE);
                if (h == NULL || (t->flags & GUESTMEM_TLB_FLAG_CHECKED) != 0) {
                    return 0;
                }
                uint64_t size = (uint64_t) 1 << t->page_bits;
                uint64_t vpage = vaddr & ~(size - 1);
                uint64_t ppage = paddr & ~(size - 1);
                uint32_t c = guestmem_section_candidate(h, ppage);
                if (guestmem_section_candidate(h, ppage + size - 1) != c) {
                    return 0; /* a section starts inside the page */
                }
                const struct guestmem_section *sec = guestmem_sections(h);
                uint32_t s = c != 0 && ppage - sec[c].start <= sec[c].size_minus_1 ? c : 0;
                if (s != 0 && ppage + size - 1 - sec[s].start > sec[s].size_minus_1) {
                    return 0; /* the section ends inside the page */
                }
                uint64_t read = vpage;
                uint64_t write = vpage;
                uint64_t addend = 0;
                uint32_t mask = 0;
                uint64_t page = 0;
                switch (sec[s].kind) {
                case GUESTMEM_SECTION_KIND_RAM:
                    mask = sec[s].dirty_log_mask;
                    break;
                case GUESTMEM_SECTION_KIND_ROM:
                case GUESTMEM_SECTION_KIND_ROMD:
                    write = vpage | GUESTMEM_TLB_MMIO;
                    break;
                case GUESTMEM_SECTION_KIND_UNASSIGNED:
                    read = vpage | GUESTMEM_TLB_MMIO;
                    write = vpage | GUESTMEM_TLB_MMIO;
                    break;
                default:
                    return 0; /* MMIO and IOMMU pages need Java */
                }
                if ((read & GUESTMEM_TLB_MMIO) == 0) {
                    if ((sec[s].flags & GUESTMEM_SECTION_FLAG_NO_HOST) != 0) {
                        return 0;
                    }
                    addend = sec[s].host_addend + ppage - vpage;
                }
                if (mask != 0) {
                    page = (ppage - sec[s].start + sec[s].offset_in_region) >> t->page_bits;
                    if (!guestmem_dirty_for_all(sec[s].dirty_bitmap, sec[s].dirty_pages, mask, page)) {
                        write |= GUESTMEM_TLB_NOTDIRTY;
                    }
                }
                struct guestmem_tlb_entry *e = guestmem_tlb_entry_of(t, k, vaddr);
                __atomic_store_n(&e->addend, addend, __ATOMIC_RELAXED);
                __atomic_store_n(&e->addr_read, read, __ATOMIC_RELAXED);
                __atomic_store_n(&e->addr_code, read, __ATOMIC_RELAXED);
                __atomic_store_n(&e->addr_write, write, __ATOMIC_RELAXED);
                if (mask != 0 && write == vpage) {
                    /* armed: a clear that ran meanwhile either flags the entry or is seen here */
                    __atomic_thread_fence(__ATOMIC_SEQ_CST);
                    if (!guestmem_dirty_for_all(sec[s].dirty_bitmap, sec[s].dirty_pages, mask, page)) {
                        __atomic_fetch_or(&e->addr_write, GUESTMEM_TLB_NOTDIRTY, __ATOMIC_RELAXED);
                    }
                }
                return 1;
            }

            /* ---- softmmu TLB: following commits from a native loop ---- */

            /* If index k's address space published another view since the index's entries were filled,
             * empties the index and makes it follow the new view; returns 1 if it did. Owner thread only. */
            static inline int guestmem_tlb_revalidate(const struct guestmem_tlb *t, uint32_t k) {
                struct guestmem_tlb_index *ix = guestmem_tlb_index_of(t, k);
                const struct guestmem_publication *p = (const struct guestmem_publication *) (uintptr_t) ix->publication;
                uint64_t g = __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE);
                if (g == __atomic_load_n(&ix->generation, __ATOMIC_RELAXED)) {
                    return 0;
                }
                uint64_t tables = __atomic_load_n(&p->tables, __ATOMIC_ACQUIRE);
                struct guestmem_tlb_entry *e = (struct guestmem_tlb_entry *) (uintptr_t) (t->table
                        + ((uint64_t) k << (t->log2_entries + GUESTMEM_TLB_ENTRY_SHIFT)));
                for (uint64_t i = 0; i < ((uint64_t) 1 << t->log2_entries); i++) {
                    __atomic_store_n(&e[i].addr_read, GUESTMEM_TLB_EMPTY, __ATOMIC_RELAXED);
                    __atomic_store_n(&e[i].addr_write, GUESTMEM_TLB_EMPTY, __ATOMIC_RELAXED);
                    __atomic_store_n(&e[i].addr_code, GUESTMEM_TLB_EMPTY, __ATOMIC_RELAXED);
                }
                __atomic_store_n(&ix->generation, g, __ATOMIC_RELAXED);
                __atomic_store_n(&ix->tables, tables, __ATOMIC_SEQ_CST);
                return 1;
            }

            /* A quiescent state of the owner's read-side protocol, reported by native code (the same
             * sequence as RcuReader.quiescentState()), followed by the revalidation of every index.
             * Only where the Java side of the thread holds no RCU-protected reference either, while its
             * reader is online (quiescent-state mode) or inside a read section. */
            static inline void guestmem_rcu_quiescent_state(const struct guestmem_tlb *t) {
                struct guestmem_rcu_reader_slot *slot = (struct guestmem_rcu_reader_slot *) (uintptr_t) t->rcu_slot;
                const struct guestmem_rcu_domain *d = (const struct guestmem_rcu_domain *) (uintptr_t) t->rcu_domain;
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                __atomic_store_n(&slot->ctr, __atomic_load_n(&d->gp, __ATOMIC_ACQUIRE), __ATOMIC_RELAXED);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                for (uint32_t k = 0; k < t->mmu_indexes; k++) {
                    guestmem_tlb_revalidate(t, k);
                }
            }

            """;
}
