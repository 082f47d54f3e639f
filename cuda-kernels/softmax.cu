// softmax_<dt>, log_softmax_<dt>: contiguous rows of n, one block per row (blocks stride over
// rows when the grid is smaller); softmax_warp_<dt>, log_softmax_warp_<dt>: one warp per row, for
// short rows (the backend picks by n), reduced with shuffles instead of shared memory and barriers.
// Three passes over the row: max, Σ exp(x − max), write. As in CpuBackend: the row max is
// subtracted first (no overflow), the sum accumulates in double, and log-softmax is
// (x − max) − log Σ, which keeps one more float step than x − (max + log Σ).
#include "common.cuh"

// NaN-propagating, unlike fmax: a NaN in the row makes the whole row NaN, as on the CPU.
struct MaxNaN { template <class T> __device__ T operator()(T a, T b) const { return isNaN(a) ? a : isNaN(b) ? b : a > b ? a : b; } };
struct Plus { __device__ double operator()(double a, double b) const { return a + b; } };

template <class T> struct SoftmaxOut {
    __device__ T operator()(T shifted, double sum) const { return exp(shifted) * T(1.0 / sum); }
};
template <class T> struct LogSoftmaxOut {
    __device__ T operator()(T shifted, double sum) const { return shifted - T(log(sum)); }
};

template <template <class> class Out, class T>
__device__ void softmax(const T* x, T* out, long long rows, long long n) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {   // uniform per block: barriers are safe
        const T* xr = x + r * n;
        T* orow = out + r * n;
        T max = T(-INFINITY);
        for (long long j = threadIdx.x; j < n; j += blockDim.x) max = MaxNaN()(max, xr[j]);
        max = blockReduce(max, MaxNaN());
        double sum = 0;
        for (long long j = threadIdx.x; j < n; j += blockDim.x) sum += double(exp(xr[j] - max));
        sum = blockReduce(sum, Plus());
        for (long long j = threadIdx.x; j < n; j += blockDim.x) orow[j] = Out<T>()(xr[j] - max, sum);
    }
}

// Warp w of the grid takes rows w, w + warps, ...: uniform per warp, so its shuffles see all 32 lanes.
// A short row is re-read from L1 by the second and third pass rather than held in registers.
template <template <class> class Out, class T>
__device__ void softmaxWarp(const T* x, T* out, long long rows, long long n) {
    unsigned lane = threadIdx.x % TS_WARP, perBlock = blockDim.x / TS_WARP;
    long long warps = (long long)gridDim.x * perBlock;
    for (long long r = blockIdx.x * (long long)perBlock + threadIdx.x / TS_WARP; r < rows; r += warps) {
        const T* xr = x + r * n;
        T* orow = out + r * n;
        T max = T(-INFINITY);
        for (long long j = lane; j < n; j += TS_WARP) max = MaxNaN()(max, xr[j]);
        max = warpReduce(max, MaxNaN());
        double sum = 0;
        for (long long j = lane; j < n; j += TS_WARP) sum += double(exp(xr[j] - max));
        sum = warpReduce(sum, Plus());
        for (long long j = lane; j < n; j += TS_WARP) orow[j] = Out<T>()(xr[j] - max, sum);
    }
}

extern "C" __global__ void softmax_f32(const float* x, float* out, long long rows, long long n) { softmax<SoftmaxOut>(x, out, rows, n); }
extern "C" __global__ void softmax_f64(const double* x, double* out, long long rows, long long n) { softmax<SoftmaxOut>(x, out, rows, n); }
extern "C" __global__ void log_softmax_f32(const float* x, float* out, long long rows, long long n) { softmax<LogSoftmaxOut>(x, out, rows, n); }
extern "C" __global__ void log_softmax_f64(const double* x, double* out, long long rows, long long n) { softmax<LogSoftmaxOut>(x, out, rows, n); }

