// reduce_<op>_<dt>: reductions along the inner axis of an [outer, inner] view, one block per
// row or per slice of a long row (a smaller grid also works: blocks stride over them). Each
// thread scans a strided part of its block's range, then blockReduce merges the threads' states.
#include "common.cuh"

// Sums accumulate in double for floats (as CpuBackend does) and exactly in long long for
// INT64 and BOOL; the sum of BOOL is INT64 (a count), every other sum keeps the input dtype.
template <class T> struct SumAcc { typedef double type; typedef T out; };
template <> struct SumAcc<long long> { typedef long long type; typedef long long out; };
template <> struct SumAcc<b8> { typedef long long type; typedef long long out; };

template <class T> struct Sum {
    typedef typename SumAcc<T>::type State;
    typedef typename SumAcc<T>::out Out;
    __device__ State init() const { return State(0); }
    __device__ State step(State s, T v, long long) const { return s + State(v); }
    __device__ State operator()(State a, State b) const { return a + b; }
    __device__ Out result(State s) const { return Cast<Out>()(s); }
};

template <class T> struct Best { T v; long long i; };   // i < 0: no element seen yet

// The better of two candidates, so that the result is what CpuBackend's left-to-right scan
// gives: a NaN beats any number (the first NaN wins, as in PyTorch), then the larger (Max) or
// smaller value, then the lower index (first index on ties).
template <class T, bool Max> struct Extreme {
    typedef Best<T> State;
    __device__ State init() const { State s; s.v = T(0); s.i = -1; return s; }
    __device__ State step(State s, T v, long long j) const { State c; c.v = v; c.i = j; return (*this)(s, c); }
    __device__ State operator()(State a, State b) const {
        if (a.i < 0) return b;
        if (b.i < 0) return a;
        bool an = isNaN(a.v), bn = isNaN(b.v);
        if (an != bn) return an ? a : b;
        if (!an && a.v != b.v) return (Max ? a.v > b.v : a.v < b.v) ? a : b;
        return a.i < b.i ? a : b;
    }
};
template <class T> struct Max : Extreme<T, true> { typedef T Out; __device__ Out result(Best<T> s) const { return s.v; } };
template <class T> struct Min : Extreme<T, false> { typedef T Out; __device__ Out result(Best<T> s) const { return s.v; } };
template <class T> struct Argmax : Extreme<T, true> { typedef long long Out; __device__ Out result(Best<T> s) const { return s.i < 0 ? 0 : s.i; } };
template <class T> struct Argmin : Extreme<T, false> { typedef long long Out; __device__ Out result(Best<T> s) const { return s.i < 0 ? 0 : s.i; } };

// Each row is cut into slices of `per` elements (the last may be shorter, none is empty), one
// block per slice: block b reduces slice b % slices of row b / slices into out[b]. per = inner is
// the plain one-block-per-row reduction; a smaller per spreads a long row over many blocks, and
// the caller reduces the [outer, slices] partial results again (SUM, MAX and MIN only: a partial
// argmax would need its value too).
template <class Op, class T>
__device__ void reduce(const T* x, typename Op::Out* out, long long outer, long long inner, long long strideOuter, long long strideInner,
                       long long per) {
    Op op;
    // An empty row (inner = 0, e.g. zeros(3, 0).sum(1)) is one empty slice: the fold's identity
    // (0 for SUM; MAX/MIN/ARGMAX callers reject empty dims). per = 0 would divide by zero.
    long long slices = inner == 0 ? 1 : (inner + per - 1) / per;
    for (long long b = blockIdx.x; b < outer * slices; b += gridDim.x) {   // uniform per block: the barriers inside blockReduce are safe
        long long r = b / slices, begin = (b % slices) * per, end = begin + per < inner ? begin + per : inner;
        const T* row = x + r * strideOuter;
        typename Op::State s = op.init();
        for (long long j = begin + threadIdx.x; j < end; j += blockDim.x) s = op.step(s, row[j * strideInner], j);
        s = blockReduce(s, op);
        if (threadIdx.x == 0) out[b] = op.result(s);
    }
}

