#include "lib.h"
#include <stdarg.h>

void putchar_(int c) {
    while ((MMIO8(UART0 + 5) & 0x20) == 0) {
        /* wait for THRE */
    }
    MMIO8(UART0) = (u8)c;
}

void puts_(const char *s) {
    while (*s) {
        putchar_(*s++);
    }
}

static void print_num(u32 v, int base, int width, int zero, int neg) {
    char buf[16];
    int n = 0;
    do {
        u32 d = v % base;
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    if (neg) {
        buf[n++] = '-';
    }
    while (n < width) {
        putchar_(zero ? '0' : ' ');
        width--;
    }
    while (n) {
        putchar_(buf[--n]);
    }
}

int printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putchar_(*fmt);
            continue;
        }
        fmt++;
        int zero = 0, width = 0;
        if (*fmt == '0') {
            zero = 1;
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        switch (*fmt) {
        case 'd': {
            i32 v = va_arg(ap, i32);
            print_num(v < 0 ? -(u32)v : (u32)v, 10, width, zero, v < 0);
            break;
        }
        case 'u': print_num(va_arg(ap, u32), 10, width, zero, 0); break;
        case 'x': print_num(va_arg(ap, u32), 16, width, zero, 0); break;
        case 'c': putchar_(va_arg(ap, int)); break;
        case 's': puts_(va_arg(ap, const char *)); break;
        case '%': putchar_('%'); break;
        default: putchar_('?'); break;
        }
    }
    va_end(ap);
    return 0;
}

void exit(int code) {
    MMIO32(SIFIVE_TEST) = code == 0 ? 0x5555u : (((u32)code << 16) | 0x3333u);
    for (;;) {
    }
}

void *memcpy(void *d, const void *s, size_t n) {
    u8 *dp = d;
    const u8 *sp = s;
    if ((((u32)dp | (u32)sp) & 3) == 0) {
        while (n >= 16) {
            u32 a = ((const u32 *)sp)[0], b = ((const u32 *)sp)[1], c = ((const u32 *)sp)[2], e = ((const u32 *)sp)[3];
            ((u32 *)dp)[0] = a;
            ((u32 *)dp)[1] = b;
            ((u32 *)dp)[2] = c;
            ((u32 *)dp)[3] = e;
            dp += 16;
            sp += 16;
            n -= 16;
        }
    }
    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}

void *memset(void *d, int c, size_t n) {
    u8 *dp = d;
    u32 w = (u8)c * 0x01010101u;
    while (n && ((u32)dp & 3)) {
        *dp++ = (u8)c;
        n--;
    }
    while (n >= 16) {
        ((u32 *)dp)[0] = w;
        ((u32 *)dp)[1] = w;
        ((u32 *)dp)[2] = w;
        ((u32 *)dp)[3] = w;
        dp += 16;
        n -= 16;
    }
    while (n--) {
        *dp++ = (u8)c;
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n) {
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y) {
            return *x - *y;
        }
    }
    return 0;
}

static u32 rand_state = 2463534242u;

void srand32(u32 seed) { rand_state = seed ? seed : 1; }

u32 rand32(void) { /* xorshift32 */
    u32 x = rand_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rand_state = x;
}

u32 fnv1a(const void *p, size_t n, u32 h) {
    const u8 *b = p;
    while (n--) {
        h = (h ^ *b++) * 16777619u;
    }
    return h;
}

__attribute__((weak)) u32 trap_handler(u32 cause, u32 epc, u32 tval, u32 *frame) {
    (void)frame;
    printf("unexpected trap: mcause %u mepc %08x mtval %08x\n", cause, epc, tval);
    exit(99);
}
