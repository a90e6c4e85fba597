package org.guestmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.guestmem.rcu.RcuReader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test of MMIO access-size adaptation.
 *
 * <p>A reference model written here follows QEMU 7.2's C code literally:
 * {@code memory_region_access_valid} and {@code access_with_adjusted_size} with its accessors
 * ({@code softmmu/memory.c}), {@code adjust_endianness} with {@code devend_memop} (host
 * little-endian), {@code memory_region_dispatch_read/write}, {@code memory_access_size} and the
 * {@code flatview_read/write_continue} loops ({@code softmmu/physmem.c}), and the
 * {@code address_space_ld*}/{@code st*} helpers ({@code memory_ldst.c.inc}: the whole access goes
 * to {@code memory_region_dispatch_*} with {@code MO_SIZE | devend_memop(endian)}; the value of a
 * store is first truncated to its {@code uintN_t} parameter, the value of a load to its
 * {@code uintN_t} return type).
 *
 * <p>Real MMIO regions with recording ops are driven through both {@link AddressSpace} and an
 * {@link AddressSpaceAccessor} (its named fast-path methods); for every access the value returned
 * (or the bytes read), the {@link MemTxResult} and the exact sequence of ops callbacks
 * ({@code accepts}, {@code read}, {@code write} with address, size and value) must equal the
 * model's.
 *
 * <p>Combinations: device endianness BIG, LITTLE and NATIVE on a little- and on a big-endian
 * target; {@code valid} and {@code impl} minimum/maximum in {0, 1, 2, 4, 8} (0 being QEMU's
 * defaults: no size check for {@code valid.max}, 1 for {@code impl.min}, 4 for {@code impl.max};
 * {@code valid.min} 0 behaves as 1); both unaligned flags; plain callbacks without
 * {@code accepts}, and with-attrs callbacks that return errors for some accesses plus an
 * {@code accepts} veto. Typed loads and stores of 1, 2, 4 and 8 bytes in both byte orders, and
 * buffer reads and writes of 1 to 8 bytes, at offsets 0 to 7. QEMU asserts on none of these
 * combinations (nothing in {@code access_with_adjusted_size} or {@code memory_access_size}
 * asserts; the 7.2 code has no size check on {@code impl} either). The only pairs left out are
 * those with a non-zero minimum above a non-zero maximum, which
 * {@link MemoryRegionOps.Builder#valid}/{@link MemoryRegionOps.Builder#impl} reject (QEMU would
 * take them silently, {@code impl.min > impl.max} then meaning "always {@code impl.min}"; the
 * builder still lets that happen through {@code impl(8, 0)}, which is covered).
 */
class AccessSizeAdaptationModelTest {
    private static final int[] SIZES = {0, 1, 2, 4, 8};
    private static final byte UNTOUCHED = 0x5a;

    /** A {@code (min, max)} access-size pair the builder accepts. */
    record Sizes(int min, int max) {
        @Override
        public String toString() {
            return min + ".." + max;
        }
    }

    static List<Sizes> sizePairs() {
        List<Sizes> out = new ArrayList<>();
        for (int min : SIZES) {
            for (int max : SIZES) {
                if (min == 0 || max == 0 || min <= max) {
                    out.add(new Sizes(min, max));
                }
            }
        }
        return out;
    }

    /** Device endianness plus target byte order. */
    enum DeviceOrder {
        BIG(Endianness.BIG, ByteOrder.LITTLE_ENDIAN),
        LITTLE(Endianness.LITTLE, ByteOrder.LITTLE_ENDIAN),
        NATIVE_ON_LE_TARGET(Endianness.NATIVE, ByteOrder.LITTLE_ENDIAN),
        NATIVE_ON_BE_TARGET(Endianness.NATIVE, ByteOrder.BIG_ENDIAN);

        final Endianness endianness;
        final ByteOrder target;

        DeviceOrder(Endianness endianness, ByteOrder target) {
            this.endianness = endianness;
            this.target = target;
        }

        /** QEMU's {@code memory_region_big_endian(mr)}, which on a little-endian host is also "devend_memop == MO_BSWAP". */
        boolean deviceBig() {
            return endianness == Endianness.BIG || (endianness == Endianness.NATIVE && target == ByteOrder.BIG_ENDIAN);
        }
    }

