// fill_<dt> and copy_<src>_<dst>: the strided elementwise moves. Conversions follow CpuBackend
// (see Cast in common.cuh): BOOL <- x is x != 0.
#include "common.cuh"

template <class T>
__device__ void fill(T* out, const Strides& g, double value) {
    T v = Cast<T>()(value);
    forEachElement<1>(g, [&](const auto& o) { out[o[0]] = v; });
}

template <class S, class D>
__device__ void copy(const S* src, D* dst, const Strides& g) {
    forEachElement<2>(g, [&](const auto& o) { dst[o[0]] = Cast<D>()(src[o[1]]); });
}

extern "C" __global__ void fill_f32(float* out, Strides g, double value) { fill(out, g, value); }
extern "C" __global__ void fill_f64(double* out, Strides g, double value) { fill(out, g, value); }
extern "C" __global__ void fill_i64(long long* out, Strides g, double value) { fill(out, g, value); }
extern "C" __global__ void fill_b8(b8* out, Strides g, double value) { fill(out, g, value); }

extern "C" __global__ void copy_f32_f32(const float* src, float* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_f32_f64(const float* src, double* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_f32_i64(const float* src, long long* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_f32_b8(const float* src, b8* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_f64_f32(const double* src, float* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_f64_f64(const double* src, double* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_f64_i64(const double* src, long long* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_f64_b8(const double* src, b8* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_i64_f32(const long long* src, float* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_i64_f64(const long long* src, double* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_i64_i64(const long long* src, long long* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_i64_b8(const long long* src, b8* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_b8_f32(const b8* src, float* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_b8_f64(const b8* src, double* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_b8_i64(const b8* src, long long* dst, Strides g) { copy(src, dst, g); }
extern "C" __global__ void copy_b8_b8(const b8* src, b8* dst, Strides g) { copy(src, dst, g); }
