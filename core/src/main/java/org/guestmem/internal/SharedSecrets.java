package org.guestmem.internal;

import java.util.Objects;
import org.guestmem.IommuRegion;
import org.guestmem.iommu.IommuNotifier;

/**
 * The few places where core classes need state that an exported feature package keeps private,
 * in the pattern of the JDK's {@code SharedSecrets}: the owning class installs an accessor from
 * its static initialiser, and the core fetches it here. This package is not exported, so users
 * of the library cannot reach the accessors.
 */
public final class SharedSecrets {
    private static volatile NotifierRegistration notifierRegistration;
    private static volatile CoreAccess coreAccess;

    private SharedSecrets() {
    }

    /** Which {@link IommuRegion} an {@link IommuNotifier} is registered on (at most one at a time). */
    public interface NotifierRegistration {
        /**
         * Registers {@code n} on {@code region} unless it is registered somewhere.
         *
         * @param n      the notifier
         * @param region the region it is being registered on
         * @return null on success, else the region that holds it
         */
        IommuRegion claim(IommuNotifier n, IommuRegion region);

        /**
         * Forgets the registration of {@code n}.
         *
         * @param n the notifier
         */
        void free(IommuNotifier n);
    }

    /**
     * Installs the accessor; called once, by {@link IommuNotifier}'s static initialiser.
     *
     * @param access the accessor
     */
    public static void setNotifierRegistration(NotifierRegistration access) {
        notifierRegistration = Objects.requireNonNull(access, "access");
    }

    /**
     * {@return the accessor} Callers hold an {@link IommuNotifier}, so its class is initialised
     * and the accessor installed.
     */
    public static NotifierRegistration notifierRegistration() {
        return notifierRegistration;
    }

    /**
     * Installs the root package's view internals for the softmmu TLB; called once, by
     * {@code AddressSpace}'s static initialiser.
     *
     * @param access the accessor
     */
    public static void setCoreAccess(CoreAccess access) {
        coreAccess = Objects.requireNonNull(access, "access");
    }

    /**
     * {@return the root package's view internals} Callers hold an {@code AddressSpace}, so its class
     * is initialised and the accessor installed.
     */
    public static CoreAccess coreAccess() {
        return coreAccess;
    }
}
