package org.guestmem.tlb;

/** What a guest access does, as a {@link PageMapper} is asked (QEMU's {@code MMUAccessType}). */
public enum AccessType {
    /** A data load ({@code MMU_DATA_LOAD}); needs {@link PageMapper#READ}. */
    LOAD,
    /** A data store ({@code MMU_DATA_STORE}); needs {@link PageMapper#WRITE}. */
    STORE,
    /** An instruction fetch ({@code MMU_INST_FETCH}); needs {@link PageMapper#EXECUTE}. */
    FETCH;

    /** {@return the permission bit this access needs} */
    public int permission() {
        return switch (this) {
            case LOAD -> PageMapper.READ;
            case STORE -> PageMapper.WRITE;
            case FETCH -> PageMapper.EXECUTE;
        };
    }
}
