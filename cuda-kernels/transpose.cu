// transpose_<dt>: a copy (one dtype) whose source is contiguous along a dim p and whose destination
// is contiguous along the last dim — contiguous() of a transposed or permuted view — through 32×32
// shared-memory tiles, so that both the reads and the writes are coalesced (copy_<dt>_<dt> would
// read the source with a large stride). Its own file: the emulator runs files with barriers as fibers.
#include "common.cuh"

// A block moves one tile at a time (blocks stride over batch × tiles; uniform per block, so the
// barriers are safe): it reads 32 source elements along p per row of threads, and writes 32
// destination elements along the last dim; the row of 33 keeps the column read free of bank conflicts.
// g: the batch dims (every dim but p and the last), operand 0 dst, 1 src. P, L: the sizes of p and
// the last dim; srcL: the source stride along the last dim; dstP: the destination stride along p.
template <class T>
__device__ void transpose(const T* src, T* dst, const Strides& g, long long P, long long L, long long srcL, long long dstP) {
    __shared__ T tile[32][33];
    long long tilesP = (P + 31) / 32, tilesL = (L + 31) / 32, perBatch = tilesP * tilesL, tiles = g.n * perBatch;
    unsigned tx = threadIdx.x % 32, rows = blockDim.x / 32;
    for (long long t = blockIdx.x; t < tiles; t += gridDim.x) {
        long long rest = t % perBatch, p0 = rest / tilesL * 32, l0 = rest % tilesL * 32, o[2];
        offsets(g, t / perBatch, o);
        for (unsigned r = threadIdx.x / 32; r < 32; r += rows) {
            long long p = p0 + tx, l = l0 + r;
            if (p < P && l < L) tile[r][tx] = src[o[1] + p + l * srcL];
        }
        __syncthreads();
        for (unsigned r = threadIdx.x / 32; r < 32; r += rows) {
            long long p = p0 + r, l = l0 + tx;
            if (p < P && l < L) dst[o[0] + p * dstP + l] = tile[tx][r];
        }
        __syncthreads();   // the tile is filled again by the next iteration
    }
}

extern "C" __global__ void transpose_f32(const float* src, float* dst, Strides g, long long P, long long L, long long srcL, long long dstP) { transpose(src, dst, g, P, L, srcL, dstP); }
extern "C" __global__ void transpose_f64(const double* src, double* dst, Strides g, long long P, long long L, long long srcL, long long dstP) { transpose(src, dst, g, P, L, srcL, dstP); }
extern "C" __global__ void transpose_i64(const long long* src, long long* dst, Strides g, long long P, long long L, long long srcL, long long dstP) { transpose(src, dst, g, P, L, srcL, dstP); }
extern "C" __global__ void transpose_b8(const b8* src, b8* dst, Strides g, long long P, long long L, long long srcL, long long dstP) { transpose(src, dst, g, P, L, srcL, dstP); }

