package org.guestmem.examples.rv32.jit;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.guestmem.examples.rv32.cpu.Alu;
import org.guestmem.examples.rv32.cpu.Cpu;
import org.guestmem.examples.rv32.cpu.Insn;
import org.guestmem.examples.rv32.cpu.Op;
import org.guestmem.examples.rv32.cpu.Trap;
import org.guestmem.examples.rv32.mem.AccessEmitter;
import org.guestmem.examples.rv32.mem.MemoryBackend;

/**
 * Compiles a list of guest blocks into one JVM method with {@code java.lang.classfile} and loads
 * it as a hidden class. The shape of the generated {@code run(Cpu c, int pc)}:
 *
 * <pre>
 *   load every guest register the blocks use from c.x into a local
 *   goto the first block (the only entry)
 *   block:  n += length;  instructions on locals;  loads and stores from the backend's emitter
 *           branch/jump to a block here: if (n &gt;= budget) exit(target) else goto that block
 *           anything else: exit(target)
 *   exit:   store the written registers to c.x;  c.instret += n;  return next pc
 * </pre>
 *
 * A load that fails or a store whose status is not 0 jumps to a small stub that records the
 * instruction's pc, then to a shared handler: a fault takes the trap ({@link Cpu#trap}) with the
 * instructions that did not retire subtracted from {@code n}; a store that only overwrote
 * translated code retires and leaves the block at the next instruction. Objects the code needs
 * (the backend's RAM segment, its TLB...) are class data, loaded with {@code ldc} of a dynamic
 * constant, which the JVM's JIT treats as a constant. An exception from a device callback (the
 * guest's exit) writes the registers back before it unwinds; {@code instret} then counts the
 * whole block.
 */
