/* One of the emulated cuDNN 9's sub-libraries (cudnn.cpp): libcudnn_ops.so.9 (-DEMU_SUBLIB=ops)
   or libcudnn_cnn.so.9 (-DEMU_SUBLIB=cnn). It holds no code of its own: the main library loads it
   from its own folder on the first call that needs it and checks its version marker, so that
   deleting the file makes those calls fail as real cuDNN 9 does (CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED). */
#include <stddef.h>

#define CAT(a, b, c) a##b##c
#define NAME(a, b, c) CAT(a, b, c)

/* cuDNN 9.10.2: major*10000 + minor*100 + patch, as cudnnGetVersion reports it */
size_t NAME(emu_cudnn_, EMU_SUBLIB, _version)(void) { return 91002; }
