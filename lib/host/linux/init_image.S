/* The jaild-init binary, embedded (see init_image.h). JAILD_INIT_PATH is set
   by lib/host/CMakeLists.txt. */
    .section .rodata
    .balign 16
    .global jaild_init_image_start
    .global jaild_init_image_end
jaild_init_image_start:
    .incbin JAILD_INIT_PATH
jaild_init_image_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