    /** Which callbacks the ops have. */
    enum Callbacks {
        /** {@code read}/{@code write}, no {@code accepts}. */
        PLAIN,
        /** {@code read_with_attrs}/{@code write_with_attrs} returning errors for some accesses, and an {@code accepts} veto. */
        WITH_ATTRS
    }

    /** One ops configuration. */
    record Config(DeviceOrder order, Sizes valid, boolean validUnaligned, Sizes impl, boolean implUnaligned, Callbacks callbacks) {
        @Override
        public String toString() {
            return order + " valid=" + valid + (validUnaligned ? " unaligned" : " aligned") + " impl=" + impl
                    + (implUnaligned ? " unaligned" : " aligned") + " " + callbacks;
        }
    }

    /** One callback: {@code accepts} (value 1 if accepted), {@code read} (value returned) or {@code write} (value written). */
    record Event(String op, long addr, int size, long value) {
        @Override
        public String toString() {
            return op + "(0x" + Long.toHexString(addr) + ", " + size + ") = 0x" + Long.toHexString(value);
        }
    }

    // ------------------------------------------------------------------ the device

    /** What the device's read callback returns: all 64 bits set from (addr, size), so masking is visible. */
    static long deviceValue(long addr, int size) {
        long x = addr * 0x9E3779B97F4A7C15L + size * 0xC2B2AE3D27D4EB4FL + 0x632BE59BD9B4E019L;
        x ^= x >>> 29;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 32;
        return x;
    }

    /** What a with-attrs callback answers. */
    static MemTxResult deviceResult(long addr, int size, boolean isWrite) {
        return switch ((int) ((addr * 7 + size * 3 + (isWrite ? 5 : 0)) % 11)) {
            case 0 -> MemTxResult.ERROR;
            case 1 -> MemTxResult.ACCESS_ERROR;
            case 2 -> MemTxResult.DECODE_ERROR;
            default -> MemTxResult.OK;
        };
    }

    /** The {@code accepts} veto of WITH_ATTRS devices. */
    static boolean deviceAccepts(long addr, int size, boolean isWrite) {
        return (addr * 5 + size + (isWrite ? 2 : 0)) % 17 != 0;
    }

    static MemoryRegionOps ops(Config c, List<Event> log) {
        MemoryRegionOps.Builder b = MemoryRegionOps.builder()
                .endianness(c.order().endianness)
                .valid(c.valid().min(), c.valid().max(), c.validUnaligned())
                .impl(c.impl().min(), c.impl().max(), c.implUnaligned());
        if (c.callbacks() == Callbacks.PLAIN) {
            b.read((addr, size) -> {
                long v = deviceValue(addr, size);
                log.add(new Event("read", addr, size, v));
                return v;
            });
            b.write((addr, value, size) -> log.add(new Event("write", addr, size, value)));
        } else {
            b.readWithAttrs((addr, size, attrs, data) -> {
                long v = deviceValue(addr, size);
                log.add(new Event("read", addr, size, v));
                data[0] = v;
                return deviceResult(addr, size, false);
            });
            b.writeWithAttrs((addr, value, size, attrs) -> {
                log.add(new Event("write", addr, size, value));
                return deviceResult(addr, size, true);
            });
            b.accepts((addr, size, isWrite, attrs) -> {
                boolean ok = deviceAccepts(addr, size, isWrite);
                log.add(new Event(isWrite ? "accepts-write" : "accepts-read", addr, size, ok ? 1 : 0));
                return ok;
            });
        }
        return b.build();
    }

    // ------------------------------------------------------------------ the reference model (QEMU 7.2, literally)

    /** QEMU's model of one region's ops; records the callbacks QEMU would make. */
    static final class Model {
        final Config c;
        final List<Event> log = new ArrayList<>();
        int result;

        Model(Config c) {
            this.c = c;
        }

        /** {@code memory_region_access_valid}. */
        boolean accessValid(long addr, int size, boolean isWrite) {
            if (c.callbacks() == Callbacks.WITH_ATTRS) {
                boolean ok = deviceAccepts(addr, size, isWrite);
                log.add(new Event(isWrite ? "accepts-write" : "accepts-read", addr, size, ok ? 1 : 0));
                if (!ok) {
                    return false;
                }
            }
            if (!c.validUnaligned() && (addr & (size - 1)) != 0) {
                return false;
            }
            if (c.valid().max() == 0) {
                return true; // "Treat zero as compatibility all valid"
            }
            return !(size > c.valid().max() || size < c.valid().min());
        }

