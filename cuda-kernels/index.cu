// index_select_<dt> (embedding lookup, out[i, :] = table[index[i], :]) and index_add_<dt>
// (its adjoint, out[index[i], :] += src[i, :]). All operands contiguous; one thread per element
// of the [m, d] side.
#include "common.cuh"

// A bad index sets *bad (the caller turns it into PyTorch's "index out of range in self") and
// writes 0 rather than reading outside the table: a fault would poison the whole context.
template <class T>
__device__ void indexSelect(const T* table, const long long* index, T* out, long long m, long long d, long long rows, int* bad) {
    for (long long i = gridStart(); i < m * d; i += gridStep()) {
        long long row = index[i / d];
        if (row < 0 || row >= rows) { *bad = 1; out[i] = T(0); continue; }
        out[i] = table[row * d + i % d];
    }
}

// Repeated indices add into the same row, hence atomicAdd (so the sum's order, and the last
// bits of a float result, vary between runs). The caller validates indices: there is no row
// count to check against, only negatives are skipped.
template <class T>
__device__ void indexAdd(const T* src, const long long* index, T* out, long long m, long long d) {
    for (long long i = gridStart(); i < m * d; i += gridStep()) {
        long long row = index[i / d];
        if (row >= 0) atomicAdd(out + row * d + i % d, src[i]);
    }
}

extern "C" __global__ void index_select_f32(const float* table, const long long* index, float* out, long long m, long long d, long long rows, int* bad) { indexSelect(table, index, out, m, d, rows, bad); }
extern "C" __global__ void index_select_f64(const double* table, const long long* index, double* out, long long m, long long d, long long rows, int* bad) { indexSelect(table, index, out, m, d, rows, bad); }
extern "C" __global__ void index_add_f32(const float* src, const long long* index, float* out, long long m, long long d) { indexAdd(src, index, out, m, d); }
extern "C" __global__ void index_add_f64(const double* src, const long long* index, double* out, long long m, long long d) { indexAdd(src, index, out, m, d); }
