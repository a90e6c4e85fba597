/* Linked-list traversal: nodes linked in a shuffled order, walked many times. */
#include "lib.h"

#define N 65536
struct node {
    struct node *next;
    u32 value;
};
static struct node nodes[N];
static u32 order[N];

int main(void) {
    for (u32 i = 0; i < N; i++) {
        order[i] = i;
    }
    srand32(777);
    for (u32 i = N - 1; i > 0; i--) {
        u32 j = rand32() % (i + 1);
        u32 t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (u32 i = 0; i < N; i++) {
        nodes[order[i]].next = i + 1 < N ? &nodes[order[i + 1]] : 0;
        nodes[order[i]].value = i * 3 + 1;
    }
    u32 sum = 0, count = 0;
    for (int round = 0; round < 40 * SCALE; round++) {
        for (struct node *p = &nodes[order[0]]; p; p = p->next) {
            sum += p->value ^ (u32)round;
            count++;
        }
    }
    printf("list: %u nodes visited, sum %u\n", count, sum);
    return 0;
}
