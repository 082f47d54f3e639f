// Sliding windows over [N, C, H, W] (Conv mirrors ConvGeometry): im2col, col2im, maxpool2d and
// its backward, one thread per output element. cols is [N, C·kh·kw, outH·outW] with rows ordered
// (c, ki, kj) and strides p.cs (the convolution lays it out as [C·kh·kw, N, outH·outW]).
#include "common.cuh"

// Input coordinate of output position o under kernel tap k; may fall in the padding.
__device__ __forceinline__ long long tap(long long o, int k, int stride, int pad, int dil) { return o * stride - pad + (long long)k * dil; }

template <class T>
__device__ void im2col(const T* x, T* cols, const Conv& p) {
    long long total = p.n * p.c * p.kh * p.kw * p.outH * p.outW;
    T pad = T(p.padValue);
    for (long long i = gridStart(); i < total; i += gridStep()) {
        long long t = i;
        long long oj = t % p.outW; t /= p.outW;
        long long oi = t % p.outH; t /= p.outH;
        int kj = int(t % p.kw); t /= p.kw;
        int ki = int(t % p.kh); t /= p.kh;
        long long ci = t % p.c, ni = t / p.c;
        long long hi = tap(oi, ki, p.sh, p.ph, p.dh), wi = tap(oj, kj, p.sw, p.pw, p.dw);
        bool inside = hi >= 0 && hi < p.h && wi >= 0 && wi < p.w;
        long long row = (ci * p.kh + ki) * p.kw + kj;
        cols[ni * p.cs[0] + row * p.cs[1] + (oi * p.outW + oj) * p.cs[2]] =
            inside ? x[ni * p.xs[0] + ci * p.xs[1] + hi * p.xs[2] + wi * p.xs[3]] : pad;
    }
}

// The adjoint of im2col as a gather: each output pixel sums the columns that read it, so no
// atomics and a deterministic order (ki, kj ascending, the CPU's order). out is contiguous.
template <class T>
__device__ void col2im(const T* cols, T* out, const Conv& p) {
    long long total = p.n * p.c * p.h * p.w;
    for (long long i = gridStart(); i < total; i += gridStep()) {
        long long wi = i % p.w, hi = (i / p.w) % p.h, plane = i / (p.w * p.h);
        long long ni = plane / p.c, ci = plane % p.c;
        T acc = T(0);
        for (int ki = 0; ki < p.kh; ki++) {
            long long hs = hi + p.ph - (long long)ki * p.dh;   // = oi · sh when this tap reads hi
            if (hs < 0 || hs % p.sh != 0 || hs / p.sh >= p.outH) continue;
            for (int kj = 0; kj < p.kw; kj++) {
                long long ws = wi + p.pw - (long long)kj * p.dw;
                if (ws < 0 || ws % p.sw != 0 || ws / p.sw >= p.outW) continue;
                long long row = (ci * p.kh + ki) * p.kw + kj;
                acc += cols[ni * p.cs[0] + row * p.cs[1] + ((hs / p.sh) * p.outW + ws / p.sw) * p.cs[2]];
            }
        }
        out[i] = acc;
    }
}

// out and indices are contiguous [N, C, outH, outW]; an index is hi·W + wi within the plane,
// −1 when the window lies wholly in the padding (out is then −inf).
template <class T>
__device__ void maxpool2d(const T* x, T* out, long long* indices, const Conv& p) {
    long long total = p.n * p.c * p.outH * p.outW;
    for (long long i = gridStart(); i < total; i += gridStep()) {
        long long oj = i % p.outW, oi = (i / p.outW) % p.outH, plane = i / (p.outW * p.outH);
        const T* xp = x + (plane / p.c) * p.xs[0] + (plane % p.c) * p.xs[1];
        T best = T(-INFINITY);
        long long bestAt = -1;
        for (int ki = 0; ki < p.kh; ki++) {
            long long hi = tap(oi, ki, p.sh, p.ph, p.dh);
            if (hi < 0 || hi >= p.h) continue;
            for (int kj = 0; kj < p.kw; kj++) {
                long long wi = tap(oj, kj, p.sw, p.pw, p.dw);
                if (wi < 0 || wi >= p.w) continue;
                T v = xp[hi * p.xs[2] + wi * p.xs[3]];
                if (bestAt < 0 || v > best || (isNaN(v) && !isNaN(best))) { best = v; bestAt = hi * p.w + wi; }   // first NaN wins
            }
        }
        out[i] = best;
        indices[i] = bestAt;
    }
}

// dx (contiguous, zeroed by the caller) += grad at each window's argmax. Overlapping windows can
// pick the same pixel, hence atomicAdd (double atomicAdd needs sm_60+, below our compute_75).
template <class T>
__device__ void maxpool2dBackward(const T* grad, const long long* indices, T* dx, const Conv& p) {
    long long total = p.n * p.c * p.outH * p.outW, l = p.outH * p.outW;
    for (long long i = gridStart(); i < total; i += gridStep()) {
        long long at = indices[i];
        if (at >= 0) atomicAdd(dx + (i / l) * p.h * p.w + at, grad[i]);   // −1: the window saw only padding
    }
}

extern "C" __global__ void im2col_f32(const float* x, float* cols, Conv p) { im2col(x, cols, p); }
extern "C" __global__ void im2col_f64(const double* x, double* cols, Conv p) { im2col(x, cols, p); }
extern "C" __global__ void col2im_f32(const float* cols, float* out, Conv p) { col2im(cols, out, p); }
extern "C" __global__ void col2im_f64(const double* cols, double* out, Conv p) { col2im(cols, out, p); }
extern "C" __global__ void maxpool2d_f32(const float* x, float* out, long long* indices, Conv p) { maxpool2d(x, out, indices, p); }
extern "C" __global__ void maxpool2d_f64(const double* x, double* out, long long* indices, Conv p) { maxpool2d(x, out, indices, p); }
extern "C" __global__ void maxpool2d_backward_f32(const float* grad, const long long* indices, float* dx, Conv p) { maxpool2dBackward(grad, indices, dx, p); }
extern "C" __global__ void maxpool2d_backward_f64(const double* grad, const long long* indices, double* dx, Conv p) { maxpool2dBackward(grad, indices, dx, p); }
