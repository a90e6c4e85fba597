/* The patching benchmark: about 1,000 instructions of work, then (unless built with PATCH=0) a store
   that rewrites the li of patch_target and a call to it, repeated. */
#include "lib.h"

#ifndef PATCH
#define PATCH 1
#endif

extern int patch_target(void);

__attribute__((noinline)) static u32 work(u32 seed) {
    u32 h = seed;
    for (int i = 0; i < 190; i++) { /* about 5 instructions an iteration */
        h = (h ^ (u32)i) * 16777619u;
    }
    return h;
}

int main(void) {
    volatile u32 *target = (volatile u32 *)(void *)patch_target;
    u32 sum = 0;
    for (u32 i = 0; i < 20000u * SCALE; i++) {
        sum += work(i);
        if (PATCH) {
            *target = ((i & 15) << 20) | 0x00000513u; /* li a0, i & 15 */
        }
        sum += (u32)patch_target();
    }
    printf("smcbench (patch %d): sum %08x\n", PATCH, sum);
    return 0;
}
