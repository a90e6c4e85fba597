/* Integer matrix multiply, 96 x 96, repeated with the result fed back. */
#include "lib.h"

#define N 96
static i32 a[N][N], b[N][N], c[N][N];

int main(void) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            a[i][j] = (i * 31 + j * 17) % 23 - 11;
            b[i][j] = (i * 7 + j * 13) % 19 - 9;
        }
    }
    for (int round = 0; round < 4 * SCALE; round++) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                i32 s = 0;
                for (int k = 0; k < N; k++) {
                    s += a[i][k] * b[k][j];
                }
                c[i][j] = s;
            }
        }
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                a[i][j] = (c[i][j] >> 4) % 97;
            }
        }
    }
    printf("matmul: c[0][0] %d c[%d][%d] %d checksum %08x\n", c[0][0], N - 1, N - 1, c[N - 1][N - 1], fnv1a(c, sizeof c, 2166136261u));
    return 0;
}
