/* Sieve of Eratosthenes up to 1,000,000, repeated. */
#include "lib.h"

#define N 1000000
static u8 composite[N + 1];

int main(void) {
    u32 count = 0;
    for (int round = 0; round < 2 * SCALE; round++) {
        memset(composite, 0, sizeof composite);
        count = 0;
        for (u32 i = 2; i <= N; i++) {
            if (!composite[i]) {
                count++;
                for (u32 j = i * 2; j <= N; j += i) {
                    composite[j] = 1;
                }
            }
        }
    }
    u32 last = 0;
    for (u32 i = N; i > 1; i--) {
        if (!composite[i]) {
            last = i;
            break;
        }
    }
    printf("sieve: %u primes up to %u, the largest %u\n", count, N, last);
    return 0;
}
