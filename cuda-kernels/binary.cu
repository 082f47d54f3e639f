// binary_<op>_<dt>: one functor per BinaryOp, as Scalar.binary defines it (CPU backend).
// Broadcasting arrives as stride 0 in Strides. INT64 arithmetic is exact 64-bit integer arithmetic,
// as on the CPU (pow by squaring); INT64 div is not reachable from the Tensor API (true division
// promotes to float) and goes through double.
#include "common.cuh"

struct Add { template <class T> __device__ T operator()(T a, T b) const { return a + b; } };
struct Sub { template <class T> __device__ T operator()(T a, T b) const { return a - b; } };
struct Mul { template <class T> __device__ T operator()(T a, T b) const { return a * b; } };
struct Div {
    template <class T> __device__ T operator()(T a, T b) const { return a / b; }
    __device__ long long operator()(long long a, long long b) const { return Cast<long long>()(double(a) / double(b)); }
};
// powf by name: the overloaded pow(float, float) would promote to double.
struct Pow {
    __device__ float operator()(float a, float b) const { return powf(a, b); }
    __device__ double operator()(double a, double b) const { return pow(a, b); }
    // INT64 by squaring, exact (wrapping on overflow); negative exponents as PyTorch's integer pow: 1, ±1 or 0
    __device__ long long operator()(long long a, long long b) const {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
        unsigned long long result = 1, base = (unsigned long long) a;   // unsigned: wrapping is defined
        for (; b > 0; b >>= 1, base *= base) if (b & 1) result *= base;
        return (long long) result;
    }
};
// NaN propagates (torch.maximum), unlike fmax, which returns the other operand.
struct Maximum { template <class T> __device__ T operator()(T a, T b) const { return isNaN(a) ? a : isNaN(b) ? b : a > b ? a : b; } };
struct Minimum { template <class T> __device__ T operator()(T a, T b) const { return isNaN(a) ? a : isNaN(b) ? b : a < b ? a : b; } };
// PyTorch's threshold_backward: the gradient passes where the relu output y (operand b) is > 0.
struct ReluBackward { template <class T> __device__ T operator()(T grad, T y) const { return y > T(0) ? grad : T(0); } };
struct Eq { template <class T> __device__ b8 operator()(T a, T b) const { return a == b; } };
struct Ne { template <class T> __device__ b8 operator()(T a, T b) const { return a != b; } };
struct Gt { template <class T> __device__ b8 operator()(T a, T b) const { return a > b; } };
struct Ge { template <class T> __device__ b8 operator()(T a, T b) const { return a >= b; } };
struct Lt { template <class T> __device__ b8 operator()(T a, T b) const { return a < b; } };
struct Le { template <class T> __device__ b8 operator()(T a, T b) const { return a <= b; } };

template <class Op, class T, class R>
__device__ void binary(const T* a, const T* b, R* out, const Strides& g) {
    forEachElement<3>(g, [&](const auto& o) { out[o[0]] = Op()(a[o[1]], b[o[2]]); });
}

