/* Code that self-modifying tests patch. */
    .text
    .balign 16
/* int patch_target(void): li a0, K; ret.  The li is patched. */
    .globl patch_target
patch_target:
    li a0, 1
    ret

/* int patch_running(int n): a loop whose block rewrites its own first instruction (addi a1, a1, imm)
   with imm = (i & 7) + 1 each iteration, without fence.i; returns the sum. */
    .balign 16
    .globl patch_running
patch_running:
    mv t0, a0
    li a1, 0
    la t2, 1f
1:  addi a1, a1, 1
    andi t1, t0, 7
    addi t1, t1, 1
    slli t1, t1, 20
    li t3, 0x00058593          /* addi a1, a1, 0 */
    or t1, t1, t3
    sw t1, 0(t2)
    addi t0, t0, -1
    bnez t0, 1b
    mv a0, a1
    ret

/* int patch_ahead(int n): each iteration rewrites the instruction right after a fence.i in the same
   block (addi a1, a1, imm) with imm = (i & 3) + 1; returns the sum. */
    .balign 16
    .globl patch_ahead
patch_ahead:
    mv t0, a0
    li a1, 0
    la t2, 2f
1:  andi t1, t0, 3
    addi t1, t1, 1
    slli t1, t1, 20
    li t3, 0x00058593
    or t1, t1, t3
    sw t1, 0(t2)
    fence.i
2:  addi a1, a1, 100
    addi t0, t0, -1
    bnez t0, 1b
    mv a0, a1
    ret
