/* memcpy and memset over MiB-sized buffers; prints checksums of the results. */
#include "lib.h"

#define MIB (1024 * 1024)
static u8 a[2 * MIB], b[2 * MIB];

int main(void) {
    u32 h = 2166136261u;
    for (u32 i = 0; i < sizeof a; i += 4) {
        *(u32 *)(a + i) = i * 2654435761u;
    }
    for (int round = 0; round < 6 * SCALE; round++) {
        memset(b, round, sizeof b);
        memcpy(b + 4 * round, a, sizeof a - 64);         /* aligned when round is a multiple of ... 4 bytes */
        memcpy(a + 1, b + 3, sizeof a / 2 - 1);           /* unaligned: the byte loop */
        h = fnv1a(b + round * 4096, 256, h);
        h = fnv1a(a + round * 777, 256, h);
    }
    printf("memcpy/memset: checksum %08x\n", h);
    return 0;
}
