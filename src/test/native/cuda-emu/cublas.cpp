// The CUDA host emulator's libcublas.so.12: the GEMMs Tessera calls, written from the cuBLAS
// documentation (column-major, op(A) m×k, op(B) k×n, C m×n, leading dimensions in elements),
// with the documented argument checks, and each operand's extent checked against the emulated
// driver's allocations, so a wrong ld or batch stride on the Java side fails instead of reading
// past a block. Other functions JCublas2 imports are stubs returning CUBLAS_STATUS_NOT_SUPPORTED.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern "C" int emu_device_range(uintptr_t p, size_t bytes);   // driver.cpp

namespace {

enum { SUCCESS = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7 };
enum { OP_N = 0, OP_T = 1, OP_C = 2 };
struct Handle { int mathMode, pointerMode; void* stream; };

int invalid(const char* fn, const char* what) {
    fprintf(stderr, "[cuda-emu] %s: %s\n", fn, what);
    return INVALID_VALUE;
}

/** Whether a rows×cols column-major matrix with leading dimension ld, batch times at stride, lies in device memory. */
template <class T> bool inDevice(const T* p, long long rows, long long cols, long long ld, long long stride, long long batch) {
    if (rows == 0 || cols == 0 || batch == 0) return true;
    long long last = (cols - 1) * ld + (rows - 1) + (batch - 1) * stride;
    if (stride < 0) return false;
    return emu_device_range((uintptr_t) p, (size_t) (last + 1) * sizeof(T));
}

template <class T>
int gemm(const char* fn, Handle* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, long long sa,
         const T* B, int ldb, long long sb, const T* beta, T* C, int ldc, long long sc, int batch) {
    if (!h) return NOT_INITIALIZED;
    if (h->pointerMode != 0) return invalid(fn, "device pointer mode is not emulated");
    if (ta < OP_N || ta > OP_C || tb < OP_N || tb > OP_C) return invalid(fn, "bad transa/transb");
    if (m < 0 || n < 0 || k < 0 || batch < 0) return invalid(fn, "negative m, n, k or batchCount");
    long long rowsA = ta == OP_N ? m : k, colsA = ta == OP_N ? k : m;
    long long rowsB = tb == OP_N ? k : n, colsB = tb == OP_N ? n : k;
    if (lda < (rowsA > 1 ? rowsA : 1)) return invalid(fn, "lda < max(1, rows of A as stored)");
    if (ldb < (rowsB > 1 ? rowsB : 1)) return invalid(fn, "ldb < max(1, rows of B as stored)");
    if (ldc < (m > 1 ? m : 1)) return invalid(fn, "ldc < max(1, m)");
    if (m == 0 || n == 0 || batch == 0) return SUCCESS;
    bool readA = k > 0 && *alpha != T(0);
    if (readA && (!inDevice(A, rowsA, colsA, lda, sa, batch) || !inDevice(B, rowsB, colsB, ldb, sb, batch)))
        return invalid(fn, "A or B extends past its device allocation");
    if (!inDevice(C, m, n, ldc, sc, batch)) return invalid(fn, "C extends past its device allocation");
    static const bool skip = getenv("TESSERA_EMU_SKIP_KERNELS") != nullptr;   // as for kernels: every check above, no arithmetic
    if (skip) return SUCCESS;
    for (int b = 0; b < batch; b++) {
        const T *a = A + b * sa, *bb = B + b * sb;
        T* c = C + b * sc;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                T acc = T(0);   // accumulated in T, as cuBLAS does without tensor-op math
                if (readA)
                    for (int l = 0; l < k; l++)
                        acc += (ta == OP_N ? a[i + (long long) l * lda] : a[l + (long long) i * lda])
                             * (tb == OP_N ? bb[l + (long long) j * ldb] : bb[j + (long long) l * ldb]);
                T& out = c[i + (long long) j * ldc];
                out = *alpha * acc + (*beta == T(0) ? T(0) : *beta * out);   // beta = 0: C is not read (NaN there is overwritten)
            }
    }
    return SUCCESS;
}

} // namespace

extern "C" {

int cublasCreate_v2(Handle** h) { *h = new Handle{0, 0, nullptr}; return SUCCESS; }
int cublasDestroy_v2(Handle* h) { delete h; return SUCCESS; }
int cublasSetStream_v2(Handle* h, void* s) { if (!h) return NOT_INITIALIZED; h->stream = s; return SUCCESS; }
int cublasGetStream_v2(Handle* h, void** s) { if (!h) return NOT_INITIALIZED; *s = h->stream; return SUCCESS; }
int cublasSetMathMode(Handle* h, int mode) { if (!h) return NOT_INITIALIZED; h->mathMode = mode; return SUCCESS; }
int cublasGetMathMode(Handle* h, int* mode) { if (!h) return NOT_INITIALIZED; *mode = h->mathMode; return SUCCESS; }
int cublasSetPointerMode_v2(Handle* h, int mode) { if (!h) return NOT_INITIALIZED; h->pointerMode = mode; return SUCCESS; }
int cublasGetPointerMode_v2(Handle* h, int* mode) { if (!h) return NOT_INITIALIZED; *mode = h->pointerMode; return SUCCESS; }
// The major version of the library this build stands in for: 12 (libcublas.so.12) or 13.
#ifndef EMU_CUBLAS_MAJOR
#define EMU_CUBLAS_MAJOR 12
#endif
int cublasGetVersion_v2(Handle*, int* v) { *v = EMU_CUBLAS_MAJOR * 10000; return SUCCESS; }
int cublasGetProperty(int type, int* v) { *v = type == 0 ? EMU_CUBLAS_MAJOR : 0; return SUCCESS; }

int cublasSgemm_v2(Handle* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                   const float* beta, float* C, int ldc) {
    return gemm("cublasSgemm_v2", h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
int cublasDgemm_v2(Handle* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* A, int lda, const double* B, int ldb,
                   const double* beta, double* C, int ldc) {
    return gemm("cublasDgemm_v2", h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
int cublasSgemmStridedBatched(Handle* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda, long long sa,
                              const float* B, int ldb, long long sb, const float* beta, float* C, int ldc, long long sc, int batch) {
    return gemm("cublasSgemmStridedBatched", h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
int cublasDgemmStridedBatched(Handle* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* A, int lda, long long sa,
                              const double* B, int ldb, long long sb, const double* beta, double* C, int ldc, long long sc, int batch) {
    return gemm("cublasDgemmStridedBatched", h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

} // extern "C"
