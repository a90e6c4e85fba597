/* Quicksort (recursive, median of three) and an insertion sort for small runs over pseudo-random integers. */
#include "lib.h"

#define N 200000
static i32 v[N];

static void insertion(i32 *a, int n) {
    for (int i = 1; i < n; i++) {
        i32 x = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > x) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = x;
    }
}

static void quicksort(i32 *a, int n) {
    while (n > 16) {
        i32 p0 = a[0], p1 = a[n / 2], p2 = a[n - 1];
        i32 p = p0 < p1 ? (p1 < p2 ? p1 : (p0 < p2 ? p2 : p0)) : (p0 < p2 ? p0 : (p1 < p2 ? p2 : p1));
        int i = 0, j = n - 1;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) {
                i32 t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (j + 1 < n - i) {
            quicksort(a, j + 1);
            a += i;
            n -= i;
        } else {
            quicksort(a + i, n - i);
            n = j + 1;
        }
    }
    insertion(a, n);
}

int main(void) {
    u32 h = 2166136261u;
    for (int round = 0; round < SCALE; round++) {
        srand32(12345 + round);
        for (int i = 0; i < N; i++) {
            v[i] = (i32)rand32();
        }
        quicksort(v, N);
        for (int i = 1; i < N; i++) {
            if (v[i - 1] > v[i]) {
                printf("sort: not sorted at %d\n", i);
                return 1;
            }
        }
        h = fnv1a(v, sizeof v, h);
    }
    printf("sort: %d integers sorted, min %d max %d, checksum %08x\n", N, v[0], v[N - 1], h);
    return 0;
}
