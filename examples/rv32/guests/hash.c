/* An open-addressing hash table: inserts, lookups that hit and miss, deletions by tombstone. */
#include "lib.h"

#define CAP (1 << 17)
#define EMPTY 0u
#define TOMB 1u
static u32 keys[CAP], vals[CAP];

static u32 hash(u32 k) {
    k ^= k >> 16;
    k *= 0x7feb352du;
    k ^= k >> 15;
    k *= 0x846ca68bu;
    k ^= k >> 16;
    return k;
}

static void put(u32 k, u32 v) {
    u32 i = hash(k) & (CAP - 1);
    while (keys[i] != EMPTY && keys[i] != TOMB && keys[i] != k) {
        i = (i + 1) & (CAP - 1);
    }
    keys[i] = k;
    vals[i] = v;
}

static int get(u32 k, u32 *v) {
    u32 i = hash(k) & (CAP - 1);
    while (keys[i] != EMPTY) {
        if (keys[i] == k) {
            *v = vals[i];
            return 1;
        }
        i = (i + 1) & (CAP - 1);
    }
    return 0;
}

static void del(u32 k) {
    u32 i = hash(k) & (CAP - 1);
    while (keys[i] != EMPTY) {
        if (keys[i] == k) {
            keys[i] = TOMB;
            return;
        }
        i = (i + 1) & (CAP - 1);
    }
}

int main(void) {
    u32 found = 0, sum = 0, missing = 0;
    for (int round = 0; round < 2 * SCALE; round++) {
        memset(keys, 0, sizeof keys);
        for (u32 i = 0; i < 80000; i++) {
            put(i * 7919u + 2, i);
        }
        for (u32 i = 0; i < 80000; i += 3) {
            del(i * 7919u + 2);
        }
        for (u32 i = 0; i < 160000; i++) {
            u32 v;
            if (get(i * 7919u + 2, &v)) {
                found++;
                sum += v;
            } else {
                missing++;
            }
        }
    }
    printf("hash: %u found, %u missing, sum %u\n", found, missing, sum);
    return 0;
}
