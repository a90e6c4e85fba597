/* CRC-32 (IEEE, reflected): bitwise and table-driven over a 256 KiB buffer. */
#include "lib.h"

#define LEN (256 * 1024)
static u8 buf[LEN];
static u32 table[256];

static u32 crc_bitwise(const u8 *p, u32 n) {
    u32 c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        }
    }
    return ~c;
}

static u32 crc_table(const u8 *p, u32 n) {
    u32 c = 0xffffffffu;
    while (n--) {
        c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    }
    return ~c;
}

int main(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        }
        table[i] = c;
    }
    srand32(4242);
    for (u32 i = 0; i < LEN; i++) {
        buf[i] = (u8)rand32();
    }
    u32 bit = crc_bitwise(buf, LEN / 4);
    u32 tab = 0;
    for (int round = 0; round < 6 * SCALE; round++) {
        tab = crc_table(buf, LEN);
        buf[round] ^= 1;
    }
    u32 check = crc_table((const u8 *)"123456789", 9);
    printf("crc: check %08x bitwise %08x table %08x\n", check, bit, tab);
    return check == 0xcbf43926u ? 0 : 1;
}