        /** {@code memory_region_dispatch_read}; {@code opBswap} is {@code op & MO_BSWAP}. Adds to {@link #result}. */
        long dispatchRead(long addr, int size, boolean opBswap) {
            if (!accessValid(addr, size, false)) {
                result |= MemTxResult.DECODE_ERROR.bits();
                return 0; // unassigned_mem_read
            }
            long[] value = {0};
            int r = accessWithAdjustedSize(addr, value, size, false);
            adjustEndianness(value, size, opBswap);
            result |= r;
            return value[0];
        }

        /** {@code memory_region_dispatch_write}. */
        void dispatchWrite(long addr, long data, int size, boolean opBswap) {
            if (!accessValid(addr, size, true)) {
                result |= MemTxResult.DECODE_ERROR.bits();
                return;
            }
            long[] value = {data};
            adjustEndianness(value, size, opBswap);
            result |= accessWithAdjustedSize(addr, value, size, true);
        }

        /** {@code adjust_endianness}: swap if {@code (op & MO_BSWAP) != devend_memop(endianness)}. */
        void adjustEndianness(long[] data, int size, boolean opBswap) {
            boolean devendBswap = c.order().deviceBig(); // host is little-endian
            if (opBswap != devendBswap) {
                data[0] = switch (size) {
                    case 1 -> data[0];
                    case 2 -> Short.reverseBytes((short) data[0]) & 0xffffL; // bswap16 of the uint16_t
                    case 4 -> Integer.reverseBytes((int) data[0]) & 0xffff_ffffL;
                    case 8 -> Long.reverseBytes(data[0]);
                    default -> throw new AssertionError("g_assert_not_reached");
                };
            }
        }

        /** {@code access_with_adjusted_size} with the read or write accessor. */
        int accessWithAdjustedSize(long addr, long[] value, int size, boolean write) {
            int accessSizeMin = c.impl().min() == 0 ? 1 : c.impl().min();
            int accessSizeMax = c.impl().max() == 0 ? 4 : c.impl().max();
            int accessSize = Math.max(Math.min(size, accessSizeMax), accessSizeMin);
            long accessMask = accessSize == 8 ? -1L : (1L << (accessSize * 8)) - 1; // MAKE_64BIT_MASK(0, access_size * 8)
            int r = 0;
            for (int i = 0; i < size; i += accessSize) {
                // (unsigned)(size - access_size - i) * 8 converted to "signed shift"
                int shift = c.order().deviceBig() ? (size - accessSize - i) * 8 : i * 8;
                if (write) {
                    long tmp = shift >= 0 ? (value[0] >>> shift) & accessMask : (value[0] << -shift) & accessMask;
                    log.add(new Event("write", addr + i, accessSize, tmp));
                    if (c.callbacks() == Callbacks.WITH_ATTRS) {
                        r |= deviceResult(addr + i, accessSize, true).bits();
                    }
                } else {
                    long tmp = deviceValue(addr + i, accessSize);
                    log.add(new Event("read", addr + i, accessSize, tmp));
                    if (c.callbacks() == Callbacks.WITH_ATTRS) {
                        r |= deviceResult(addr + i, accessSize, false).bits();
                    }
                    value[0] |= shift >= 0 ? (tmp & accessMask) << shift : (tmp & accessMask) >>> -shift;
                }
            }
            return r;
        }

        /** {@code memory_access_size(mr, l, addr)}. */
        int memoryAccessSize(long l, long addr) {
            int accessSizeMax = c.valid().max() == 0 ? 4 : c.valid().max();
            if (!c.implUnaligned()) {
                int alignSizeMax = (int) (addr & -addr); // unsigned int
                if (alignSizeMax != 0 && Integer.compareUnsigned(alignSizeMax, accessSizeMax) < 0) {
                    accessSizeMax = alignSizeMax;
                }
            }
            if (l > accessSizeMax) {
                l = accessSizeMax;
            }
            return Integer.highestOneBit((int) l); // pow2floor
        }

        /** {@code address_space_ld*}: the whole access to the region, truncated to the return type. */
        long load(long addr, int size, boolean bigEndian) {
            long v = dispatchRead(addr, size, bigEndian); // MO_SIZE | devend_memop(endian), host LE: BE means MO_BSWAP
            return size == 8 ? v : v & ((1L << (size * 8)) - 1);
        }