extern "C" __global__ void binary_add_f32(const float* a, const float* b, float* out, Strides g) { binary<Add>(a, b, out, g); }
extern "C" __global__ void binary_add_f64(const double* a, const double* b, double* out, Strides g) { binary<Add>(a, b, out, g); }
extern "C" __global__ void binary_add_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<Add>(a, b, out, g); }
extern "C" __global__ void binary_sub_f32(const float* a, const float* b, float* out, Strides g) { binary<Sub>(a, b, out, g); }
extern "C" __global__ void binary_sub_f64(const double* a, const double* b, double* out, Strides g) { binary<Sub>(a, b, out, g); }
extern "C" __global__ void binary_sub_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<Sub>(a, b, out, g); }
extern "C" __global__ void binary_mul_f32(const float* a, const float* b, float* out, Strides g) { binary<Mul>(a, b, out, g); }
extern "C" __global__ void binary_mul_f64(const double* a, const double* b, double* out, Strides g) { binary<Mul>(a, b, out, g); }
extern "C" __global__ void binary_mul_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<Mul>(a, b, out, g); }
extern "C" __global__ void binary_div_f32(const float* a, const float* b, float* out, Strides g) { binary<Div>(a, b, out, g); }
extern "C" __global__ void binary_div_f64(const double* a, const double* b, double* out, Strides g) { binary<Div>(a, b, out, g); }
extern "C" __global__ void binary_div_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<Div>(a, b, out, g); }
extern "C" __global__ void binary_pow_f32(const float* a, const float* b, float* out, Strides g) { binary<Pow>(a, b, out, g); }
extern "C" __global__ void binary_pow_f64(const double* a, const double* b, double* out, Strides g) { binary<Pow>(a, b, out, g); }
extern "C" __global__ void binary_pow_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<Pow>(a, b, out, g); }
extern "C" __global__ void binary_maximum_f32(const float* a, const float* b, float* out, Strides g) { binary<Maximum>(a, b, out, g); }
extern "C" __global__ void binary_maximum_f64(const double* a, const double* b, double* out, Strides g) { binary<Maximum>(a, b, out, g); }
extern "C" __global__ void binary_maximum_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<Maximum>(a, b, out, g); }
extern "C" __global__ void binary_minimum_f32(const float* a, const float* b, float* out, Strides g) { binary<Minimum>(a, b, out, g); }
extern "C" __global__ void binary_minimum_f64(const double* a, const double* b, double* out, Strides g) { binary<Minimum>(a, b, out, g); }
extern "C" __global__ void binary_minimum_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<Minimum>(a, b, out, g); }
extern "C" __global__ void binary_relu_backward_f32(const float* a, const float* b, float* out, Strides g) { binary<ReluBackward>(a, b, out, g); }
extern "C" __global__ void binary_relu_backward_f64(const double* a, const double* b, double* out, Strides g) { binary<ReluBackward>(a, b, out, g); }
extern "C" __global__ void binary_relu_backward_i64(const long long* a, const long long* b, long long* out, Strides g) { binary<ReluBackward>(a, b, out, g); }
extern "C" __global__ void binary_eq_f32(const float* a, const float* b, b8* out, Strides g) { binary<Eq>(a, b, out, g); }
extern "C" __global__ void binary_eq_f64(const double* a, const double* b, b8* out, Strides g) { binary<Eq>(a, b, out, g); }
extern "C" __global__ void binary_eq_i64(const long long* a, const long long* b, b8* out, Strides g) { binary<Eq>(a, b, out, g); }
extern "C" __global__ void binary_ne_f32(const float* a, const float* b, b8* out, Strides g) { binary<Ne>(a, b, out, g); }
extern "C" __global__ void binary_ne_f64(const double* a, const double* b, b8* out, Strides g) { binary<Ne>(a, b, out, g); }
extern "C" __global__ void binary_ne_i64(const long long* a, const long long* b, b8* out, Strides g) { binary<Ne>(a, b, out, g); }
extern "C" __global__ void binary_gt_f32(const float* a, const float* b, b8* out, Strides g) { binary<Gt>(a, b, out, g); }
extern "C" __global__ void binary_gt_f64(const double* a, const double* b, b8* out, Strides g) { binary<Gt>(a, b, out, g); }
extern "C" __global__ void binary_gt_i64(const long long* a, const long long* b, b8* out, Strides g) { binary<Gt>(a, b, out, g); }
extern "C" __global__ void binary_ge_f32(const float* a, const float* b, b8* out, Strides g) { binary<Ge>(a, b, out, g); }
extern "C" __global__ void binary_ge_f64(const double* a, const double* b, b8* out, Strides g) { binary<Ge>(a, b, out, g); }
extern "C" __global__ void binary_ge_i64(const long long* a, const long long* b, b8* out, Strides g) { binary<Ge>(a, b, out, g); }
extern "C" __global__ void binary_lt_f32(const float* a, const float* b, b8* out, Strides g) { binary<Lt>(a, b, out, g); }
extern "C" __global__ void binary_lt_f64(const double* a, const double* b, b8* out, Strides g) { binary<Lt>(a, b, out, g); }
extern "C" __global__ void binary_lt_i64(const long long* a, const long long* b, b8* out, Strides g) { binary<Lt>(a, b, out, g); }
extern "C" __global__ void binary_le_f32(const float* a, const float* b, b8* out, Strides g) { binary<Le>(a, b, out, g); }
extern "C" __global__ void binary_le_f64(const double* a, const double* b, b8* out, Strides g) { binary<Le>(a, b, out, g); }
extern "C" __global__ void binary_le_i64(const long long* a, const long long* b, b8* out, Strides g) { binary<Le>(a, b, out, g); }
