/* The jaild-init and jaild-enter binaries, embedded (see images.h).
   JAILD_INIT_PATH and JAILD_ENTER_PATH are set by lib/host/CMakeLists.txt. */
    .section .rodata
    .balign 16
    .global jaild_init_image_start
    .global jaild_init_image_end
jaild_init_image_start:
    .incbin JAILD_INIT_PATH
jaild_init_image_end:
    .byte 0
    .balign 16
    .global jaild_enter_image_start
    .global jaild_enter_image_end
jaild_enter_image_start:
    .incbin JAILD_ENTER_PATH
jaild_enter_image_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
