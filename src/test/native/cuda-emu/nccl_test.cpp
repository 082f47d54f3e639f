// Tests of the emulated libnccl.so.2 (nccl.cpp), run by EmulatedNcclTest: each case forks its ranks
// as separate processes on the emulated driver (device memory from cuMemAlloc, one device per rank)
// and checks every collective's output against values computed here from the inputs' formula, then
// the error paths, the timeout, a peer that exits, and ncclCommAbort from another thread. Prints one
// line per failed check and ends with "N passed, M failed"; exits 1 when any failed.
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

extern "C" {
typedef struct { char internal[128]; } ncclUniqueId;
typedef struct Comm* ncclComm_t;
int ncclGetVersion(int*);
int ncclGetUniqueId(ncclUniqueId*);
int ncclCommInitRank(ncclComm_t*, int, ncclUniqueId, int);
int ncclCommInitAll(ncclComm_t*, int, const int*);
int ncclCommDestroy(ncclComm_t);
int ncclCommAbort(ncclComm_t);
int ncclCommCount(ncclComm_t, int*);
int ncclCommCuDevice(ncclComm_t, int*);
int ncclCommUserRank(ncclComm_t, int*);
int ncclCommGetAsyncError(ncclComm_t, int*);
const char* ncclGetErrorString(int);
const char* ncclGetLastError(ncclComm_t);
int ncclAllReduce(const void*, void*, size_t, int, int, ncclComm_t, void*);
int ncclBroadcast(const void*, void*, size_t, int, int, ncclComm_t, void*);
int ncclReduce(const void*, void*, size_t, int, int, int, ncclComm_t, void*);
int ncclAllGather(const void*, void*, size_t, int, ncclComm_t, void*);
int ncclReduceScatter(const void*, void*, size_t, int, int, ncclComm_t, void*);
int ncclGroupStart(void);
int ncclGroupEnd(void);
int cuInit(unsigned);
int cuDevicePrimaryCtxRetain(void**, int);
int cuCtxSetCurrent(void*);
int cuMemAlloc_v2(unsigned long long*, size_t);
int cuMemFree_v2(unsigned long long);
}

enum { Success, UnhandledCudaError, SystemError, InternalError, InvalidArgument, InvalidUsage, RemoteError };
enum { Int8 = 0, Uint8 = 1, Int32 = 2, Int64 = 4, Float16 = 6, Float32 = 7, Float64 = 8 };
enum { Sum, Prod, Max, Min, Avg };
const char* OPS[] = {"sum", "prod", "max", "min", "avg"};

static int failures;   // in a rank process: its own; the parent counts ranks that failed
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); } } while (0)

static long nowMs() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/** Device memory of the emulated driver (a rank's buffers must be in its allocations). */
template <class T> T* deviceAlloc(size_t n) {
    unsigned long long p = 0;
    if (cuMemAlloc_v2(&p, (n ? n : 1) * sizeof(T)) != 0) { fprintf(stderr, "cuMemAlloc failed\n"); _exit(3); }
    return (T*) (uintptr_t) p;
}

/** Makes device `d` current, as a rank does before ncclCommInitRank. */
static void useDevice(int d) {
    void* ctx;
    cuInit(0);
    cuDevicePrimaryCtxRetain(&ctx, d);
    cuCtxSetCurrent(ctx);
}

