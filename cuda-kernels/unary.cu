// unary_<op>_<dt>: one functor per UnaryOp, as Scalar.unary defines it (CPU backend). The math
// library's float overloads keep FLOAT32 in float; results are within a few ulp of the CPU's
// compute-in-double-then-round.
#include "common.cuh"

struct Neg { template <class T> __device__ T operator()(T x) const { return -x; } };
struct Exp { template <class T> __device__ T operator()(T x) const { return exp(x); } };
struct Log { template <class T> __device__ T operator()(T x) const { return log(x); } };
struct Sqrt { template <class T> __device__ T operator()(T x) const { return sqrt(x); } };
struct Rsqrt { template <class T> __device__ T operator()(T x) const { return rsqrt(x); } };
struct Abs { template <class T> __device__ T operator()(T x) const { return fabs(x); } };
// Math.signum: ±0 and NaN map to themselves.
struct Sign { template <class T> __device__ T operator()(T x) const { return x > T(0) ? T(1) : x < T(0) ? T(-1) : x; } };
// Not fmax(x, 0), which would turn NaN into 0; relu(NaN) is NaN.
struct Relu { template <class T> __device__ T operator()(T x) const { return x > T(0) || isNaN(x) ? x : T(0); } };
struct Sigmoid { template <class T> __device__ T operator()(T x) const { return T(1) / (T(1) + exp(-x)); } };
struct Tanh { template <class T> __device__ T operator()(T x) const { return tanh(x); } };
// Exact GELU (PyTorch approximate='none'): x/2 · (1 + erf(x/√2)), not the tanh approximation.
struct Gelu { template <class T> __device__ T operator()(T x) const { return T(0.5) * x * (T(1) + erf(x * T(0.70710678118654752440))); } };
struct Erf { template <class T> __device__ T operator()(T x) const { return erf(x); } };

template <class Op, class T>
__device__ void unary(const T* x, T* out, const Strides& g) {
    forEachElement<2>(g, [&](const auto& o) { out[o[0]] = Op()(x[o[1]]); });
}

extern "C" __global__ void unary_neg_f32(const float* x, float* out, Strides g) { unary<Neg>(x, out, g); }
extern "C" __global__ void unary_neg_f64(const double* x, double* out, Strides g) { unary<Neg>(x, out, g); }
extern "C" __global__ void unary_exp_f32(const float* x, float* out, Strides g) { unary<Exp>(x, out, g); }
extern "C" __global__ void unary_exp_f64(const double* x, double* out, Strides g) { unary<Exp>(x, out, g); }
extern "C" __global__ void unary_log_f32(const float* x, float* out, Strides g) { unary<Log>(x, out, g); }
extern "C" __global__ void unary_log_f64(const double* x, double* out, Strides g) { unary<Log>(x, out, g); }
extern "C" __global__ void unary_sqrt_f32(const float* x, float* out, Strides g) { unary<Sqrt>(x, out, g); }
extern "C" __global__ void unary_sqrt_f64(const double* x, double* out, Strides g) { unary<Sqrt>(x, out, g); }
extern "C" __global__ void unary_rsqrt_f32(const float* x, float* out, Strides g) { unary<Rsqrt>(x, out, g); }
extern "C" __global__ void unary_rsqrt_f64(const double* x, double* out, Strides g) { unary<Rsqrt>(x, out, g); }
extern "C" __global__ void unary_abs_f32(const float* x, float* out, Strides g) { unary<Abs>(x, out, g); }
extern "C" __global__ void unary_abs_f64(const double* x, double* out, Strides g) { unary<Abs>(x, out, g); }
extern "C" __global__ void unary_sign_f32(const float* x, float* out, Strides g) { unary<Sign>(x, out, g); }
extern "C" __global__ void unary_sign_f64(const double* x, double* out, Strides g) { unary<Sign>(x, out, g); }
extern "C" __global__ void unary_relu_f32(const float* x, float* out, Strides g) { unary<Relu>(x, out, g); }
extern "C" __global__ void unary_relu_f64(const double* x, double* out, Strides g) { unary<Relu>(x, out, g); }
extern "C" __global__ void unary_sigmoid_f32(const float* x, float* out, Strides g) { unary<Sigmoid>(x, out, g); }
extern "C" __global__ void unary_sigmoid_f64(const double* x, double* out, Strides g) { unary<Sigmoid>(x, out, g); }
extern "C" __global__ void unary_tanh_f32(const float* x, float* out, Strides g) { unary<Tanh>(x, out, g); }
extern "C" __global__ void unary_tanh_f64(const double* x, double* out, Strides g) { unary<Tanh>(x, out, g); }
extern "C" __global__ void unary_gelu_f32(const float* x, float* out, Strides g) { unary<Gelu>(x, out, g); }
extern "C" __global__ void unary_gelu_f64(const double* x, double* out, Strides g) { unary<Gelu>(x, out, g); }
extern "C" __global__ void unary_erf_f32(const float* x, float* out, Strides g) { unary<Erf>(x, out, g); }
extern "C" __global__ void unary_erf_f64(const double* x, double* out, Strides g) { unary<Erf>(x, out, g); }
