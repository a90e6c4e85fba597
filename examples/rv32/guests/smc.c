/* Self-modifying code: patch a function and call it (with and without fence.i), a loop that patches
   its own block, a patch right after a fence.i in the running block. */
#include "lib.h"

extern int patch_target(void);
extern int patch_running(int n);
extern int patch_ahead(int n);

static void set_li(volatile u32 *insn, int k) {
    *insn = ((u32)k << 20) | 0x00000513u; /* li a0, k */
}

int main(void) {
    volatile u32 *target = (volatile u32 *)(void *)patch_target;
    int first = patch_target();
    u32 sum = 0;
    for (int i = 0; i < 300; i++) { /* hot enough to be compiled, then patched */
        set_li(target, i & 15);
        fence_i();
        sum += patch_target() * (u32)(i + 1);
    }
    printf("smc: first %d, patched with fence.i: sum %u\n", first, sum);
    sum = 0;
    for (int i = 0; i < 300; i++) {
        set_li(target, (i * 5) & 31);
        sum += patch_target() * (u32)(i + 3);
    }
    printf("smc: patched without fence.i: sum %u\n", sum);
    printf("smc: running block patching itself: %d\n", patch_running(1000));
    printf("smc: patch after fence.i in the running block: %d\n", patch_ahead(1000));
    set_li(target, 42);
    printf("smc: final %d\n", patch_target());
    return 0;
}