// reduce_cols_<op>_<dt>: the same reductions when the kept axis is the contiguous one and the
// reduced axis is strided (a bias gradient: [N, C] summed over N; sum(0)): one thread per kept
// element, so a warp reads 32 neighbours at once instead of one row 32 strides apart. The reduced
// axis may be cut into slices of `per` (SUM, MAX, MIN): thread i reduces slice i / outer of
// element i % outer into out[i], and the caller reduces the [slices, outer] partials again.
template <class Op, class T>
__device__ void reduceCols(const T* x, typename Op::Out* out, long long outer, long long inner, long long so, long long si, long long per) {
    Op op;
    long long slices = inner == 0 ? 1 : (inner + per - 1) / per;   // an empty axis: one empty slice (per = 0)
    for (long long i = gridStart(); i < outer * slices; i += gridStep()) {
        long long o = i % outer, begin = (i / outer) * per, end = begin + per < inner ? begin + per : inner;
        const T* col = x + o * so;
        typename Op::State st = op.init();
        for (long long j = begin; j < end; j++) st = op.step(st, col[j * si], j);
        out[i] = op.result(st);
    }
}

#define TS_REDUCE_ARGS long long outer, long long inner, long long so, long long si, long long per
extern "C" __global__ void reduce_sum_f32(const float* x, float* out, TS_REDUCE_ARGS) { reduce<Sum<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_sum_f64(const double* x, double* out, TS_REDUCE_ARGS) { reduce<Sum<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_sum_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduce<Sum<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_sum_b8(const b8* x, long long* out, TS_REDUCE_ARGS) { reduce<Sum<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_max_f32(const float* x, float* out, TS_REDUCE_ARGS) { reduce<Max<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_max_f64(const double* x, double* out, TS_REDUCE_ARGS) { reduce<Max<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_max_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduce<Max<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_max_b8(const b8* x, b8* out, TS_REDUCE_ARGS) { reduce<Max<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_min_f32(const float* x, float* out, TS_REDUCE_ARGS) { reduce<Min<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_min_f64(const double* x, double* out, TS_REDUCE_ARGS) { reduce<Min<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_min_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduce<Min<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_min_b8(const b8* x, b8* out, TS_REDUCE_ARGS) { reduce<Min<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmax_f32(const float* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmax<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmax_f64(const double* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmax<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmax_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmax<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmax_b8(const b8* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmax<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmin_f32(const float* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmin<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmin_f64(const double* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmin<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmin_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmin<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_argmin_b8(const b8* x, long long* out, TS_REDUCE_ARGS) { reduce<Argmin<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_sum_f32(const float* x, float* out, TS_REDUCE_ARGS) { reduceCols<Sum<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_sum_f64(const double* x, double* out, TS_REDUCE_ARGS) { reduceCols<Sum<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_sum_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Sum<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_sum_b8(const b8* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Sum<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_max_f32(const float* x, float* out, TS_REDUCE_ARGS) { reduceCols<Max<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_max_f64(const double* x, double* out, TS_REDUCE_ARGS) { reduceCols<Max<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_max_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Max<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_max_b8(const b8* x, b8* out, TS_REDUCE_ARGS) { reduceCols<Max<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_min_f32(const float* x, float* out, TS_REDUCE_ARGS) { reduceCols<Min<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_min_f64(const double* x, double* out, TS_REDUCE_ARGS) { reduceCols<Min<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_min_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Min<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_min_b8(const b8* x, b8* out, TS_REDUCE_ARGS) { reduceCols<Min<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmax_f32(const float* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmax<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmax_f64(const double* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmax<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmax_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmax<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmax_b8(const b8* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmax<b8>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmin_f32(const float* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmin<float>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmin_f64(const double* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmin<double>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmin_i64(const long long* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmin<long long>>(x, out, outer, inner, so, si, per); }
extern "C" __global__ void reduce_cols_argmin_b8(const b8* x, long long* out, TS_REDUCE_ARGS) { reduceCols<Argmin<b8>>(x, out, outer, inner, so, si, per); }
