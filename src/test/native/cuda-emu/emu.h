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

inline float rsqrt(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline double cospi(double x) { return cos(M_PI * x); }
