// long raw_syscall6(long nr, long a0, long a1, long a2, long a3, long a4,
//                   long a5), cdecl: one int $0x80 with ebx, ecx, edx, esi,
// edi and ebp as given. A child (eax == 0 after it) calls exit(0) at once,
// without touching memory or the stack, whichever stack it runs on.
        .text
        .globl  raw_syscall6
        .type   raw_syscall6, @function
raw_syscall6:
        push    %ebp
        push    %edi
        push    %esi
        push    %ebx
        mov     20(%esp), %eax
        mov     24(%esp), %ebx
        mov     28(%esp), %ecx
        mov     32(%esp), %edx
        mov     36(%esp), %esi
        mov     40(%esp), %edi
        mov     44(%esp), %ebp
        int     $0x80
        test    %eax, %eax
        jnz     1f
        mov     $1, %eax
        xor     %ebx, %ebx
        int     $0x80
1:      pop     %ebx
        pop     %esi
        pop     %edi
        pop     %ebp
        ret
        .size   raw_syscall6, .-raw_syscall6
        .section .note.GNU-stack,"",@progbits
