/* A tiny freestanding runtime for the guest programs: UART output, printf, exit, string helpers. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

typedef unsigned int u32;
typedef int i32;
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned long size_t;

#ifndef SCALE
#define SCALE 1 /* raise for benchmark builds: make SCALE=10 */
#endif

#define UART0 0x10000000u
#define SIFIVE_TEST 0x00100000u
#define MTIME 0x0200bff8u
#define MTIMECMP 0x02004000u
#define MSIP 0x02000000u

#define MMIO8(a) (*(volatile u8 *)(a))
#define MMIO32(a) (*(volatile u32 *)(a))

void putchar_(int c);
void puts_(const char *s);
int printf(const char *fmt, ...);
void exit(int code) __attribute__((noreturn));
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
u32 rand32(void);
void srand32(u32 seed);
u32 fnv1a(const void *p, size_t n, u32 h);

/* Called by the trap vector; returns the address to resume at. The default reports the trap and exits with 99. */
u32 trap_handler(u32 cause, u32 epc, u32 tval, u32 *frame);

static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

#endif
