// where_<dt>: out = cond ? a : b, all four operands strided (cond, a, b may broadcast).
#include "common.cuh"

template <class T>
__device__ void where(const b8* cond, const T* a, const T* b, T* out, const Strides& g) {
    forEachElement<4>(g, [&](const auto& o) { out[o[0]] = cond[o[1]] ? a[o[2]] : b[o[3]]; });
}

extern "C" __global__ void where_f32(const b8* cond, const float* a, const float* b, float* out, Strides g) { where(cond, a, b, out, g); }
extern "C" __global__ void where_f64(const b8* cond, const double* a, const double* b, double* out, Strides g) { where(cond, a, b, out, g); }
extern "C" __global__ void where_i64(const b8* cond, const long long* a, const long long* b, long long* out, Strides g) { where(cond, a, b, out, g); }
extern "C" __global__ void where_b8(const b8* cond, const b8* a, const b8* b, b8* out, Strides g) { where(cond, a, b, out, g); }