extern "C" __global__ void softmax_warp_f32(const float* x, float* out, long long rows, long long n) { softmaxWarp<SoftmaxOut>(x, out, rows, n); }
extern "C" __global__ void softmax_warp_f64(const double* x, double* out, long long rows, long long n) { softmaxWarp<SoftmaxOut>(x, out, rows, n); }
extern "C" __global__ void log_softmax_warp_f32(const float* x, float* out, long long rows, long long n) { softmaxWarp<LogSoftmaxOut>(x, out, rows, n); }
extern "C" __global__ void log_softmax_warp_f64(const double* x, double* out, long long rows, long long n) { softmaxWarp<LogSoftmaxOut>(x, out, rows, n); }

// softmax_partial_<dt>, then softmax_split_<dt> / log_softmax_split_<dt>: few very long rows, each cut
// into slices of per elements, a block per slice (rows·slices blocks: a block per row would leave
// most of the GPU idle). The partial pass writes each slice's max m and Σ exp(x − m) (part[2b],
// part[2b + 1], in double); every block of the second pass combines its row's slices,
// M = max m, S = Σ sum·exp(m − M) (a slice of −inf only adds 0), and writes its own slice.
template <class T>
__device__ void softmaxPartial(const T* x, double* part, long long rows, long long n, long long per, long long slices) {
    for (long long b = blockIdx.x; b < rows * slices; b += gridDim.x) {   // uniform per block: barriers are safe
        const T* xr = x + b / slices * n;
        long long lo = b % slices * per, hi = lo + per < n ? lo + per : n;
        T max = T(-INFINITY);
        for (long long j = lo + threadIdx.x; j < hi; j += blockDim.x) max = MaxNaN()(max, xr[j]);
        max = blockReduce(max, MaxNaN());
        double sum = 0;
        for (long long j = lo + threadIdx.x; j < hi; j += blockDim.x) sum += double(exp(xr[j] - max));
        sum = blockReduce(sum, Plus());
        if (threadIdx.x == 0) { part[2 * b] = double(max); part[2 * b + 1] = sum; }
    }
}

template <template <class> class Out, class T>
__device__ void softmaxSplit(const T* x, T* out, const double* part, long long rows, long long n, long long per, long long slices) {
    for (long long b = blockIdx.x; b < rows * slices; b += gridDim.x) {   // uniform per block
        long long r = b / slices, lo = b % slices * per, hi = lo + per < n ? lo + per : n;
        const double* pr = part + 2 * r * slices;
        double max = -INFINITY;
        for (long long s = threadIdx.x; s < slices; s += blockDim.x) max = MaxNaN()(max, pr[2 * s]);
        max = blockReduce(max, MaxNaN());
        double sum = 0;
        for (long long s = threadIdx.x; s < slices; s += blockDim.x)
            if (pr[2 * s] != -INFINITY) sum += pr[2 * s + 1] * exp(pr[2 * s] - max);
        sum = blockReduce(sum, Plus());
        T m = T(max);   // the max of T values: exact in T
        for (long long j = lo + threadIdx.x; j < hi; j += blockDim.x) out[r * n + j] = Out<T>()(x[r * n + j] - m, sum);
    }
}

extern "C" __global__ void softmax_partial_f32(const float* x, double* part, long long rows, long long n, long long per, long long slices) { softmaxPartial(x, part, rows, n, per, slices); }
extern "C" __global__ void softmax_partial_f64(const double* x, double* part, long long rows, long long n, long long per, long long slices) { softmaxPartial(x, part, rows, n, per, slices); }
extern "C" __global__ void softmax_split_f32(const float* x, float* out, const double* part, long long rows, long long n, long long per, long long slices) { softmaxSplit<SoftmaxOut>(x, out, part, rows, n, per, slices); }
extern "C" __global__ void softmax_split_f64(const double* x, double* out, const double* part, long long rows, long long n, long long per, long long slices) { softmaxSplit<SoftmaxOut>(x, out, part, rows, n, per, slices); }
extern "C" __global__ void log_softmax_split_f32(const float* x, float* out, const double* part, long long rows, long long n, long long per, long long slices) { softmaxSplit<LogSoftmaxOut>(x, out, part, rows, n, per, slices); }
extern "C" __global__ void log_softmax_split_f64(const double* x, double* out, const double* part, long long rows, long long n, long long per, long long slices) { softmaxSplit<LogSoftmaxOut>(x, out, part, rows, n, per, slices); }

