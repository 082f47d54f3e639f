// index_select_<dt> (embedding lookup, out[i, :] = table[index[i], :]; its adjoint is in
// embedding.cu). All operands contiguous; one thread per element of out.
#include "common.cuh"

// A bad index sets *bad (the caller turns it into PyTorch's "index out of range in self") and
// writes 0 rather than reading outside the table: a fault would poison the whole context.
template <class T>
__device__ void indexSelect(const T* table, const long long* index, T* out, long long m, long long d, long long rows, unsigned long long* bad) {
    for (long long i = gridStart(); i < m * d; i += gridStep()) {
        long long row = index[i / d];
        if (row < 0 || row >= rows) { atomicExch(bad, 1ull); out[i] = T(0); continue; }   // atomic: many threads may find a bad index
        out[i] = table[row * d + i % d];
    }
}

extern "C" __global__ void index_select_f32(const float* table, const long long* index, float* out, long long m, long long d, long long rows, unsigned long long* bad) { indexSelect(table, index, out, m, d, rows, bad); }
extern "C" __global__ void index_select_f64(const double* table, const long long* index, double* out, long long m, long long d, long long rows, unsigned long long* bad) { indexSelect(table, index, out, m, d, rows, bad); }

// nll_<dt>: one thread per row of logp [rows, C]; a target outside [0, C) that is not ignored is
// never read, and the first such target a thread records (atomicCAS on *bad, initially LLONG_MIN) is the
// one the host reports: one of the bad targets, not necessarily the first row's as on the CPU.
template <class T>
__device__ void nll(const T* logp, const long long* target, T* loss, long long rows, long long c, long long ignore, double smoothing,
                    long long* bad) {
    for (long long i = gridStart(); i < rows; i += gridStep()) {
        long long t = target[i];
        if (t == ignore) { loss[i] = T(0); continue; }
        if (t < 0 || t >= c) { atomicCAS((unsigned long long*)bad, (unsigned long long)LLONG_MIN, (unsigned long long)t); loss[i] = T(0); continue; }
        double all = 0;
        if (smoothing != 0) for (long long j = 0; j < c; j++) all += double(logp[i * c + j]);
        loss[i] = T(-((1 - smoothing) * double(logp[i * c + t]) + smoothing / double(c) * all));
    }
}

// nll_backward_<dt>: one thread per element of dlogp [rows, C].
template <class T>
__device__ void nllBackward(const T* grad, const long long* target, T* dlogp, long long rows, long long c, long long ignore, double smoothing) {
    for (long long k = gridStart(); k < rows * c; k += gridStep()) {
        long long i = k / c, j = k % c, t = target[i];
        double g = t == ignore ? 0.0 : double(grad[i]);
        dlogp[k] = T(-g * (smoothing / double(c) + (j == t ? 1 - smoothing : 0.0)));
    }
}

extern "C" __global__ void nll_f32(const float* logp, const long long* target, float* loss, long long rows, long long c, long long ignore,
                                   double smoothing, long long* bad) { nll(logp, target, loss, rows, c, ignore, smoothing, bad); }
extern "C" __global__ void nll_f64(const double* logp, const long long* target, double* loss, long long rows, long long c, long long ignore,
                                   double smoothing, long long* bad) { nll(logp, target, loss, rows, c, ignore, smoothing, bad); }
extern "C" __global__ void nll_backward_f32(const float* grad, const long long* target, float* dlogp, long long rows, long long c,
                                            long long ignore, double smoothing) { nllBackward(grad, target, dlogp, rows, c, ignore, smoothing); }
extern "C" __global__ void nll_backward_f64(const double* grad, const long long* target, double* dlogp, long long rows, long long c,
                                            long long ignore, double smoothing) { nllBackward(grad, target, dlogp, rows, c, ignore, smoothing); }
