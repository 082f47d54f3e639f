// uniform_<dt>, normal_<dt>: counter-based, so element i depends only on (seed, i), never on the
// launch shape. Generator: Philox4x32-10 from Salmon, Moraes, Dror, Shaw, "Parallel Random
// Numbers: As Easy as 1, 2, 3" (SC11), with the Random123 round constants and key schedule;
// counter = (i mod 2^32, i / 2^32, 0, 0), key = (seed mod 2^32, seed / 2^32). Known answer
// (Random123 kat_vectors): counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
#include "common.cuh"

struct Philox4x32 { unsigned x, y, z, w; };

__host__ __device__ inline void mulhilo(unsigned a, unsigned b, unsigned& hi, unsigned& lo) {
    unsigned long long p = (unsigned long long)a * b;   // mul.wide.u32 on the device
    hi = unsigned(p >> 32);
    lo = unsigned(p);
}

__host__ __device__ inline Philox4x32 philox4x32_10(unsigned long long counter, unsigned long long seed) {
    const unsigned M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    Philox4x32 c = {unsigned(counter), unsigned(counter >> 32), 0u, 0u};
    unsigned k0 = unsigned(seed), k1 = unsigned(seed >> 32);
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += W0; k1 += W1; }   // the key is bumped between rounds
        unsigned hi0, lo0, hi1, lo1;
        mulhilo(M0, c.x, hi0, lo0);
        mulhilo(M1, c.z, hi1, lo1);
        c = {hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
    }
    return c;
}

// 53 random bits -> [0, 1), exact in double. FLOAT32 is drawn in double too and rounded, so one
// seed gives the same numbers (to float precision) in both dtypes, as on the CPU.
__host__ __device__ inline double unit53(unsigned hi, unsigned lo) {
    return double(((unsigned long long)hi << 21) ^ (lo >> 11)) * 0x1p-53;
}

struct Uniform {
    double lo, hi;
    __device__ double operator()(Philox4x32 r) const { return lo + (hi - lo) * unit53(r.x, r.y); }
};
// Box–Muller on one counter's four words; u1 in (0, 1] keeps log away from 0. The sine twin is
// dropped so that element i stays a function of i alone.
struct Normal {
    double mean, std;
    __device__ double operator()(Philox4x32 r) const {
        double u1 = 1.0 - unit53(r.x, r.y), u2 = unit53(r.z, r.w);
        return mean + std * sqrt(-2.0 * log(u1)) * cospi(2.0 * u2);
    }
};

template <class T, class Dist>
__device__ void sample(T* out, long long n, unsigned long long seed, Dist dist) {
    for (long long i = gridStart(); i < n; i += gridStep()) out[i] = T(dist(philox4x32_10((unsigned long long)i, seed)));
}

extern "C" __global__ void uniform_f32(float* out, long long n, unsigned long long seed, double lo, double hi) { sample(out, n, seed, Uniform{lo, hi}); }
extern "C" __global__ void uniform_f64(double* out, long long n, unsigned long long seed, double lo, double hi) { sample(out, n, seed, Uniform{lo, hi}); }
extern "C" __global__ void normal_f32(float* out, long long n, unsigned long long seed, double mean, double std) { sample(out, n, seed, Normal{mean, std}); }
extern "C" __global__ void normal_f64(double* out, long long n, unsigned long long seed, double mean, double std) { sample(out, n, seed, Normal{mean, std}); }
