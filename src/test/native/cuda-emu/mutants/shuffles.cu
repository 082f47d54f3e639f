// Warp shuffles for the emulator's shuffle checks (RaceDetectorTest): correct uses whose values the
// test checks against the CUDA Programming Guide's semantics, and misuses that must fail the launch,
// as compute-sanitizer's synccheck reports them. Test-only: never in the PTX. Every kernel takes
// (float* data, long long n) and runs one thread per element of one block.
#include "common.cuh"

// Butterfly sum: every lane ends with its warp's sum.
extern "C" __global__ void shfl_ok_xor_sum(float* data, long long n) {
    float v = data[threadIdx.x];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    data[threadIdx.x] = v;
}
// Width 16: a lane of the upper half reads the lower half (an earlier segment); a lower-half lane
// would read a later segment and gets its own value instead.
extern "C" __global__ void shfl_ok_xor_width16(float* data, long long n) {
    float v = data[threadIdx.x];
    data[threadIdx.x] = v + __shfl_xor_sync(0xffffffffu, v, 16, 16);
}
// Down within segments of 8: a source past the segment's end gives the lane its own value.
extern "C" __global__ void shfl_ok_down_width8(float* data, long long n) {
    double v = data[threadIdx.x];   // doubles travel whole
    for (int o = 4; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o, 8);
    data[threadIdx.x] = float(v);
}
// A half-warp mask whose lanes read the other half: lanes the mask does not name.
extern "C" __global__ void shfl_bad_mask(float* data, long long n) {
    float v = data[threadIdx.x];
    if ((threadIdx.x & 31) < 16) v += __shfl_xor_sync(0x0000ffffu, v, 16);
    data[threadIdx.x] = v;
}
// Lane 5 leaves before the reduction that names it.
extern "C" __global__ void shfl_missing_lane(float* data, long long n) {
    if ((threadIdx.x & 31) == 5) return;
    float v = data[threadIdx.x];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    data[threadIdx.x] = v;
}
// Even and odd lanes at two different shuffles, each naming the whole warp.
extern "C" __global__ void shfl_diverged(float* data, long long n) {
    float v = data[threadIdx.x];
    if (threadIdx.x & 1) v += __shfl_xor_sync(0xffffffffu, v, 1);
    else v -= __shfl_xor_sync(0xffffffffu, v, 1);
    data[threadIdx.x] = v;
}
// The upper half-warp waits at __syncthreads while the lower half shuffles with a full mask.
extern "C" __global__ void shfl_lane_at_barrier(float* data, long long n) {
    float v = data[threadIdx.x];
    if ((threadIdx.x & 31) < 16) v += __shfl_xor_sync(0xffffffffu, v, 1);
    __syncthreads();
    data[threadIdx.x] = v;
}
// Each lane names only its neighbour, not itself.
extern "C" __global__ void shfl_caller_outside_mask(float* data, long long n) {
    float v = data[threadIdx.x];
    data[threadIdx.x] = v + __shfl_xor_sync(1u << ((threadIdx.x + 1) & 31), v, 1);
}