        /** {@code address_space_st*}: the value parameter is {@code uintN_t}. */
        void store(long addr, int size, long value, boolean bigEndian) {
            long val = size == 8 ? value : value & ((1L << (size * 8)) - 1);
            dispatchWrite(addr, val, size, bigEndian);
        }

        /** {@code flatview_read_continue} over one MMIO region covering all the bytes. */
        void read(long addr, byte[] buf) {
            int pos = 0;
            long len = buf.length;
            while (len > 0) {
                int l = memoryAccessSize(len, addr);
                long val = dispatchRead(addr, l, false); // size_memop(l): host order
                for (int k = 0; k < l; k++) {
                    buf[pos + k] = (byte) (val >>> (8 * k)); // stn_he_p, host little-endian
                }
                len -= l;
                pos += l;
                addr += l;
            }
        }

        /** {@code flatview_write_continue} over one MMIO region. */
        void write(long addr, byte[] buf) {
            int pos = 0;
            long len = buf.length;
            while (len > 0) {
                int l = memoryAccessSize(len, addr);
                long val = 0;
                for (int k = 0; k < l; k++) {
                    val |= (buf[pos + k] & 0xffL) << (8 * k); // ldn_he_p
                }
                dispatchWrite(addr, val, l, false);
                len -= l;
                pos += l;
                addr += l;
            }
        }
    }

    // ------------------------------------------------------------------ driving the real thing

    static Stream<Arguments> validConfigurations() {
        List<Arguments> out = new ArrayList<>();
        for (DeviceOrder o : DeviceOrder.values()) {
            for (Sizes v : sizePairs()) {
                for (boolean vu : new boolean[] {false, true}) {
                    out.add(Arguments.of(o, v, vu));
                }
            }
        }
        return out.stream();
    }

    /** The outcome of one access: value (or bytes), result and callbacks. */
    record Outcome(String value, MemTxResult result, List<Event> events) {
    }

