package org.guestmem.examples.rv32.cpu;

import org.guestmem.examples.rv32.mem.MemoryBackend;

/**
 * Executes one instruction at a time: fetch through the {@link MemoryBackend}, decode, execute.
 * No decoded-instruction cache, so a store into code is seen by the next fetch without any
 * bookkeeping. Every instruction the JIT does not compile (CSR accesses, {@code ecall},
 * {@code mret}, illegal instructions, cold code) runs here.
 */
public final class Interpreter {
    private final Cpu cpu;
    private final MemoryBackend mem;
    private long accesses;

    /** An interpreter of {@code cpu} over {@code mem}. */
    public Interpreter(Cpu cpu, MemoryBackend mem) {
        this.cpu = cpu;
        this.mem = mem;
    }

    /**
     * Runs instructions until one ends a basic block (a jump, branch, system instruction or trap)
     * or {@code max} instructions were executed.
     */
    public void runBlock(int max) {
        for (int i = 0; i < max; i++) {
            if (step()) {
                return;
            }
        }
    }

    /** {@return the fetches, loads and stores made so far} */
    public long accesses() {
        return accesses;
    }

    private boolean trap(int cause, int tval, int pc) {
        cpu.pc = cpu.trap(cause, tval, pc);
        return true;
    }

    /** An illegal instruction: {@code mtval} holds its bits, as QEMU 7.2 reports them. */
    private boolean illegal(int pc, int insn) {
        return trap(Trap.ILLEGAL_INSTRUCTION, insn, pc);
    }

    /**
     * Executes the instruction at {@code cpu.pc}. {@return whether it ended a basic block: a
     * control transfer, a system instruction or a trap}
     */
    public boolean step() {
        final int pc = cpu.pc;
        long w = mem.fetch32(pc);
        accesses++;
        if (MemoryBackend.failed(w)) {
            return trap(Trap.INSN_ACCESS_FAULT, pc, pc);
        }
        final int insn = (int) w;
        final int[] x = cpu.x;
        final int rd = (insn >>> 7) & 31;
        final int rs1 = (insn >>> 15) & 31;
        final int rs2 = (insn >>> 20) & 31;
        final int f3 = (insn >>> 12) & 7;
        final int f7 = insn >>> 25;
        int v;
        switch (insn & 0x7f) {
            case 0x37 -> v = insn & 0xfffff000; // lui
            case 0x17 -> v = pc + (insn & 0xfffff000); // auipc
            case 0x6f -> { // jal
                int target = pc + Decoder.immJ(insn);
                if ((target & 3) != 0) {
                    return trap(Trap.INSN_ADDRESS_MISALIGNED, target, pc);
                }
                if (rd != 0) {
                    x[rd] = pc + 4;
                }
                cpu.pc = target;
                cpu.instret++;
                return true;
            }
            case 0x67 -> { // jalr
                if (f3 != 0) {
                    return illegal(pc, insn);
                }
                int target = (x[rs1] + (insn >> 20)) & ~1;
                if ((target & 3) != 0) {
                    return trap(Trap.INSN_ADDRESS_MISALIGNED, target, pc);
                }
                if (rd != 0) {
                    x[rd] = pc + 4;
                }
                cpu.pc = target;
                cpu.instret++;
                return true;
            }
            case 0x63 -> { // branches
                int a = x[rs1];
                int b = x[rs2];
                boolean taken;
                switch (f3) {
                    case 0 -> taken = a == b;
                    case 1 -> taken = a != b;
                    case 4 -> taken = a < b;
                    case 5 -> taken = a >= b;
                    case 6 -> taken = Integer.compareUnsigned(a, b) < 0;
                    case 7 -> taken = Integer.compareUnsigned(a, b) >= 0;
                    default -> {
                        return illegal(pc, insn);
                    }
                }
                int next = pc + 4;
                if (taken) {
                    next = pc + Decoder.immB(insn);
                    if ((next & 3) != 0) {
                        return trap(Trap.INSN_ADDRESS_MISALIGNED, next, pc);
                    }
                }
                cpu.pc = next;
                cpu.instret++;
                return true;
            }
            case 0x03 -> { // loads
                int addr = x[rs1] + (insn >> 20);
                accesses++;
                long r;
                switch (f3) {
                    case 0, 4 -> r = mem.ld8(addr);
                    case 1, 5 -> r = mem.ld16(addr);
                    case 2 -> r = mem.ld32(addr);
                    default -> {
                        return illegal(pc, insn);
                    }
                }
                if (MemoryBackend.failed(r)) {
                    return trap(Trap.LOAD_ACCESS_FAULT, addr, pc);
                }
                v = switch (f3) {
                    case 0 -> (byte) r;
                    case 1 -> (short) r;
                    default -> (int) r;
                };
            }
            case 0x23 -> { // stores
                int addr = x[rs1] + Decoder.immS(insn);
                accesses++;
                int s = switch (f3) {
                    case 0 -> mem.st8(addr, x[rs2]);
                    case 1 -> mem.st16(addr, x[rs2]);
                    case 2 -> mem.st32(addr, x[rs2]);
                    default -> -1;
                };
                if (s == -1) {
                    return illegal(pc, insn);
                }
                if ((s & MemoryBackend.ERROR_BITS) != 0) {
                    return trap(Trap.STORE_ACCESS_FAULT, addr, pc);
                }
                cpu.pc = pc + 4;
                cpu.instret++;
                return false;
            }
            case 0x13 -> { // op-imm
                int a = x[rs1];
                int imm = insn >> 20;
                switch (f3) {
                    case 0 -> v = a + imm;
                    case 2 -> v = a < imm ? 1 : 0;
                    case 3 -> v = Integer.compareUnsigned(a, imm) < 0 ? 1 : 0;
                    case 4 -> v = a ^ imm;
                    case 6 -> v = a | imm;
                    case 7 -> v = a & imm;
                    case 1 -> {
                        if (f7 != 0) {
                            return illegal(pc, insn);
                        }
                        v = a << rs2;
                    }
                    default -> { // 5
                        if (f7 == 0) {
                            v = a >>> rs2;
                        } else if (f7 == 0x20) {
                            v = a >> rs2;
                        } else {
                            return illegal(pc, insn);
                        }
                    }
                }
            }
            case 0x33 -> { // op
                int a = x[rs1];
                int b = x[rs2];
                if (f7 == 0) {
                    v = switch (f3) {
                        case 0 -> a + b;
                        case 1 -> a << b;
                        case 2 -> a < b ? 1 : 0;
                        case 3 -> Integer.compareUnsigned(a, b) < 0 ? 1 : 0;
                        case 4 -> a ^ b;
                        case 5 -> a >>> b;
                        case 6 -> a | b;
                        default -> a & b;
                    };
                } else if (f7 == 0x20 && f3 == 0) {
                    v = a - b;
                } else if (f7 == 0x20 && f3 == 5) {
                    v = a >> b;
                } else if (f7 == 1) {
                    v = switch (f3) {
                        case 0 -> a * b;
                        case 1 -> Alu.mulh(a, b);
                        case 2 -> Alu.mulhsu(a, b);
                        case 3 -> Alu.mulhu(a, b);
                        case 4 -> Alu.div(a, b);
                        case 5 -> Alu.divu(a, b);
                        case 6 -> Alu.rem(a, b);
                        default -> Alu.remu(a, b);
                    };
                } else {
                    return illegal(pc, insn);
                }
            }
            case 0x0f -> { // fence, fence.i
                if (f3 == 0) {
                    cpu.pc = pc + 4;
                    cpu.instret++;
                    return false;
                }
                if (f3 == 1) {
                    cpu.pc = pc + 4;
                    cpu.instret++;
                    return true;
                }
                return illegal(pc, insn);
            }
            case 0x73 -> {
                return system(insn, pc, rd, rs1, f3);
            }
            default -> {
                return illegal(pc, insn);
            }
        }
        if (rd != 0) {
            x[rd] = v;
        }
        cpu.pc = pc + 4;
        cpu.instret++;
        return false;
    }

