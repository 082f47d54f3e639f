// Shared by every kernel file: the structs of the calling convention (README.md) and the index
// arithmetic. The Java side packs Strides and Conv byte for byte: change them only together.
#pragma once

#define TS_MAX_DIMS 8
#define TS_MAX_BLOCK 1024   // the block reductions below hold one slot per thread
#define TS_WARP 32

typedef unsigned char b8;   // BOOL: one byte per element, 0 or 1

struct Strides {
    long long n;            // elements of the output
    int ndim;               // 0..8; dims already merged by the caller
    int index32;            // 1: n and every operand's extent are below 2^31, so 32-bit indexing is exact
    long long shape[TS_MAX_DIMS];
    long long stride[4][TS_MAX_DIMS];   // per operand, in elements; operand 0 is the output
    unsigned magic[TS_MAX_DIMS];        // i / shape[d] = (umulhi(i, magic[d]) + i) >> shift[d] for i < 2^31
    unsigned shift[TS_MAX_DIMS];
};
static_assert(sizeof(Strides) == 400, "Strides must stay 400 bytes: the Java side packs it");

struct Conv {               // mirrors dev.tessera.backend.ConvGeometry
    long long n, c, h, w, outH, outW;
    long long xs[4];        // strides of x (im2col, maxpool2d) in elements
    long long cs[3];        // strides of cols [N, C·kh·kw, outH·outW] (im2col, col2im) in elements
    int kh, kw, sh, sw, ph, pw, dh, dw;
    double padValue;
};
static_assert(sizeof(Conv) == 144, "Conv must stay 144 bytes: the Java side packs it");

// Grid-stride loops: any grid size is correct, and 64-bit so that n > 2^31 works.
__device__ __forceinline__ long long gridStart() { return blockIdx.x * (long long)blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long gridStep() { return (long long)gridDim.x * blockDim.x; }

// Offsets of element i (row-major over g.shape) in the first K operands. The loop is unrolled
// over TS_MAX_DIMS so that g is indexed by constants and stays in parameter space (no local
// copy); dim 0 takes what is left of i, so a fully merged (ndim 1) view does no division.
template <int K>
__device__ __forceinline__ void offsets(const Strides& g, long long i, long long (&off)[K]) {
#pragma unroll
    for (int k = 0; k < K; k++) off[k] = 0;
#pragma unroll
    for (int d = TS_MAX_DIMS - 1; d > 0; d--) {
        if (d >= g.ndim) continue;
        long long s = g.shape[d], c = i % s;
        i /= s;
#pragma unroll
        for (int k = 0; k < K; k++) off[k] += c * g.stride[k][d];
    }
    if (g.ndim > 0) {
#pragma unroll
        for (int k = 0; k < K; k++) off[k] += i * g.stride[k][0];
    }
}

// The same in 32 bits, dividing by multiplication with the host's precomputed magic numbers
// (Granlund & Montgomery, as PyTorch's IntDivider): a 64-bit div/mod per dimension is a long
// software sequence on the GPU, and dominated broadcast elementwise ops. Exact for i < 2^31.
template <int K>
__device__ __forceinline__ void offsets32(const Strides& g, unsigned i, unsigned (&off)[K]) {
#pragma unroll
    for (int k = 0; k < K; k++) off[k] = 0;
#pragma unroll
    for (int d = TS_MAX_DIMS - 1; d > 0; d--) {
        if (d >= g.ndim) continue;
        unsigned q = (__umulhi(i, g.magic[d]) + i) >> g.shift[d], c = i - q * (unsigned)g.shape[d];
        i = q;
#pragma unroll
        for (int k = 0; k < K; k++) off[k] += c * (unsigned)g.stride[k][d];
    }
    if (g.ndim > 0) {
#pragma unroll
        for (int k = 0; k < K; k++) off[k] += i * (unsigned)g.stride[k][0];
    }
}

// Grid-stride loop over the n elements of g, calling f(off) with the K operands' offsets: in 32-bit
// arithmetic when the host marked g index32 (a branch uniform over the launch), else in 64 bits.
template <int K, class F>
__device__ __forceinline__ void forEachElement(const Strides& g, F f) {
    if (g.index32) {
        unsigned n = (unsigned)g.n, step = gridDim.x * blockDim.x;   // i + step < 2^32: i < 2^31, the grid below 2^31 threads
        for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
            unsigned o[K];
            offsets32(g, i, o);
            f(o);
        }
    } else {
        for (long long i = gridStart(); i < g.n; i += gridStep()) {
            long long o[K];
            offsets(g, i, o);
            f(o);
        }
    }
}

// Conversions as CpuBackend.set(get(x)) does them: through double (so INT64 -> FLOAT32 rounds
// twice, like the CPU), to BOOL as x != 0 (NaN is true), INT64 -> INT64 exact. Float -> INT64
// compiles to cvt.rzi.s64, which saturates and maps NaN to 0, as Java's (long) cast does.
template <class D> struct Cast {
    template <class S> __host__ __device__ D operator()(S x) const { return static_cast<D>(static_cast<double>(x)); }
};
template <> struct Cast<b8> {
    template <class S> __host__ __device__ b8 operator()(S x) const { return x != S(0); }
};
template <> struct Cast<long long> {
    __host__ __device__ long long operator()(long long x) const { return x; }
    __host__ __device__ long long operator()(b8 x) const { return x; }
    __host__ __device__ long long operator()(double x) const {
#ifdef __CUDA_ARCH__
        return static_cast<long long>(x);
#else   // a host build (the CUDA emulator, src/test/native/cuda-emu): the C++ cast is undefined for NaN and out of range, so spell out cvt.rzi.s64
        return x != x ? 0 : x >= 0x1p63 ? 0x7fffffffffffffffLL : x < -0x1p63 ? (-0x7fffffffffffffffLL - 1) : static_cast<long long>(x);
#endif
    }
    __host__ __device__ long long operator()(float x) const { return (*this)(double(x)); }
};

template <class T> __host__ __device__ __forceinline__ bool isNaN(T x) { return x != x; }   // false for integers

// Reduces one value per thread of the block with the associative Merge; every thread gets the
// result. A shared-memory tree rather than warp shuffles, so any blockDim up to TS_MAX_BLOCK is
// correct (shuffles would need whole warps). State must be trivially constructible.
template <class State, class Merge>
__device__ State blockReduce(State s, Merge merge) {
    __shared__ State buf[TS_MAX_BLOCK];
    unsigned t = threadIdx.x, n = blockDim.x;
    buf[t] = s;
    __syncthreads();
    unsigned half = 1;
    while (half < n) half <<= 1;
    for (half >>= 1; half > 0; half >>= 1) {
        if (t < half && t + half < n) buf[t] = merge(buf[t], buf[t + half]);
        __syncthreads();
    }
    State r = buf[0];
    __syncthreads();   // buf is reused by the next call (the next row, or the next pass)
    return r;
}

// Reduces one value per lane of a warp with the associative, commutative Merge (butterfly: every
// lane gets the same result). All 32 lanes must call it together (the full mask): the caller's
// loops must be uniform per warp, and blocks whole warps.
template <class T, class Merge>
__device__ __forceinline__ T warpReduce(T v, Merge merge) {
#pragma unroll
    for (int o = TS_WARP / 2; o > 0; o >>= 1) v = merge(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
