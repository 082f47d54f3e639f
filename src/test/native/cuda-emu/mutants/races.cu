// Seeded races for the emulator's race detector (RaceDetectorTest), each beside its correct twin.
// Test-only: never in the PTX; the test declares their entries in a PTX text of its own. Every
// kernel takes (float* data, long long n) and runs one thread per element.
#include "common.cuh"

// Threads 2i and 2i+1 both write data[i]: a write-after-write race.
extern "C" __global__ void race_two_writers(float* data, long long n) {
    long long i = gridStart();
    if (i < n) data[i / 2] = float(i);
}
extern "C" __global__ void race_free_one_writer(float* data, long long n) {
    long long i = gridStart();
    if (i < n) data[i] = float(i);
}

// Each thread swaps its value with its neighbour's through shared memory; without the barrier a
// thread may read the slot before its neighbour wrote it (read-after-write in one phase).
extern "C" __global__ void race_missing_barrier(float* data, long long n) {
    __shared__ float slot[TS_MAX_BLOCK];
    unsigned t = threadIdx.x;
    slot[t] = data[t];
    data[t] = slot[t ^ 1];
}
extern "C" __global__ void race_free_with_barrier(float* data, long long n) {
    __shared__ float slot[TS_MAX_BLOCK];
    unsigned t = threadIdx.x;
    slot[t] = data[t];
    __syncthreads();
    data[t] = slot[t ^ 1];
}
