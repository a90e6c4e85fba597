/* Traps: ecall, ebreak, an illegal instruction, an unknown CSR, a write to a read-only CSR, load and
   store access faults on unassigned addresses and on device-rejected sizes, an instruction access
   fault, and misaligned RAM accesses (done, not trapped). Exits with status 7. */
#include "lib.h"

static volatile u32 traps, last_cause, last_tval, last_epc;

u32 trap_handler(u32 cause, u32 epc, u32 tval, u32 *frame) {
    (void)frame;
    traps++;
    last_cause = cause;
    last_tval = tval;
    last_epc = epc;
    if (cause == 1) { /* instruction access fault: resume at the return address the jump left in ra */
        return frame[0];
    }
    return epc + 4;
}

static void report(const char *what, u32 base) {
    printf("%s: mcause %u mtval %08x mepc %s\n", what, last_cause, last_tval,
           base == 0 ? "-" : (last_epc - base < 64 ? "in place" : "elsewhere"));
}

extern void do_ecall(void), do_ebreak(void), do_illegal(void), do_bad_csr(void), do_ro_csr(void), call_0x20(void);
__asm__(".text\n"
        ".globl do_ecall\ndo_ecall: ecall\n ret\n"
        ".globl do_ebreak\ndo_ebreak: ebreak\n ret\n"
        ".globl do_illegal\ndo_illegal: .word 0xffffffff\n ret\n"
        ".globl do_bad_csr\ndo_bad_csr: csrr a0, 0x7c0\n ret\n"
        ".globl do_ro_csr\ndo_ro_csr: csrw cycle, a0\n ret\n"
        ".globl call_0x20\ncall_0x20: addi sp, sp, -16\n sw ra, 12(sp)\n li t0, 0x20\n jalr t0\n"
        " lw ra, 12(sp)\n addi sp, sp, 16\n ret\n");

static u8 buf[16] __attribute__((aligned(8)));

int main(void) {
    u32 mstatus;
    do_ecall();
    report("ecall", (u32)do_ecall);
    do_ebreak();
    report("ebreak", (u32)do_ebreak);
    do_illegal();
    report("illegal instruction", (u32)do_illegal);
    do_bad_csr();
    report("unknown CSR 0x7c0", (u32)do_bad_csr);
    do_ro_csr();
    report("write to read-only cycle", (u32)do_ro_csr);
    u32 v = MMIO32(0x40u);
    report("load from unassigned 0x40", 0);
    printf("  the load read %08x\n", v);
    MMIO32(0x00000ff0u) = 1;
    report("store to unassigned 0xff0", 0);
    v = MMIO8(SIFIVE_TEST);
    report("1-byte load from the SiFive test device (valid 2..4)", 0);
    MMIO8(MTIMECMP) = 1;
    report("1-byte store to the ACLINT timer (valid 4..8)", 0);
    call_0x20();
    report("jump to unassigned 0x20", 0);
    __asm__ volatile("csrr %0, mstatus" : "=r"(mstatus));
    printf("mstatus MIE %u MPIE %u\n", (mstatus >> 3) & 1, (mstatus >> 7) & 1);
    u32 before = traps;
    for (int i = 0; i < 16; i++) {
        buf[i] = (u8)(i * 17 + 1);
    }
    u32 w = *(volatile u32 *)(buf + 1);
    u16 h = *(volatile u16 *)(buf + 7);
    *(volatile u32 *)(buf + 9) = 0xa1b2c3d4u;
    printf("misaligned: lw %08x lh %04x then bytes %02x %02x %02x %02x, traps %u\n", w, h, buf[9], buf[10], buf[11],
           buf[12], traps - before);
    printf("traps taken: %u\n", traps);
    return 7;
}