final class BlockCompiler {
    /** HotSpot does not compile methods with more bytecode than this (-XX:HugeMethodLimit). */
    static final int MAX_CODE_BYTES = 7900;
    private static final ClassDesc CD_CPU = ClassDesc.of(Cpu.class.getName());
    private static final ClassDesc CD_ALU = ClassDesc.of(Alu.class.getName());
    private static final ClassDesc CD_BASE = ClassDesc.of(CompiledBlock.class.getName());
    private static final ClassDesc CD_INT_ARRAY = CD_int.arrayType();
    private static final MethodTypeDesc MT_RUN = MethodTypeDesc.of(CD_int, CD_CPU, CD_int);
    private static final MethodTypeDesc MT_II_I = MethodTypeDesc.of(CD_int, CD_int, CD_int);
    private static final MethodTypeDesc MT_TRAP = MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int);
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    /** {@code -Drv32.jit.dump=DIR} writes every generated class file there, for {@code javap -c}. */
    private static final String DUMP = System.getProperty("rv32.jit.dump");

    private final AccessEmitter emitter;
    private long compiledBytes;

    BlockCompiler(MemoryBackend mem) {
        this.emitter = mem.emitter();
    }

    /** {@return the bytecode size of all methods compiled so far} */
    long compiledBytes() {
        return compiledBytes;
    }

    /** The compiled class and the size of its method. */
    record Result(CompiledBlock code, int codeBytes) {
    }

    /**
     * Compiles {@code blocks} (the first is the main entry). {@return the code, or null if the
     * method came out too big for HotSpot to compile}
     */
    Result compile(List<GuestBlock> blocks) {
        List<Object> data = new ArrayList<>();
        Map<Object, Integer> dataIndex = new java.util.IdentityHashMap<>();
        AccessEmitter.Context ctx = (value, type) -> {
            int i = dataIndex.computeIfAbsent(value, v -> {
                data.add(v);
                return data.size() - 1;
            });
            return DynamicConstantDesc.ofNamed(ConstantDescs.BSM_CLASS_DATA_AT, "_", classDesc(type), i);
        };
        ClassDesc self = ClassDesc.of(BlockCompiler.class.getPackageName() + ".T");
        byte[] bytes = ClassFile.of().build(self, clb -> {
            clb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER);
            clb.withSuperclass(CD_BASE);
            clb.withMethodBody(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC,
                    cb -> cb.aload(0).invokespecial(CD_BASE, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void).return_());
            clb.withMethodBody("run", MT_RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL,
                    cb -> new MethodEmitter(cb, ctx, blocks).emit());
        });
        if (DUMP != null) {
            try {
                java.nio.file.Files.write(java.nio.file.Path.of(DUMP, String.format("T_%08x.class", blocks.getFirst().start())), bytes);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        int size = codeSize(bytes);
        if (size > MAX_CODE_BYTES) {
            return null;
        }
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClassWithClassData(bytes, List.copyOf(data), true);
            CompiledBlock code = (CompiledBlock) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
            compiledBytes += size;
            return new Result(code, size);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot load the code compiled for block 0x" + Integer.toHexString(blocks.getFirst().start()), t);
        }
    }

    private static ClassDesc classDesc(Class<?> type) {
        return type.describeConstable().orElseThrow();
    }

    private static int codeSize(byte[] bytes) {
        for (MethodModel m : ClassFile.of().parse(bytes).methods()) {
            if (m.methodName().equalsString("run")) {
                return m.findAttribute(java.lang.classfile.Attributes.code()).map(CodeAttribute::codeLength).orElse(0);
            }
        }
        return 0;
    }

    /** Emits the body of {@code run} for one list of blocks. */
    private final class MethodEmitter {
        private static final int CPU = 1;
        private final CodeBuilder cb;
        private final AccessEmitter.Context ctx;
        private final List<GuestBlock> blocks;
        private final Map<Integer, Label> labels = new HashMap<>();
        private final int[] reg = new int[32];
        private final boolean[] written = new boolean[32];
        private final int xs;
        private final int n;
        private final int accesses;
        private final int budget;
        private final int exitPc;
        private final int addr;
        private final int value;
        private final int status;
        private final int target;
        private final int faultPc;
        private final int faultCorr;
        private final Label exit;
        private final Label loadFault;
        private final Label storeStatus;

        MethodEmitter(CodeBuilder cb, AccessEmitter.Context ctx, List<GuestBlock> blocks) {
            this.cb = cb;
            this.ctx = ctx;
            this.blocks = blocks;
            xs = cb.allocateLocal(java.lang.classfile.TypeKind.REFERENCE);
            n = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            accesses = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            budget = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            exitPc = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            addr = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            value = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            status = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            target = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            faultPc = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            faultCorr = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            exit = cb.newLabel();
            loadFault = cb.newLabel();
            storeStatus = cb.newLabel();
            for (GuestBlock b : blocks) {
                labels.put(b.start(), cb.newLabel());
                for (Insn i : b.insns()) {
                    use(i);
                }
            }
        }

        private void use(Insn i) {
            Op op = i.op();
            boolean hasRd = !(op.isBranch() || op.isStore() || op == Op.FENCE);
            boolean hasRs1 = op != Op.LUI && op != Op.AUIPC && op != Op.JAL && op != Op.FENCE;
            boolean hasRs2 = op.isBranch() || op.isStore() || (op.compareTo(Op.ADD) >= 0 && op.compareTo(Op.REMU) <= 0);
            if (hasRd && i.rd() != 0) {
                mark(i.rd());
                written[i.rd()] = true;
            }
            if (hasRs1 && i.rs1() != 0) {
                mark(i.rs1());
            }
            if (hasRs2 && i.rs2() != 0) {
                mark(i.rs2());
            }
        }

        private void mark(int r) {
            if (reg[r] == 0) {
                reg[r] = cb.allocateLocal(java.lang.classfile.TypeKind.INT);
            }
        }

        void emit() {
            cb.aload(CPU).getfield(CD_CPU, "x", CD_INT_ARRAY).astore(xs);
            cb.aload(CPU).getfield(CD_CPU, "budget", CD_int).istore(budget);
            for (int l : new int[] {n, accesses, exitPc, addr, value, status, target, faultPc, faultCorr}) {
                cb.iconst_0().istore(l);
            }
            for (int r = 1; r < 32; r++) {
                if (reg[r] != 0) {
                    cb.aload(xs).loadConstant(r).iaload().istore(reg[r]);
                }
            }
            Label tryStart = cb.newBoundLabel();
            cb.goto_(labels.get(blocks.getFirst().start())); // one entry: loops stay reducible for HotSpot
            for (GuestBlock b : blocks) {
                block(b);
            }
            // a load failed: the instructions from the faulting one on did not retire
            cb.labelBinding(loadFault);
            cb.iload(n).iload(faultCorr).isub().istore(n);
            cb.aload(CPU).loadConstant(Trap.LOAD_ACCESS_FAULT).iload(addr).iload(faultPc)
                    .invokevirtual(CD_CPU, "trap", MT_TRAP).istore(exitPc).goto_(exit);
            // a store's status is not 0: a fault, or translated code was overwritten
            cb.labelBinding(storeStatus);
            Label codeWritten = cb.newLabel();
            cb.iload(status).loadConstant(MemoryBackend.ERROR_BITS).iand().ifeq(codeWritten);
            cb.iload(n).iload(faultCorr).isub().istore(n);
            cb.aload(CPU).loadConstant(Trap.STORE_ACCESS_FAULT).iload(addr).iload(faultPc)
                    .invokevirtual(CD_CPU, "trap", MT_TRAP).istore(exitPc).goto_(exit);
            cb.labelBinding(codeWritten); // the store retired; stop before the next instruction
            cb.iload(n).iload(faultCorr).isub().iconst_1().iadd().istore(n);
            cb.iload(faultPc).iconst_4().iadd().istore(exitPc).goto_(exit);
            cb.labelBinding(exit);
            writeBack();
            cb.iload(exitPc).ireturn();
            // a device callback threw (the guest exited): keep the registers, then let it unwind
            Label tryEnd = exit;
            Label handler = cb.newBoundLabel();
            int thrown = cb.allocateLocal(java.lang.classfile.TypeKind.REFERENCE);
            cb.astore(thrown);
            writeBack();
            cb.aload(thrown).athrow();
            cb.exceptionCatchAll(tryStart, tryEnd, handler);
        }

        /** Stores the written registers to {@code c.x}, adds {@code n} to {@code c.instret} and the block's accesses to {@code c.compiledAccesses}. */
        private void writeBack() {
            for (int r = 1; r < 32; r++) {
                if (written[r]) {
                    cb.aload(xs).loadConstant(r).iload(reg[r]).iastore();
                }
            }
            cb.aload(CPU).dup().getfield(CD_CPU, "instret", CD_long).iload(n).i2l().ladd().putfield(CD_CPU, "instret", CD_long);
            cb.aload(CPU).dup().getfield(CD_CPU, "compiledAccesses", CD_long).iload(accesses).i2l().ladd()
                    .putfield(CD_CPU, "compiledAccesses", CD_long);
        }

        private void block(GuestBlock b) {
            cb.labelBinding(labels.get(b.start()));
            int len = b.insns().size();
            cb.iinc(n, len);
            int memOps = (int) b.insns().stream().filter(i -> i.op().isLoad() || i.op().isStore()).count();
            if (memOps > 0) {
                cb.iinc(accesses, memOps);
            }
            for (int k = 0; k < len; k++) {
                insn(b.insns().get(k), len - k);
            }
            Insn last = b.last();
            if (!last.op().endsBlock()) {
                jumpTo(b.end());
            }
        }

        private void get(int r) {
            if (r == 0) {
                cb.iconst_0();
            } else {
                cb.iload(reg[r]);
            }
        }

        private void set(int rd) {
            if (rd == 0) {
                cb.pop();
            } else {
                cb.istore(reg[rd]);
            }
        }

        /** Leaves the block for {@code pc}: inside this translation through the budget check, else to the dispatcher. */
        private void jumpTo(int pc) {
            Label l = labels.get(pc);
            if (l != null) {
                Label over = cb.newLabel();
                cb.iload(n).iload(budget).if_icmpge(over).goto_(l);
                cb.labelBinding(over);
            }
            cb.loadConstant(pc).istore(exitPc).goto_(exit);
        }

        /** Records the instruction for the shared fault/status handler and jumps there. */
        private Label stub(Insn i, int corr, Label handler) {
            Label s = cb.newLabel();
            pendingStubs.add(() -> {
                cb.labelBinding(s);
                cb.loadConstant(i.pc()).istore(faultPc).loadConstant(corr).istore(faultCorr).goto_(handler);
            });
            return s;
        }

        private final List<Runnable> pendingStubs = new ArrayList<>();

        private void flushStubs() {
            for (Runnable r : pendingStubs) {
                r.run();
            }
            pendingStubs.clear();
        }

        /** Emits {@code i}; {@code corr} is the number of instructions from {@code i} to the end of its block. */
        private void insn(Insn i, int corr) {
            Op op = i.op();
            int rd = i.rd();
            switch (op) {
                case LUI -> {
                    if (rd != 0) {
                        cb.loadConstant(i.imm()).istore(reg[rd]);
                    }
                }
                case AUIPC -> {
                    if (rd != 0) {
                        cb.loadConstant(i.pc() + i.imm()).istore(reg[rd]);
                    }
                }
                case ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI -> {
                    if (rd != 0) {
                        get(i.rs1());
                        cb.loadConstant(i.imm());
                        alu(op);
                        set(rd);
                    }
                }
                case ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND, MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU -> {
                    if (rd != 0) {
                        get(i.rs1());
                        get(i.rs2());
                        alu(op);
                        set(rd);
                    }
                }
                case FENCE -> { }
                case LB, LH, LW, LBU, LHU -> {
                    get(i.rs1());
                    cb.loadConstant(i.imm()).iadd().istore(addr);
                    int size = op == Op.LW ? 4 : (op == Op.LH || op == Op.LHU) ? 2 : 1;
                    emitter.load(cb, ctx, size, op == Op.LB || op == Op.LH, addr, stub(i, corr, loadFault));
                    set(rd);
                    flushStubsLater();
                }
                case SB, SH, SW -> {
                    get(i.rs1());
                    cb.loadConstant(i.imm()).iadd().istore(addr);
                    get(i.rs2());
                    cb.istore(value);
                    int size = op == Op.SW ? 4 : op == Op.SH ? 2 : 1;
                    emitter.store(cb, ctx, size, addr, value, status, stub(i, corr, storeStatus));
                    flushStubsLater();
                }
                case BEQ, BNE, BLT, BGE, BLTU, BGEU -> {
                    Label taken = cb.newLabel();
                    boolean unsigned = op == Op.BLTU || op == Op.BGEU;
                    get(i.rs1());
                    if (unsigned) {
                        cb.loadConstant(Integer.MIN_VALUE).ixor();
                    }
                    get(i.rs2());
                    if (unsigned) {
                        cb.loadConstant(Integer.MIN_VALUE).ixor();
                    }
                    cb.branch(switch (op) {
                        case BEQ -> Opcode.IF_ICMPEQ;
                        case BNE -> Opcode.IF_ICMPNE;
                        case BLT, BLTU -> Opcode.IF_ICMPLT;
                        default -> Opcode.IF_ICMPGE;
                    }, taken);
                    jumpTo(i.next());
                    cb.labelBinding(taken);
                    jumpTo(i.target());
                }
                case JAL -> {
                    if (rd != 0) {
                        cb.loadConstant(i.next()).istore(reg[rd]);
                    }
                    jumpTo(i.target());
                }
                case JALR -> {
                    Label aligned = cb.newLabel();
                    get(i.rs1());
                    cb.loadConstant(i.imm()).iadd().iconst_m1().iconst_1().ixor().iand().istore(target);
                    cb.iload(target).iconst_2().iand().ifeq(aligned);
                    // misaligned target (no C extension): the jalr traps without linking
                    cb.iload(n).loadConstant(corr).isub().istore(n);
                    cb.aload(CPU).loadConstant(Trap.INSN_ADDRESS_MISALIGNED).iload(target).loadConstant(i.pc())
                            .invokevirtual(CD_CPU, "trap", MT_TRAP).istore(exitPc).goto_(exit);
                    cb.labelBinding(aligned);
                    if (rd != 0) {
                        cb.loadConstant(i.next()).istore(reg[rd]);
                    }
                    cb.iload(target).istore(exitPc).goto_(exit);
                }
                default -> throw new IllegalArgumentException("cannot compile " + op + " at 0x" + Integer.toHexString(i.pc()));
            }
        }

        /** Stubs go after the instruction's fall-through code, out of the straight line. */
        private void flushStubsLater() {
            Label over = cb.newLabel();
            cb.goto_(over);
            flushStubs();
            cb.labelBinding(over);
        }

        private void alu(Op op) {
            switch (op) {
                case ADDI, ADD -> cb.iadd();
                case SUB -> cb.isub();
                case XORI, XOR -> cb.ixor();
                case ORI, OR -> cb.ior();
                case ANDI, AND -> cb.iand();
                case SLLI, SLL -> cb.ishl();
                case SRLI, SRL -> cb.iushr();
                case SRAI, SRA -> cb.ishr();
                case MUL -> cb.imul();
                case SLTI, SLT -> compare(false);
                case SLTIU, SLTU -> compare(true);
                case MULH -> cb.invokestatic(CD_ALU, "mulh", MT_II_I);
                case MULHSU -> cb.invokestatic(CD_ALU, "mulhsu", MT_II_I);
                case MULHU -> cb.invokestatic(CD_ALU, "mulhu", MT_II_I);
                case DIV -> cb.invokestatic(CD_ALU, "div", MT_II_I);
                case DIVU -> cb.invokestatic(CD_ALU, "divu", MT_II_I);
                case REM -> cb.invokestatic(CD_ALU, "rem", MT_II_I);
                case REMU -> cb.invokestatic(CD_ALU, "remu", MT_II_I);
                default -> throw new IllegalArgumentException(op.toString());
            }
        }

        /** a, b on the stack: leaves {@code a < b ? 1 : 0}, unsigned if asked. */
        private void compare(boolean unsigned) {
            if (unsigned) {
                cb.invokestatic(ClassDesc.of("java.lang.Integer"), "compareUnsigned", MT_II_I);
            } else {
                cb.invokestatic(ClassDesc.of("java.lang.Integer"), "compare", MT_II_I);
            }
            cb.bipush(31).iushr(); // negative -> 1
        }
    }
}
