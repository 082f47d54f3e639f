// The embedding backward without atomics on the weight gradient: dw[r, :] = Σ grad[i, :] over the
// positions i with index[i] = r, in increasing i (the CPU's order, so the sums are bitwise the same),
// and 0 for the padding row. The indices are sorted stably by a radix sort on the device, which
// gives each row its segment of positions; then one thread per element of dw sums its segment.
// A frequent row (a padding token, "the") costs its segment's length, not a queue of atomics.
//
//   embedding_keys              key[i] = index[i], or rows for an index outside [0, rows) (the forward
//                               flagged it; its segment is ignored); pos[i] = i
//   radix_histogram, radix_scan, radix_scatter   one stable pass per 8 bits of the key
//   embedding_segments          seg[2r], seg[2r + 1]: row r's range in the sorted keys (seg zeroed by the caller)
//   embedding_backward_<dt>     the sums
#include "common.cuh"

#define TS_RADIX_TILE 2048   // keys per block in a radix pass: 8 chunks of a 256-thread block
#define TS_RADIX_CHUNK 256

extern "C" __global__ void embedding_keys(const long long* index, unsigned* key, unsigned* pos, long long m, long long rows) {
    for (long long i = gridStart(); i < m; i += gridStep()) {
        long long r = index[i];
        key[i] = r >= 0 && r < rows ? unsigned(r) : unsigned(rows);
        pos[i] = unsigned(i);
    }
}

// hist[digit · tiles + tile]: how many keys of the tile have that digit (digit-major, so that an
// exclusive scan of hist gives each (digit, tile) its first output slot, tiles in order: stable).
extern "C" __global__ void radix_histogram(const unsigned* key, unsigned* hist, long long m, int shift, long long tiles) {
    __shared__ unsigned count[256];
    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x) {   // uniform per block
        for (unsigned d = threadIdx.x; d < 256; d += blockDim.x) count[d] = 0;
        __syncthreads();
        long long end = (tile + 1) * TS_RADIX_TILE < m ? (tile + 1) * TS_RADIX_TILE : m;
        for (long long i = tile * TS_RADIX_TILE + threadIdx.x; i < end; i += blockDim.x) atomicAdd(&count[(key[i] >> shift) & 255], 1u);
        __syncthreads();
        for (unsigned d = threadIdx.x; d < 256; d += blockDim.x) hist[d * tiles + tile] = count[d];
        __syncthreads();   // count is zeroed again for the next tile
    }
}

// In-place exclusive prefix sum of data[0, n) by one block (launched with a grid of 1): chunks of
// blockDim values, each scanned in shared memory (Hillis–Steele), plus the running total.
extern "C" __global__ void radix_scan(unsigned* data, long long n) {
    __shared__ unsigned buf[TS_MAX_BLOCK];
    unsigned carry = 0, t = threadIdx.x;
    for (long long base = 0; base < n; base += blockDim.x) {
        unsigned v = base + t < n ? data[base + t] : 0;
        buf[t] = v;
        __syncthreads();
        for (unsigned step = 1; step < blockDim.x; step <<= 1) {
            unsigned add = t >= step ? buf[t - step] : 0;
            __syncthreads();
            buf[t] += add;
            __syncthreads();
        }
        if (base + t < n) data[base + t] = carry + buf[t] - v;
        carry += buf[blockDim.x - 1];
        __syncthreads();   // buf is refilled by the next chunk
    }
}

// Moves each key (and its position) to its slot: the (digit, tile) offset from the scan, plus the
// number of keys with the same digit before it in the tile — counted chunk by chunk, so the order
// within a digit stays the input order.
extern "C" __global__ void radix_scatter(const unsigned* keyIn, const unsigned* posIn, unsigned* keyOut, unsigned* posOut,
                                         const unsigned* offsets, long long m, int shift, long long tiles) {
    __shared__ unsigned next[256];
    __shared__ unsigned digits[TS_RADIX_CHUNK];
    unsigned t = threadIdx.x;
    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x) {   // uniform per block
        for (unsigned d = t; d < 256; d += blockDim.x) next[d] = offsets[d * tiles + tile];
        for (long long base = tile * TS_RADIX_TILE; base < (tile + 1) * TS_RADIX_TILE && base < m; base += TS_RADIX_CHUNK) {
            long long i = base + t;
            bool mine = t < TS_RADIX_CHUNK && i < m;
            unsigned k = mine ? keyIn[i] : 0, digit = mine ? (k >> shift) & 255 : 256;
            if (t < TS_RADIX_CHUNK) digits[t] = digit;
            __syncthreads();
            unsigned before = 0, same = 0;
            if (mine) {
                for (unsigned s = 0; s < TS_RADIX_CHUNK; s++) {
                    bool eq = digits[s] == digit;
                    same += eq;
                    before += eq && s < t;
                }
                unsigned slot = next[digit] + before;
                keyOut[slot] = k;
                posOut[slot] = posIn[i];
            }
            __syncthreads();
            if (mine && before + 1 == same) next[digit] += same;   // the digit's last key in the chunk moves its cursor
            __syncthreads();
        }
    }
}

extern "C" __global__ void embedding_segments(const unsigned* key, long long* seg, long long m, long long rows) {
    for (long long i = gridStart(); i < m; i += gridStep()) {
        unsigned k = key[i];
        if (k >= rows) continue;   // a bad index: no row
        if (i == 0 || key[i - 1] != k) seg[2 * (long long)k] = i;
        if (i == m - 1 || key[i + 1] != k) seg[2 * (long long)k + 1] = i + 1;
    }
}

template <class T>
__device__ void embeddingBackward(const T* grad, const unsigned* pos, const long long* seg, T* dw, long long rows, long long d, long long padding) {
    for (long long e = gridStart(); e < rows * d; e += gridStep()) {
        long long r = e / d, j = e % d;
        T acc = T(0);
        if (r != padding)
            for (long long s = seg[2 * r]; s < seg[2 * r + 1]; s++) acc += grad[pos[s] * d + j];
        dw[e] = acc;
    }
}

extern "C" __global__ void embedding_backward_f32(const float* grad, const unsigned* pos, const long long* seg, float* dw, long long rows, long long d,
                                                  long long padding) { embeddingBackward(grad, pos, seg, dw, rows, d, padding); }
extern "C" __global__ void embedding_backward_f64(const double* grad, const unsigned* pos, const long long* seg, double* dw, long long rows, long long d,
                                                  long long padding) { embeddingBackward(grad, pos, seg, dw, rows, d, padding); }
