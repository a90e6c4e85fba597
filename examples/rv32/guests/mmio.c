/* MMIO: UART registers (reset values, scratch, divisor latch, FIFO and THRE interrupt identification,
   wide accesses), the SiFive test device, the ACLINT timer and msip, the time CSR. Prints no time value. */
#include "lib.h"

static u32 rdtime(void) {
    u32 t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

static unsigned long long mtime64(void) {
    u32 hi, lo;
    do {
        hi = MMIO32(MTIME + 4);
        lo = MMIO32(MTIME);
    } while (hi != MMIO32(MTIME + 4));
    return ((unsigned long long)hi << 32) | lo;
}

static volatile u32 sink;

static void spin(u32 n) {
    for (u32 i = 0; i < n; i++) {
        sink += i;
    }
}

int main(void) {
    puts_("mmio: hello from the UART\n");
    printf("reset: IER %02x IIR %02x LCR %02x MCR %02x LSR %02x MSR %02x SCR %02x\n", MMIO8(UART0 + 1),
           MMIO8(UART0 + 2), MMIO8(UART0 + 3), MMIO8(UART0 + 4), MMIO8(UART0 + 5), MMIO8(UART0 + 6), MMIO8(UART0 + 7));
    MMIO8(UART0 + 7) = 0x5a;
    printf("SCR after writing 5a: %02x\n", MMIO8(UART0 + 7));
    MMIO8(UART0 + 3) = 0x83;
    printf("divisor latch: %02x %02x\n", MMIO8(UART0 + 0), MMIO8(UART0 + 1));
    MMIO8(UART0 + 0) = 0x01;
    MMIO8(UART0 + 1) = 0x00;
    printf("divisor after writing 0001: %02x %02x\n", MMIO8(UART0 + 0), MMIO8(UART0 + 1));
    MMIO8(UART0 + 3) = 0x03;
    printf("LCR %02x\n", MMIO8(UART0 + 3));
    MMIO8(UART0 + 2) = 0x07;
    printf("IIR with FIFOs on: %02x\n", MMIO8(UART0 + 2));
    MMIO8(UART0 + 2) = 0x00;
    printf("IIR with FIFOs off: %02x\n", MMIO8(UART0 + 2));
    MMIO8(UART0 + 1) = 0x02;
    u32 iir1 = MMIO8(UART0 + 2);
    u32 iir2 = MMIO8(UART0 + 2);
    MMIO8(UART0 + 1) = 0x00;
    printf("IIR after enabling THRE interrupts: %02x then %02x\n", iir1, iir2);
    printf("32-bit read at +4 (MCR): %08x, 16-bit read at +6 (MSR): %04x\n", MMIO32(UART0 + 4), *(volatile u16 *)(UART0 + 6));
    printf("SiFive test device reads %08x\n", MMIO32(SIFIVE_TEST));
    MMIO32(MTIMECMP) = 0x12345678u;
    MMIO32(MTIMECMP + 4) = 0x9u;
    printf("mtimecmp reads back %08x %08x\n", MMIO32(MTIMECMP + 4), MMIO32(MTIMECMP));
    MMIO32(MSIP) = 1;
    u32 msip1 = MMIO32(MSIP);
    MMIO32(MSIP) = 0;
    printf("msip reads back %u then %u\n", msip1, MMIO32(MSIP));
    int monotonic = 1, advanced = 0;
    unsigned long long t0 = mtime64(), prev = t0;
    for (int i = 0; i < 50; i++) {
        spin(2000);
        unsigned long long t = mtime64();
        if (t < prev) {
            monotonic = 0;
        }
        prev = t;
    }
    advanced = prev > t0;
    printf("mtime monotonic: %s, advanced: %s\n", monotonic ? "yes" : "no", advanced ? "yes" : "no");
    u32 r0 = rdtime();
    spin(20000);
    u32 r1 = rdtime();
    printf("time CSR advanced: %s\n", r1 - r0 > 0 && r1 - r0 < 0x80000000u ? "yes" : "no");
    return 0;
}
