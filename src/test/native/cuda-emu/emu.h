// Compiles cuda-kernels/*.cu as host C++ for the CUDA host emulator (README.md here): the CUDA
// keywords become plain C++, the built-in indices are the emulator's globals, __shared__ arrays
// are static (one block runs at a time), and __syncthreads() switches to the next fiber.
#pragma once
#include <limits.h>
#include <math.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__ __restrict

#include "registry.h"
#define threadIdx emu_threadIdx
#define blockIdx emu_blockIdx
#define blockDim emu_blockDim
#define gridDim emu_gridDim
#define __syncthreads emu_syncthreads

// Threads of a block are fibers that switch only at barriers, so a read-modify-write is atomic.
// Not instrumented: the race detector (driver.cpp) must not count atomics as racing accesses.
template <class T> __attribute__((no_sanitize_thread)) inline T atomicAdd(T* p, T v) { T old = *p; *p = old + v; return old; }
template <class T> __attribute__((no_sanitize_thread)) inline T atomicExch(T* p, T v) { T old = *p; *p = v; return old; }
template <class T> __attribute__((no_sanitize_thread)) inline T atomicCAS(T* p, T expected, T desired) {
    T old = *p;
    if (old == expected) *p = desired;
    return old;
}

// Warp shuffles (CUDA C++ Programming Guide, "Warp Shuffle Functions"; PTX shfl.sync): a shuffle is
// a warp-level exchange point, so the calling fiber waits in the driver until every lane its mask
// names has reached this same call site with the same mask (driver.cpp, emu_shfl). A lane named in
// the mask that has exited, waits at __syncthreads or at another shuffle, a caller missing from its
// own mask, or a read from a lane outside the mask fails the launch, as compute-sanitizer's
// synccheck would report it. Values of up to 8 bytes (int, long long, float, double) travel as bits.
template <class T> __attribute__((no_sanitize_thread)) inline T emu_shfl_t(const char* site, int mode, unsigned mask, T var, int arg, int width = 32) {
    static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
    unsigned long long bits = 0;
    __builtin_memcpy(&bits, &var, sizeof(T));
    bits = emu_shfl(site, mode, mask, bits, arg, width);
    T out;
    __builtin_memcpy(&out, &bits, sizeof(T));
    return out;
}
#define EMU_STR2(x) #x
#define EMU_STR(x) EMU_STR2(x)
#define __shfl_xor_sync(...) emu_shfl_t(__FILE__ ":" EMU_STR(__LINE__), EMU_SHFL_XOR, __VA_ARGS__)
#define __shfl_down_sync(...) emu_shfl_t(__FILE__ ":" EMU_STR(__LINE__), EMU_SHFL_DOWN, __VA_ARGS__)

inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned) ((unsigned long long) a * b >> 32); }
inline float rsqrt(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline double cospi(double x) { return cos(M_PI * x); }
