package org.guestmem.examples.rv32.jit;

import java.util.List;
import org.guestmem.examples.rv32.cpu.Cpu;
import org.guestmem.examples.rv32.cpu.Engine;
import org.guestmem.examples.rv32.cpu.Interpreter;
import org.guestmem.examples.rv32.mem.MemoryBackend;

/**
 * {@code --jit}: the dispatcher. At each step it runs the translation with an entry at the pc,
 * or interprets one block and counts it; a block interpreted {@link CodeCache#HOT} times is
 * compiled together with the hot blocks around it ({@link RegionBuilder}). Between slices of
 * about 16,000 instructions it reports an RCU quiescent state through the backend.
 */
public final class JitEngine implements Engine {
    private static final int SLICE = 1 << 14;
    private final Cpu cpu;
    private final MemoryBackend mem;
    private final Interpreter interpreter;
    private final CodeCache cache;
    private final BlockCompiler compiler;
    private final RegionBuilder regions;
    private long compiled;
    private long compileNanos;
    private long translationRuns;
    private long interpretedBlocks;
    private long interpretedInsns;

    /** An engine running {@code cpu} over {@code mem}; it becomes the backend's code watcher. */
    public JitEngine(Cpu cpu, MemoryBackend mem) {
        this(cpu, mem, CodeCache.HOT);
    }

    /** An engine that compiles a block once it was interpreted {@code hot} times (tests use 1). */
    JitEngine(Cpu cpu, MemoryBackend mem, int hot) {
        this.cpu = cpu;
        this.mem = mem;
        this.interpreter = new Interpreter(cpu, mem);
        this.cache = new CodeCache(mem, hot);
        this.compiler = new BlockCompiler(mem);
        this.regions = new RegionBuilder(new BlockScanner(mem), cache);
        mem.setCodeWatcher(cache);
    }

    @Override
    public void run(long limit) {
        while (cpu.instret + cpu.traps < limit) {
            slice(Math.min(limit, cpu.instret + cpu.traps + SLICE));
            mem.quiescentState();
        }
    }

    /**
     * Dispatches until {@code sliceEnd}. A method of its own, called once per slice, so HotSpot
     * compiles it as a whole rather than only through on-stack replacement of a loop that never
     * returns (which, after a deoptimization, leaves the dispatcher slow until it is replaced).
     */
    private void slice(long sliceEnd) {
        while (cpu.instret + cpu.traps < sliceEnd) {
            int pc = cpu.pc;
            Translation t = cache.lookup(pc);
            if (t == null && cache.countAndCheckHot(pc)) {
                t = compile(pc);
            }
            if (t != null) {
                cpu.budget = (int) (sliceEnd - cpu.instret - cpu.traps);
                cpu.pc = t.code().run(cpu, pc);
                translationRuns++;
            } else {
                long before = cpu.instret;
                interpreter.runBlock(BlockScanner.MAX_INSNS);
                interpretedBlocks++;
                interpretedInsns += cpu.instret - before;
            }
        }
    }

    /** Compiles the region entered at {@code pc}; {@return its translation, or null if it cannot be compiled} */
    Translation compile(int pc) {
        long t0 = System.nanoTime();
        try {
            int maxInsns = RegionBuilder.MAX_INSNS;
            while (true) {
                BlockScanner.PageSet pages = new BlockScanner.PageSet();
                List<GuestBlock> blocks = regions.build(pc, pages, maxInsns);
                if (blocks.isEmpty()) {
                    cache.unwatchEmpty(pages.toArray());
                    cache.markUncompilable(pc);
                    return null;
                }
                BlockCompiler.Result r = compiler.compile(blocks);
                if (r == null) { // too big for HotSpot: fewer blocks, or none if the first alone is too big
                    cache.unwatchEmpty(pages.toArray());
                    if (blocks.size() == 1) {
                        cache.markUncompilable(pc);
                        return null;
                    }
                    maxInsns = Math.min(maxInsns, blocks.stream().mapToInt(b -> b.insns().size()).sum()) / 2;
                    continue;
                }
                if (cache.full(r.codeBytes())) {
                    cache.flush();
                    for (int p : pages.toArray()) {
                        mem.watchCode(p);
                    }
                }
                int[] read = pages.toArray();
                Translation t = new Translation(blocks, pagesOf(blocks), r.code());
                cache.add(t, r.codeBytes(), read);
                compiled++;
                return t;
            }
        } finally {
            compileNanos += System.nanoTime() - t0;
        }
    }

    private static int[] pagesOf(List<GuestBlock> blocks) {
        return blocks.stream().flatMapToInt(b -> java.util.stream.IntStream.of(b.start() & ~0xfff, (b.end() - 1) & ~0xfff))
                .distinct().toArray();
    }

    @Override
    public String stats() {
        return String.format("jit: %d translations compiled in %.1f ms (%d KiB of bytecode), %d invalidated by code writes, "
                        + "%d by memory-map changes, %d cache flushes, %d blocks left to the interpreter after repeated overwrites; "
                        + "%d translation runs, %d blocks (%d instructions) interpreted",
                compiled, compileNanos / 1e6, compiler.compiledBytes() >> 10, cache.invalidated(), cache.remapped(), cache.flushes(),
                cache.interpretedForGood(), translationRuns, interpretedBlocks, interpretedInsns);
    }

    /**
     * {@inheritDoc} Compiled code counts the loads and stores of each block it enters (one
     * {@code iinc} per block), so a block left early by a trap or a code write counts them all.
     */
    @Override
    public long memoryAccesses() {
        return interpreter.accesses() + cpu.compiledAccesses;
    }

    /** {@return the code cache, for tests} */
    CodeCache cache() {
        return cache;
    }
}