    @ParameterizedTest(name = "{0} valid={1} validUnaligned={2}")
    @MethodSource("validConfigurations")
    void everyAccessShouldGiveQemusValueResultAndCallbacks(DeviceOrder order, Sizes valid, boolean validUnaligned) {
        List<Config> configs = new ArrayList<>();
        for (Sizes impl : sizePairs()) {
            for (boolean iu : new boolean[] {false, true}) {
                for (Callbacks cb : Callbacks.values()) {
                    configs.add(new Config(order, valid, validUnaligned, impl, iu, cb));
                }
            }
        }
        List<String> mismatches = new ArrayList<>();
        long accesses = 0;
        try (MemorySystem sys = MemorySystem.builder().targetByteOrder(order.target).build()) {
            ContainerRegion root = sys.container("system", MemoryRegion.SIZE_2_64);
            List<List<Event>> logs = new ArrayList<>();
            try (MemoryTransaction tx = sys.begin()) {
                for (int i = 0; i < configs.size(); i++) {
                    List<Event> log = new ArrayList<>();
                    logs.add(log);
                    root.addSubregion(sys.mmio("dev" + i, 0x1000, ops(configs.get(i), log)), base(i));
                }
            }
            AddressSpace as = sys.addressSpace("memory", root);
            try (RcuReader reader = sys.rcu().register()) {
                AddressSpaceAccessor acc = as.accessor(reader);
                reader.enter();
                try {
                    for (int i = 0; i < configs.size(); i++) {
                        Config c = configs.get(i);
                        List<Event> log = logs.get(i);
                        for (GuestMemory m : new GuestMemory[] {as, acc}) {
                            String path = m == as ? "AddressSpace" : "AddressSpaceAccessor";
                            for (int off = 0; off < 8; off++) {
                                for (int size : new int[] {1, 2, 4, 8}) {
                                    for (boolean be : new boolean[] {false, true}) {
                                        if (size == 1 && be) {
                                            continue; // ldub/stb have no byte order
                                        }
                                        long value = 0xF1E2D3C4B5A69788L ^ (off * 0x0101010101010101L);
                                        String what = c + " | " + path + " " + (be ? "BE" : "LE") + " size " + size + " offset " + off;

                                        Model model = new Model(c);
                                        long want = model.load(off, size, be);
                                        log.clear();
                                        Outcome got = typedLoad(m, base(i) + off, size, be, log);
                                        compare(mismatches, "load " + what, new Outcome(hex(want), MemTxResult.ofBits(model.result), model.log), got);

                                        model = new Model(c);
                                        model.store(off, size, value, be);
                                        log.clear();
                                        MemTxResult r = typedStore(m, base(i) + off, size, value, be);
                                        compare(mismatches, "store 0x" + Long.toHexString(value) + " " + what,
                                                new Outcome("", MemTxResult.ofBits(model.result), model.log), new Outcome("", r, List.copyOf(log)));
                                        accesses += 2;
                                    }
                                }
                                for (int len = 1; len <= 8; len++) {
                                    String what = c + " | " + path + " buffer of " + len + " at offset " + off;
                                    Model model = new Model(c);
                                    byte[] want = new byte[len];
                                    Arrays.fill(want, UNTOUCHED);
                                    model.read(off, want);
                                    byte[] got = new byte[len];
                                    Arrays.fill(got, UNTOUCHED);
                                    log.clear();
                                    MemTxResult r = m.read(base(i) + off, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(got));
                                    compare(mismatches, "read " + what, new Outcome(HexFormat.of().formatHex(want), MemTxResult.ofBits(model.result), model.log),
                                            new Outcome(HexFormat.of().formatHex(got), r, List.copyOf(log)));

                                    byte[] data = new byte[len];
                                    for (int k = 0; k < len; k++) {
                                        data[k] = (byte) (0xA0 + 0x11 * k + off);
                                    }
                                    model = new Model(c);
                                    model.write(off, data);
                                    log.clear();
                                    r = m.write(base(i) + off, MemTxAttrs.UNSPECIFIED, MemorySegment.ofArray(data.clone()));
                                    compare(mismatches, "write " + HexFormat.of().formatHex(data) + " " + what,
                                            new Outcome("", MemTxResult.ofBits(model.result), model.log), new Outcome("", r, List.copyOf(log)));
                                    accesses += 2;
                                }
                            }
                        }
                    }
                } finally {
                    reader.exit();
                }
            }
        }
        assertEquals(configs.size() * 2L * 8 * (7 * 2 + 8 * 2), accesses, "accesses made");
        if (!mismatches.isEmpty()) {
            fail(mismatches.size() + " of " + accesses + " accesses differ from QEMU's rules; the first "
                    + Math.min(25, mismatches.size()) + ":\n" + String.join("\n", mismatches.subList(0, Math.min(25, mismatches.size()))));
        }
    }

    private static long base(int i) {
        return 0x1_0000L + i * 0x1000L;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static Outcome typedLoad(GuestMemory m, long addr, int size, boolean be, List<Event> log) {
        if (m instanceof AddressSpaceAccessor acc) {
            long v = switch (size) {
                case 1 -> acc.ld8(addr);
                case 2 -> be ? acc.ld16be(addr) : acc.ld16le(addr);
                case 4 -> be ? acc.ld32be(addr) : acc.ld32le(addr);
                default -> be ? acc.ld64be(addr) : acc.ld64le(addr);
            };
            return new Outcome(hex(v), acc.lastResult(), List.copyOf(log));
        }
        MemTxResult[] r = new MemTxResult[1];
        long v = m.load(addr, size, be ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED, r);
        return new Outcome(hex(v), r[0], List.copyOf(log));
    }

    private static MemTxResult typedStore(GuestMemory m, long addr, int size, long value, boolean be) {
        if (m instanceof AddressSpaceAccessor acc) {
            return switch (size) {
                case 1 -> acc.st8(addr, value);
                case 2 -> be ? acc.st16be(addr, value) : acc.st16le(addr, value);
                case 4 -> be ? acc.st32be(addr, value) : acc.st32le(addr, value);
                default -> be ? acc.st64be(addr, value) : acc.st64le(addr, value);
            };
        }
        return m.store(addr, size, value, be ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, MemTxAttrs.UNSPECIFIED);
    }

    private static void compare(List<String> mismatches, String what, Outcome want, Outcome got) {
        if (!want.value().equals(got.value()) || want.result() != got.result() || !want.events().equals(got.events())) {
            mismatches.add(what + "\n    QEMU:     " + want.value() + " " + want.result() + " " + want.events()
                    + "\n    guestmem: " + got.value() + " " + got.result() + " " + got.events());
        }
    }
}
