// batch_norm_*_<dt>: Tessera's own batch normalisation over contiguous [N, C, S], the fallback
// when cuDNN is absent or switched off (CudaBackend). The per-channel kernels take one block per
// channel (blocks stride over channels); sums accumulate in double, as CpuBackend's. Optional
// operands (weight, bias, running stats, dweight, dbias) are NULL when absent.
#include "common.cuh"

struct PlusD { __device__ double operator()(double a, double b) const { return a + b; } };

// Channel ch's M = N·S values x[(i·C + ch)·S + j] are visited by the block's threads in turn.
#define TS_CHANNEL_LOOP(m, k) for (long long k = threadIdx.x; k < m; k += blockDim.x)
#define TS_AT(k) (((k) / s * c + ch) * s + (k) % s)

// Batch statistics: mean, invstd = 1/sqrt(biased var + eps); running stats updated with factor,
// the running variance unbiased (var·M/(M − 1)), as CpuBackend.batchNorm.
template <class T>
__device__ void bnStats(const T* x, T* mean, T* invstd, T* runMean, T* runVar, long long n, long long c, long long s, double factor, double eps) {
    long long m = n * s;
    for (long long ch = blockIdx.x; ch < c; ch += gridDim.x) {   // uniform per block: barriers are safe
        double sum = 0;
        TS_CHANNEL_LOOP(m, k) sum += double(x[TS_AT(k)]);
        double mu = blockReduce(sum, PlusD()) / double(m);
        double sq = 0;
        TS_CHANNEL_LOOP(m, k) { double d = double(x[TS_AT(k)]) - mu; sq += d * d; }
        double var = blockReduce(sq, PlusD()) / double(m);
        if (threadIdx.x == 0) {
            mean[ch] = T(mu);
            invstd[ch] = T(1.0 / sqrt(var + eps));
            if (runMean) {
                runMean[ch] = T((1 - factor) * double(runMean[ch]) + factor * mu);
                runVar[ch] = T((1 - factor) * double(runVar[ch]) + factor * var * double(m) / double(m - 1));
            }
        }
    }
}

// out = (x − mean[ch])·r·w + b, with r = invstd[ch], or 1/sqrt(var[ch] + eps) when fromVar (eval).
template <class T>
__device__ void bnApply(const T* x, const T* mean, const T* scale, int fromVar, double eps, const T* w, const T* b, T* out,
                        long long n, long long c, long long s) {
    long long total = n * c * s;
    for (long long i = gridStart(); i < total; i += gridStep()) {
        long long ch = i / s % c;
        double r = fromVar ? 1.0 / sqrt(double(scale[ch]) + eps) : double(scale[ch]);
        double y = (double(x[i]) - double(mean[ch])) * r;
        if (w) y *= double(w[ch]);
        if (b) y += double(b[ch]);
        out[i] = T(y);
    }
}

// Per channel Σg and Σg·x̂ into sums[ch] and sums[C + ch] (for bnBackwardApply), and dweight/dbias.
template <class T>
__device__ void bnBackwardReduce(const T* g, const T* x, const T* mean, const T* invstd, T* sums, T* dw, T* db,
                                 long long n, long long c, long long s) {
    long long m = n * s;
    for (long long ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double mu = double(mean[ch]), r = double(invstd[ch]), sg = 0, sgx = 0;
        TS_CHANNEL_LOOP(m, k) {
            long long at = TS_AT(k);
            double gv = double(g[at]);
            sg += gv;
            sgx += gv * (double(x[at]) - mu) * r;
        }
        sg = blockReduce(sg, PlusD());
        sgx = blockReduce(sgx, PlusD());
        if (threadIdx.x == 0) {
            sums[ch] = T(sg);
            sums[c + ch] = T(sgx);
            if (dw) dw[ch] = T(sgx);
            if (db) db[ch] = T(sg);
        }
    }
}

// dx = w·invstd·(g − Σg/M − x̂·Σ(g·x̂)/M)
template <class T>
__device__ void bnBackwardApply(const T* g, const T* x, const T* mean, const T* invstd, const T* w, const T* sums, T* dx,
                                long long n, long long c, long long s) {
    long long total = n * c * s;
    double m = double(n * s);
    for (long long i = gridStart(); i < total; i += gridStep()) {
        long long ch = i / s % c;
        double r = double(invstd[ch]), xhat = (double(x[i]) - double(mean[ch])) * r;
        double scale = (w ? double(w[ch]) : 1.0) * r;
        dx[i] = T(scale * (double(g[i]) - double(sums[ch]) / m - xhat * double(sums[c + ch]) / m));
    }
}

#define TS_BN_DIMS long long n, long long c, long long s
extern "C" __global__ void batch_norm_stats_f32(const float* x, float* mean, float* invstd, float* rm, float* rv, TS_BN_DIMS, double factor, double eps) { bnStats(x, mean, invstd, rm, rv, n, c, s, factor, eps); }
extern "C" __global__ void batch_norm_stats_f64(const double* x, double* mean, double* invstd, double* rm, double* rv, TS_BN_DIMS, double factor, double eps) { bnStats(x, mean, invstd, rm, rv, n, c, s, factor, eps); }
extern "C" __global__ void batch_norm_apply_f32(const float* x, const float* mean, const float* scale, int fromVar, double eps, const float* w, const float* b, float* out, TS_BN_DIMS) { bnApply(x, mean, scale, fromVar, eps, w, b, out, n, c, s); }
extern "C" __global__ void batch_norm_apply_f64(const double* x, const double* mean, const double* scale, int fromVar, double eps, const double* w, const double* b, double* out, TS_BN_DIMS) { bnApply(x, mean, scale, fromVar, eps, w, b, out, n, c, s); }
extern "C" __global__ void batch_norm_backward_reduce_f32(const float* g, const float* x, const float* mean, const float* invstd, float* sums, float* dw, float* db, TS_BN_DIMS) { bnBackwardReduce(g, x, mean, invstd, sums, dw, db, n, c, s); }
extern "C" __global__ void batch_norm_backward_reduce_f64(const double* g, const double* x, const double* mean, const double* invstd, double* sums, double* dw, double* db, TS_BN_DIMS) { bnBackwardReduce(g, x, mean, invstd, sums, dw, db, n, c, s); }
extern "C" __global__ void batch_norm_backward_apply_f32(const float* g, const float* x, const float* mean, const float* invstd, const float* w, const float* sums, float* dx, TS_BN_DIMS) { bnBackwardApply(g, x, mean, invstd, w, sums, dx, n, c, s); }
extern "C" __global__ void batch_norm_backward_apply_f64(const double* g, const double* x, const double* mean, const double* invstd, const double* w, const double* sums, double* dx, TS_BN_DIMS) { bnBackwardApply(g, x, mean, invstd, w, sums, dx, n, c, s); }