// layer_norm_<dt>: contiguous rows of n, one block per row, as CpuBackend.layerNorm: mean, then the
// biased variance by a second pass over (x − mean), both summed in double; weight and bias may be
// null. mean and rstd [rows] are written for the backward pass (Tensor ops on the Java side).
// layer_norm_warp_<dt>: the same with one warp per short row (as softmaxWarp).
template <class T>
__device__ void layerNorm(const T* x, const T* w, const T* b, T* out, T* mean, T* rstd, long long rows, long long n, double eps) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {   // uniform per block: barriers are safe
        const T* xr = x + r * n;
        T* orow = out + r * n;
        double sum = 0;
        for (long long j = threadIdx.x; j < n; j += blockDim.x) sum += double(xr[j]);
        double mu = blockReduce(sum, Plus()) / double(n);
        double sq = 0;
        for (long long j = threadIdx.x; j < n; j += blockDim.x) { double d = double(xr[j]) - mu; sq += d * d; }
        double inv = 1.0 / sqrt(blockReduce(sq, Plus()) / double(n) + eps);
        for (long long j = threadIdx.x; j < n; j += blockDim.x) {
            T y = T((double(xr[j]) - mu) * inv);
            if (w) y *= w[j];
            if (b) y += b[j];
            orow[j] = y;
        }
        if (threadIdx.x == 0) { mean[r] = T(mu); rstd[r] = T(inv); }
    }
}

extern "C" __global__ void layer_norm_f32(const float* x, const float* w, const float* b, float* out, float* mean, float* rstd,
                                          long long rows, long long n, double eps) { layerNorm(x, w, b, out, mean, rstd, rows, n, eps); }
extern "C" __global__ void layer_norm_f64(const double* x, const double* w, const double* b, double* out, double* mean, double* rstd,
                                          long long rows, long long n, double eps) { layerNorm(x, w, b, out, mean, rstd, rows, n, eps); }

template <class T>
__device__ void layerNormWarp(const T* x, const T* w, const T* b, T* out, T* mean, T* rstd, long long rows, long long n, double eps) {
    unsigned lane = threadIdx.x % TS_WARP, perBlock = blockDim.x / TS_WARP;
    long long warps = (long long)gridDim.x * perBlock;
    for (long long r = blockIdx.x * (long long)perBlock + threadIdx.x / TS_WARP; r < rows; r += warps) {   // uniform per warp
        const T* xr = x + r * n;
        T* orow = out + r * n;
        double sum = 0;
        for (long long j = lane; j < n; j += TS_WARP) sum += double(xr[j]);
        double mu = warpReduce(sum, Plus()) / double(n);
        double sq = 0;
        for (long long j = lane; j < n; j += TS_WARP) { double d = double(xr[j]) - mu; sq += d * d; }
        double inv = 1.0 / sqrt(warpReduce(sq, Plus()) / double(n) + eps);
        for (long long j = lane; j < n; j += TS_WARP) {
            T y = T((double(xr[j]) - mu) * inv);
            if (w) y *= w[j];
            if (b) y += b[j];
            orow[j] = y;
        }
        if (lane == 0) { mean[r] = T(mu); rstd[r] = T(inv); }
    }
}

extern "C" __global__ void layer_norm_warp_f32(const float* x, const float* w, const float* b, float* out, float* mean, float* rstd,
                                               long long rows, long long n, double eps) { layerNormWarp(x, w, b, out, mean, rstd, rows, n, eps); }
extern "C" __global__ void layer_norm_warp_f64(const double* x, const double* w, const double* b, double* out, double* mean, double* rstd,
                                               long long rows, long long n, double eps) { layerNormWarp(x, w, b, out, mean, rstd, rows, n, eps); }