/** Forks n ranks running body(rank); passes when every rank exits 0 within limitMs. */
static int passed, failedCases;
static void ranks(const char* name, int n, const std::function<void(int)>& body, long limitMs = 60000) {
    fflush(stdout);
    fflush(stderr);
    std::vector<pid_t> pids;
    for (int r = 0; r < n; r++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm((unsigned) (limitMs / 1000 + 1));   // a hang kills the rank (SIGALRM) and fails the case
            failures = 0;
            body(r);
            fflush(stderr);
            _exit(failures ? 1 : 0);
        }
        pids.push_back(pid);
    }
    bool ok = true;
    for (int r = 0; r < n; r++) {
        int status = 0;
        waitpid(pids[r], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            ok = false;
            fprintf(stderr, "FAIL %s: rank %d %s %d\n", name, r, WIFEXITED(status) ? "exited with" : "was killed by signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
    }
    ok ? passed++ : failedCases++;
}

static ncclComm_t init(int n, ncclUniqueId id, int rank) {
    useDevice(rank);
    ncclComm_t comm = nullptr;
    int r = ncclCommInitRank(&comm, n, id, rank);
    if (r != Success) { fprintf(stderr, "ncclCommInitRank(rank %d) = %d: %s\n", rank, r, ncclGetLastError(nullptr)); _exit(2); }
    return comm;
}

// ---- the inputs: element i of rank r, and the expected results computed in double from them ----

/** Values exact in every type used: small integers for sums and products, fractions of 8 for floats. */
template <class T> T input(int rank, size_t i, int op) {
    if (op == Prod) return (T) (1 + (i + rank) % 3);                         // products stay small: at most 3^4
    if (std::is_floating_point<T>::value) return (T) (((long) (i * 7 + rank * 13) % 41 - 20) / 8.0);
    return (T) ((long) (i * 7 + rank * 13) % 41 - 20);
}

template <class T> double expected(int n, size_t i, int op) {
    double acc = input<T>(0, i, op);
    for (int r = 1; r < n; r++) {
        double v = input<T>(r, i, op);
        acc = op == Prod ? acc * v : op == Max ? std::max(acc, v) : op == Min ? std::min(acc, v) : acc + v;
    }
    if (op == Avg) acc = std::is_floating_point<T>::value ? acc / n : std::trunc(acc / n);   // integers: truncated, as C division
    return acc;
}

template <class T> int typeOf();
template <> int typeOf<float>() { return Float32; }
template <> int typeOf<double>() { return Float64; }
template <> int typeOf<int32_t>() { return Int32; }
template <> int typeOf<int64_t>() { return Int64; }

/** Reads device memory (host memory in the emulator) into a vector. */
template <class T> std::vector<T> read(const T* p, size_t n) { return std::vector<T>(p, p + n); }

/** Every collective, every reduction, out of place and in place, for one type and count. */
template <class T> void collectives(ncclComm_t comm, int n, int rank, size_t count) {
    int type = typeOf<T>();
    double tol = std::is_same<T, float>::value ? 1e-6 : 0;   // inputs and sums are exact in float; avg divides
    for (int op = Sum; op <= Avg; op++) {
        T* send = deviceAlloc<T>(count);
        T* recv = deviceAlloc<T>(count);
        for (size_t i = 0; i < count; i++) send[i] = input<T>(rank, i, op);
        CHECK(ncclAllReduce(send, recv, count, type, op, comm, nullptr) == Success, "allreduce %s: %s", OPS[op], ncclGetLastError(nullptr));
        for (size_t i = 0; i < count; i++)
            CHECK(std::fabs(recv[i] - expected<T>(n, i, op)) <= tol * std::fabs(expected<T>(n, i, op)), "allreduce %s count %zu [%zu]: %g, expected %g",
                  OPS[op], count, i, (double) recv[i], expected<T>(n, i, op));
        for (size_t i = 0; i < count; i++) CHECK(send[i] == input<T>(rank, i, op), "allreduce %s changed sendbuff", OPS[op]);
        CHECK(ncclAllReduce(send, send, count, type, op, comm, nullptr) == Success, "in-place allreduce");   // in place
        for (size_t i = 0; i < count; i++) CHECK(send[i] == recv[i], "in-place allreduce %s [%zu]: %g, out of place %g", OPS[op], i, (double) send[i], (double) recv[i]);

        // reduce to the last rank; the others' recvbuff is not used (NULL here)
        int root = n - 1;
        for (size_t i = 0; i < count; i++) send[i] = input<T>(rank, i, op);
        for (size_t i = 0; i < count; i++) recv[i] = (T) 99;
        CHECK(ncclReduce(send, rank == root ? recv : nullptr, count, type, op, root, comm, nullptr) == Success, "reduce: %s", ncclGetLastError(nullptr));
        for (size_t i = 0; i < count; i++)
            CHECK(rank == root ? std::fabs(recv[i] - expected<T>(n, i, op)) <= tol * std::fabs(expected<T>(n, i, op)) : recv[i] == (T) 99,
                  "reduce %s rank %d [%zu]: %g", OPS[op], rank, i, (double) recv[i]);

        // reduce-scatter: rank r gets elements [r·count, (r+1)·count) of the reduction of n·count elements
        T* big = deviceAlloc<T>(n * count);
        for (size_t i = 0; i < n * count; i++) big[i] = input<T>(rank, i, op);
        CHECK(ncclReduceScatter(big, recv, count, type, op, comm, nullptr) == Success, "reducescatter: %s", ncclGetLastError(nullptr));
        for (size_t i = 0; i < count; i++) {
            double want = expected<T>(n, rank * count + i, op);
            CHECK(std::fabs(recv[i] - want) <= tol * std::fabs(want), "reducescatter %s [%zu]: %g, expected %g", OPS[op], i, (double) recv[i], want);
        }
        CHECK(ncclReduceScatter(big, big + rank * count, count, type, op, comm, nullptr) == Success, "in-place reducescatter");
        for (size_t i = 0; i < count; i++) CHECK(big[rank * count + i] == recv[i], "in-place reducescatter %s [%zu]", OPS[op], i);
        cuMemFree_v2((uintptr_t) big);
        cuMemFree_v2((uintptr_t) send);
        cuMemFree_v2((uintptr_t) recv);
    }
    // broadcast from rank 1 % n, out of place (non-roots pass NULL as sendbuff) and in place
    int root = 1 % n;
    T* buf = deviceAlloc<T>(count);
    T* out = deviceAlloc<T>(count);
    for (size_t i = 0; i < count; i++) buf[i] = input<T>(rank, i, Sum);
    CHECK(ncclBroadcast(rank == root ? buf : nullptr, out, count, type, root, comm, nullptr) == Success, "broadcast: %s", ncclGetLastError(nullptr));
    for (size_t i = 0; i < count; i++) CHECK(out[i] == input<T>(root, i, Sum), "broadcast [%zu]", i);
    CHECK(ncclBroadcast(buf, buf, count, type, root, comm, nullptr) == Success, "in-place broadcast");
    for (size_t i = 0; i < count; i++) CHECK(buf[i] == input<T>(root, i, Sum), "in-place broadcast [%zu]", i);
    // all-gather: rank j's count elements land at j·count
    T* all = deviceAlloc<T>(n * count);
    for (size_t i = 0; i < count; i++) buf[i] = input<T>(rank, i, Sum);
    CHECK(ncclAllGather(buf, all, count, type, comm, nullptr) == Success, "allgather: %s", ncclGetLastError(nullptr));
    for (int j = 0; j < n; j++)
        for (size_t i = 0; i < count; i++) CHECK(all[j * count + i] == input<T>(j, i, Sum), "allgather [%d][%zu]", j, i);
    for (size_t i = 0; i < n * count; i++) all[i] = (T) 0;
    for (size_t i = 0; i < count; i++) all[rank * count + i] = input<T>(rank, i, Sum);
    CHECK(ncclAllGather(all + rank * count, all, count, type, comm, nullptr) == Success, "in-place allgather");
    for (int j = 0; j < n; j++)
        for (size_t i = 0; i < count; i++) CHECK(all[j * count + i] == input<T>(j, i, Sum), "in-place allgather [%d][%zu]", j, i);
    cuMemFree_v2((uintptr_t) all);
    cuMemFree_v2((uintptr_t) buf);
    cuMemFree_v2((uintptr_t) out);
}

static void collectivesCase(int n) {
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    ranks(("collectives, " + std::to_string(n) + " ranks").c_str(), n, [&](int rank) {
        ncclComm_t comm = init(n, id, rank);
        int v = -1;
        CHECK(ncclCommCount(comm, &v) == Success && v == n, "ncclCommCount %d", v);
        CHECK(ncclCommUserRank(comm, &v) == Success && v == rank, "ncclCommUserRank %d", v);
        CHECK(ncclCommCuDevice(comm, &v) == Success && v == rank, "ncclCommCuDevice %d", v);
        // 1 and 7 elements; 300 crosses the 512-byte slots of this run many times (and reduce-scatter's n segments)
        for (size_t count : {(size_t) 1, (size_t) 7, (size_t) 300}) {
            collectives<float>(comm, n, rank, count);
            collectives<double>(comm, n, rank, count);
            collectives<int32_t>(comm, n, rank, count);
            collectives<int64_t>(comm, n, rank, count);
        }
        // count 0 is a no-op; bytes and halves move unchanged through broadcast and all-gather
        CHECK(ncclAllReduce(nullptr, nullptr, 0, Float32, Sum, comm, nullptr) == Success, "count 0");
        uint16_t* h = deviceAlloc<uint16_t>(3 * (n + 1));   // 3 to send, then 3·n gathered right after them
        for (int i = 0; i < 3; i++) h[i] = (uint16_t) (0x3C00 + rank * 3 + i);
        CHECK(ncclAllGather(h, h + 3, 3, Float16, comm, nullptr) == Success, "half allgather: %s", ncclGetLastError(nullptr));
        for (int j = 0; j < n; j++)
            for (int i = 0; i < 3; i++) CHECK(h[3 + j * 3 + i] == 0x3C00 + j * 3 + i, "half allgather [%d][%d]", j, i);
        int a = -1;
        CHECK(ncclCommGetAsyncError(comm, &a) == Success && a == Success, "async error %d", a);
        CHECK(ncclCommDestroy(comm) == Success, "destroy");
    });
}

/** ncclCommInitAll in one process, and a grouped all-reduce over its communicators from one thread. */
static void initAllCase() {
    ranks("ncclCommInitAll + grouped collectives", 1, [](int) {
        const int n = 3;
        ncclComm_t comms[n];
        int devs[n] = {2, 0, 1};
        CHECK(ncclCommInitAll(comms, n, devs) == Success, "initAll: %s", ncclGetLastError(nullptr));
        std::vector<double*> bufs;
        for (int r = 0; r < n; r++) {
            int d = -1, u = -1;
            ncclCommCuDevice(comms[r], &d);
            ncclCommUserRank(comms[r], &u);
            CHECK(d == devs[r] && u == r, "comm %d: device %d rank %d", r, d, u);
            bufs.push_back(deviceAlloc<double>(5));
            for (int i = 0; i < 5; i++) bufs[r][i] = r * 10 + i;
        }
        CHECK(ncclGroupStart() == Success, "group start");
        for (int r = 0; r < n; r++) CHECK(ncclAllReduce(bufs[r], bufs[r], 5, Float64, Sum, comms[r], nullptr) == Success, "queued allreduce");
        for (int r = 0; r < n; r++) CHECK(ncclAllReduce(bufs[r], bufs[r], 5, Float64, Max, comms[r], nullptr) == Success, "queued allreduce 2");
        CHECK(ncclGroupEnd() == Success, "group end: %s", ncclGetLastError(nullptr));
        for (int r = 0; r < n; r++)
            for (int i = 0; i < 5; i++) CHECK(bufs[r][i] == 30 + 3 * i, "grouped allreduce comm %d [%d]: %g", r, i, bufs[r][i]);
        for (int r = 0; r < n; r++) ncclCommDestroy(comms[r]);
        CHECK(ncclGroupEnd() == InvalidUsage, "ncclGroupEnd without ncclGroupStart");
    });
}

/** Arguments refused before anything is exchanged, each with NCCL's code. */
static void argumentErrorsCase() {
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    ranks("argument errors", 1, [&](int) {
        ncclComm_t comm = init(1, id, 0);
        float* d = deviceAlloc<float>(8);
        float host[8];
        CHECK(ncclAllReduce(d, d, 8, 12, Sum, comm, nullptr) == InvalidArgument, "datatype 12");
        CHECK(ncclAllReduce(d, d, 8, -1, Sum, comm, nullptr) == InvalidArgument, "datatype -1");
        CHECK(ncclAllReduce(d, d, 8, Float32, 5, comm, nullptr) == InvalidArgument, "op 5");
        CHECK(strstr(ncclGetLastError(nullptr), "reduction operation 5"), "last error: %s", ncclGetLastError(nullptr));
        CHECK(ncclAllReduce(d, d, 4, Float16, Sum, comm, nullptr) == InvalidArgument, "half reduction is not emulated");
        CHECK(ncclBroadcast(d, d, 8, Float32, 1, comm, nullptr) == InvalidArgument, "root 1 of 1 rank");
        CHECK(ncclReduce(d, d, 8, Float32, Sum, -1, comm, nullptr) == InvalidArgument, "root -1");
        CHECK(ncclAllReduce(d, d, 8, Float32, Sum, nullptr, nullptr) == InvalidArgument, "NULL comm");
        CHECK(ncclAllReduce(d, d, 9, Float32, Sum, comm, nullptr) == InvalidArgument, "9 floats in an allocation of 8");
        CHECK(strstr(ncclGetLastError(nullptr), "not inside one device allocation"), "last error: %s", ncclGetLastError(nullptr));
        CHECK(ncclAllReduce(host, d, 8, Float32, Sum, comm, nullptr) == InvalidArgument, "host sendbuff");
        CHECK(ncclAllReduce(d, d + 1, 4, Float32, Sum, comm, nullptr) == InvalidArgument, "overlap, not in place");
        CHECK(ncclAllGather(d, d + 1, 4, Float32, comm, nullptr) == InvalidArgument, "allgather overlap, not in place");
        CHECK(ncclAllReduce(d, nullptr, 8, Float32, Sum, comm, nullptr) == InvalidArgument, "NULL recvbuff");
        // after refused arguments the communicator still works
        for (int i = 0; i < 8; i++) d[i] = i;
        CHECK(ncclAllReduce(d, d, 8, Float32, Avg, comm, nullptr) == Success && d[7] == 7, "1-rank allreduce");
        ncclCommDestroy(comm);
        ncclComm_t c2;
        CHECK(ncclCommInitRank(&c2, 2, id, 2) == InvalidArgument, "rank 2 of 2");
        CHECK(ncclCommInitRank(&c2, 0, id, 0) == InvalidArgument, "nranks 0");
        ncclUniqueId bogus;
        memset(&bogus, 7, sizeof bogus);
        CHECK(ncclCommInitRank(&c2, 1, bogus, 0) == InvalidArgument, "an id not from ncclGetUniqueId");
        int v = 0;
        CHECK(ncclGetVersion(&v) == Success && v == 22703, "version %d", v);
        CHECK(strcmp(ncclGetErrorString(InvalidArgument), "invalid argument") == 0, "error string");
    });
}

/** Ranks that disagree at initialisation: world size, a rank taken twice, two ranks on one device. */
static void initErrorsCase() {
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    ranks("nranks mismatch", 2, [&](int rank) {
        useDevice(rank);
        ncclComm_t c;
        if (rank == 1) usleep(100000);   // rank 0 creates the communicator with nranks 2
        int r = ncclCommInitRank(&c, rank == 0 ? 2 : 3, id, rank);
        if (rank == 1) CHECK(r == InvalidUsage && strstr(ncclGetLastError(nullptr), "nranks=3"), "wrong nranks: %d %s", r, ncclGetLastError(nullptr));
        else CHECK(r == RemoteError, "rank 0 waits for rank 1, which failed: %d %s", r, ncclGetLastError(nullptr));
    });
    ncclGetUniqueId(&id);
    ranks("duplicate rank", 2, [&](int rank) {
        useDevice(rank);
        ncclComm_t c;
        if (rank == 1) usleep(100000);
        int r = ncclCommInitRank(&c, 2, id, 0);
        if (rank == 1) CHECK(r == InvalidUsage && strstr(ncclGetLastError(nullptr), "joined twice"), "duplicate: %d %s", r, ncclGetLastError(nullptr));
        else CHECK(r == RemoteError, "the first rank 0: %d %s", r, ncclGetLastError(nullptr));
    });
    ncclGetUniqueId(&id);
    ranks("duplicate device", 2, [&](int rank) {
        useDevice(0);
        ncclComm_t c;
        int r = ncclCommInitRank(&c, 2, id, rank);
        CHECK(r == InvalidUsage && strstr(ncclGetLastError(nullptr), "Duplicate GPU detected"), "same device: %d %s", r, ncclGetLastError(nullptr));
    });
    ncclGetUniqueId(&id);
    ranks("mismatched collectives", 2, [&](int rank) {
        ncclComm_t comm = init(2, id, rank);
        float* d = deviceAlloc<float>(16);
        int r = ncclAllReduce(d, d, rank == 0 ? 10 : 11, Float32, Sum, comm, nullptr);
        CHECK(r == InvalidUsage || r == RemoteError, "count 10 vs 11: %d", r);
        CHECK(strstr(ncclGetLastError(nullptr), "count=10") && strstr(ncclGetLastError(nullptr), "count=11"), "message: %s", ncclGetLastError(nullptr));
        int a = 0;
        CHECK(ncclCommGetAsyncError(comm, &a) == Success && a != Success, "async error after a failure: %d", a);
        CHECK(ncclAllReduce(d, d, 4, Float32, Sum, comm, nullptr) != Success, "a failed communicator stays failed");
        ncclCommAbort(comm);
    });
}

/** Waits end: the timeout, a peer that exits, ncclCommAbort from another thread and its news to the peers. */
static void failureCase() {
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    setenv("TESSERA_EMU_NCCL_TIMEOUT_MS", "300", 1);
    ranks("init timeout (rank 1 never comes)", 1, [&](int) {
        useDevice(0);
        ncclComm_t c;
        long t0 = nowMs();
        int r = ncclCommInitRank(&c, 2, id, 0);
        long waited = nowMs() - t0;
        CHECK(r == SystemError && strstr(ncclGetLastError(nullptr), "timed out") && strstr(ncclGetLastError(nullptr), "rank(s) 1"),
              "%d %s", r, ncclGetLastError(nullptr));
        CHECK(waited >= 300 && waited < 5000, "waited %ld ms", waited);
        std::string shm = std::string("/dev/shm") + (id.internal + 16);
        CHECK(access(shm.c_str(), F_OK) != 0, "%s is left behind", shm.c_str());
    });
    ncclGetUniqueId(&id);
    ranks("collective timeout (rank 1 does not call)", 2, [&](int rank) {
        ncclComm_t comm = init(2, id, rank);
        float* d = deviceAlloc<float>(4);
        if (rank == 1) { usleep(1500000); return; }
        int r = ncclAllReduce(d, d, 4, Float32, Sum, comm, nullptr);
        CHECK(r == SystemError && strstr(ncclGetLastError(nullptr), "waiting for rank(s) 1"), "%d %s", r, ncclGetLastError(nullptr));
    });
    setenv("TESSERA_EMU_NCCL_TIMEOUT_MS", "30000", 1);
    ncclGetUniqueId(&id);
    ranks("a peer exits", 2, [&](int rank) {
        ncclComm_t comm = init(2, id, rank);
        float* d = deviceAlloc<float>(4);
        if (rank == 1) _exit(0);
        long t0 = nowMs();
        int r = ncclAllReduce(d, d, 4, Float32, Sum, comm, nullptr);
        CHECK(r == RemoteError && strstr(ncclGetLastError(nullptr), "exited"), "%d %s", r, ncclGetLastError(nullptr));
        CHECK(nowMs() - t0 < 5000, "noticed after %ld ms", nowMs() - t0);
    });
    ncclGetUniqueId(&id);
    ranks("ncclCommAbort from another thread", 2, [&](int rank) {
        ncclComm_t comm = init(2, id, rank);
        float* d = deviceAlloc<float>(4);
        if (rank == 0) {
            pthread_t t;
            pthread_create(&t, nullptr, [](void* c) -> void* { usleep(200000); ncclCommAbort((ncclComm_t) c); return nullptr; }, comm);
            long t0 = nowMs();
            int r = ncclAllReduce(d, d, 4, Float32, Sum, comm, nullptr);   // rank 1 has not called yet
            CHECK(r == SystemError && strstr(ncclGetLastError(nullptr), "aborted"), "%d %s", r, ncclGetLastError(nullptr));
            CHECK(nowMs() - t0 < 5000, "abort took %ld ms", nowMs() - t0);
            pthread_join(t, nullptr);
        } else {
            usleep(600000);   // after rank 0's abort: the peer learns of it at once
            long t0 = nowMs();
            int r = ncclAllReduce(d, d, 4, Float32, Sum, comm, nullptr);
            CHECK(r == RemoteError && strstr(ncclGetLastError(nullptr), "ncclCommAbort"), "%d %s", r, ncclGetLastError(nullptr));
            CHECK(nowMs() - t0 < 5000, "noticed after %ld ms", nowMs() - t0);
            ncclCommAbort(comm);
        }
    });
}

int main() {
    setenv("TESSERA_EMU_DEVICES", "4", 1);
    setenv("TESSERA_EMU_NCCL_SLOT_BYTES", "512", 1);   // small slots: the 300-element cases take many rounds
    setenv("TESSERA_EMU_NCCL_TIMEOUT_MS", "30000", 1);
    for (int n = 1; n <= 4; n++) collectivesCase(n);
    initAllCase();
    argumentErrorsCase();
    initErrorsCase();
    failureCase();
    printf("nccl-test: %d passed, %d failed\n", passed, failedCases);
    return failedCases ? 1 : 0;
}