    /** ecall, ebreak, mret, wfi and the CSR instructions; always ends a block. */
    private boolean system(int insn, int pc, int rd, int rs1, int f3) {
        if (f3 == 0) {
            switch (insn) {
                case 0x00000073 -> {
                    return trap(Trap.ECALL_M, 0, pc);
                }
                case 0x00100073 -> {
                    return trap(Trap.BREAKPOINT, 0, pc);
                }
                case 0x30200073 -> { // mret
                    cpu.pc = cpu.csrs().mret();
                    cpu.instret++;
                    return true;
                }
                case 0x10500073 -> { // wfi: no interrupts are modelled, so a no-op
                    cpu.pc = pc + 4;
                    cpu.instret++;
                    return true;
                }
                default -> {
                    return illegal(pc, insn);
                }
            }
        }
        if (f3 == 4) {
            return illegal(pc, insn);
        }
        int csr = insn >>> 20;
        Csrs csrs = cpu.csrs();
        if (!Csrs.exists(csr)) {
            return illegal(pc, insn);
        }
        int src = (f3 & 4) != 0 ? rs1 : cpu.x[rs1];
        int op = f3 & 3; // 1 write, 2 set, 3 clear
        boolean writes = op == 1 || rs1 != 0;
        if (writes && Csrs.readOnly(csr)) {
            return illegal(pc, insn);
        }
        int old = (op == 1 && rd == 0) ? 0 : csrs.read(csr);
        if (writes) {
            csrs.write(csr, switch (op) {
                case 1 -> src;
                case 2 -> old | src;
                default -> old & ~src;
            });
        }
        if (rd != 0) {
            cpu.x[rd] = old;
        }
        cpu.pc = pc + 4;
        cpu.instret++;
        return true;
    }
}
