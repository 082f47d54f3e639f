// The CUDA host emulator's libnccl.so.2 (NCCL 2.27.3's API): communicators and collectives between
// processes on one machine, written from NVIDIA's NCCL API reference (README.md, "The emulated NCCL").
// The unique id names a POSIX shared-memory segment; each rank copies its input into its own slot of
// that segment, all ranks meet at a barrier, and each computes its output from the slots. Device
// pointers are host addresses (driver.cpp), and every buffer's extent is checked against the emulated
// driver's allocations. Calls run to completion before they return (streams are accepted and not
// used); waits end with an error on ncclCommAbort, on a peer's failure or exit, or after
// TESSERA_EMU_NCCL_TIMEOUT_MS without progress, so a test never hangs.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

extern "C" int emu_device_range(uintptr_t p, size_t bytes);   // driver.cpp
extern "C" int cuCtxGetDevice(int* device);                    // driver.cpp

namespace {

enum Result { Success = 0, UnhandledCudaError = 1, SystemError = 2, InternalError = 3, InvalidArgument = 4, InvalidUsage = 5,
              RemoteError = 6, InProgress = 7 };
enum Type { Int8, Uint8, Int32, Uint32, Int64, Uint64, Float16, Float32, Float64, Bfloat16, Float8e4m3, Float8e5m2, NumTypes };
enum RedOp { Sum, Prod, Max, Min, Avg, NumOps };
enum Kind { ALL_REDUCE, BROADCAST, REDUCE, ALL_GATHER, REDUCE_SCATTER, INIT };

const int VERSION = 22703;           // NCCL_VERSION(2, 27, 3) = 2·10000 + 27·100 + 3
const int MAX_RANKS = 64;
const char MAGIC[] = "tessera-emu-nccl";   // the unique id's first 16 bytes; the segment's name follows
const size_t MAGIC_LEN = sizeof MAGIC - 1;

const char* TYPE_NAMES[NumTypes] = {"ncclInt8", "ncclUint8", "ncclInt32", "ncclUint32", "ncclInt64", "ncclUint64", "ncclFloat16",
                                    "ncclFloat32", "ncclFloat64", "ncclBfloat16", "ncclFloat8e4m3", "ncclFloat8e5m2"};
const size_t TYPE_SIZES[NumTypes] = {1, 1, 4, 4, 8, 8, 2, 4, 8, 2, 1, 1};
const char* OP_NAMES[NumOps] = {"ncclSum", "ncclProd", "ncclMax", "ncclMin", "ncclAvg"};
const char* KIND_NAMES[] = {"ncclAllReduce", "ncclBroadcast", "ncclReduce", "ncclAllGather", "ncclReduceScatter", "ncclCommInitRank"};

// ---- the last error, readable through ncclGetLastError ----

pthread_mutex_t errorLock = PTHREAD_MUTEX_INITIALIZER;
char lastError[1024];

/** Records "fn: message" as the last error, prints it as a warning (NCCL_DEBUG=WARN's role) and returns code. */
int fail(int code, const char* fn, const char* fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&errorLock);
    snprintf(lastError, sizeof lastError, "%s: %s", fn, msg);
    pthread_mutex_unlock(&errorLock);
    fprintf(stderr, "[cuda-emu] %s: %s\n", fn, msg);
    return code;
}

// ---- the shared segment ----

/** What a rank called, posted with each round: all ranks of a collective must agree on it. */
struct Sig {
    int32_t kind, type, op, root;
    uint64_t count;
    bool operator==(const Sig& o) const { return kind == o.kind && type == o.type && op == o.op && root == o.root && count == o.count; }
};

struct alignas(64) RankState {
    std::atomic<int> joined;
    int pid, device;
    std::atomic<uint64_t> arrived, departed;   // the last round whose slot this rank filled / whose slots it has read
    Sig sig;
};

struct Shared {
    char magic[16];
    std::atomic<int> ready;                    // set by the rank that created the segment once the fields below are set
    int nranks;
    uint64_t slotBytes;
    std::atomic<int> joinedCount;
    std::atomic<int> errorClaimed, error;      // the first failure, for every rank to see (a failed collective poisons the clique)
    int errorRank;
    uint64_t errorComm;                        // the failed communicator's token: the failure is news to every other one
    char errorMessage[512];
    RankState ranks[MAX_RANKS];
};

size_t segmentBytes(int nranks, uint64_t slotBytes) { return (sizeof(Shared) + 63) / 64 * 64 + nranks * slotBytes; }
char* slot(Shared* s, int rank) { return (char*) s + (sizeof(Shared) + 63) / 64 * 64 + rank * s->slotBytes; }

long envLong(const char* name, long fallback) {
    const char* v = getenv(name);
    return v && *v ? atol(v) : fallback;
}
/** Bytes per rank per round: TESSERA_EMU_NCCL_SLOT_BYTES (default 1 MiB), at least 512, a multiple of 64 (aligned slots). */
uint64_t slotBytes() {
    long b = envLong("TESSERA_EMU_NCCL_SLOT_BYTES", 1 << 20);
    return (uint64_t) (b < 512 ? 512 : (b + 63) / 64 * 64);
}
long timeoutMs() { return envLong("TESSERA_EMU_NCCL_TIMEOUT_MS", 120000); }
long nowMs() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

struct Comm {
    Shared* shared = nullptr;
    size_t mappedBytes = 0;
    int rank = -1, nranks = 0, device = 0;
    uint64_t token;                             // this process's id and a counter: names the communicator in the segment
    char name[96] = {0};
    uint64_t round = 0;                         // the rounds this rank has finished
    bool initialized = false;
    int error = Success;                        // sticky: a communicator that failed stays failed
    std::atomic<bool> aborted{false};
    std::atomic<int> busy{0};                   // calls in flight, so that ncclCommAbort from another thread waits for them
};

/** Claims the clique-wide error (the first failure wins) so that waiting peers stop with ncclRemoteError. */
void poison(Comm* c, const char* message) {
    Shared* s = c->shared;
    if (!s || s->errorClaimed.exchange(1)) return;
    s->errorRank = c->rank;
    s->errorComm = c->token;
    snprintf(s->errorMessage, sizeof s->errorMessage, "%s", message);
    s->error.store(1, std::memory_order_release);
}

// ---- one operation as a state machine, so that a group can advance several without blocking ----

struct Op {
    Kind kind;
    Comm* comm;
    const char* send;
    char* recv;
    size_t count;                               // per rank: count (all-reduce, broadcast, reduce), sendcount, recvcount
    int type, op, root;
    size_t elem, chunk, rounds, done = 0;       // chunk: elements per rank per round
    int phase = 0;
    char id[128];                               // INIT: the unique id
    int status = Success;
    bool finished = false;
};

enum Step { PROGRESS, BLOCKED, DONE, FAILED };

/** The ranks that have not reached `want` in the given counter (arrived or departed). */
std::vector<int> behind(Shared* s, int nranks, std::atomic<uint64_t> RankState::*counter, uint64_t want) {
    std::vector<int> late;
    for (int j = 0; j < nranks; j++)
        if ((s->ranks[j].*counter).load(std::memory_order_acquire) < want) late.push_back(j);
    return late;
}

template <class T> T apply(int op, T a, T b) {
    switch (op) {
        case Prod: return a * b;
        case Max: return b > a ? b : a;
        case Min: return b < a ? b : a;
        default: return a + b;   // Sum, Avg
    }
}

/** out[i] = op over ranks 0..n-1 (in rank order, so every rank computes the same bits) of in_j[i]. */
template <class T> void reduceInto(T* out, Shared* s, size_t byteOffset, size_t m, int op, int n) {
    for (size_t i = 0; i < m; i++) {
        T acc = ((const T*) (slot(s, 0) + byteOffset))[i];
        for (int j = 1; j < n; j++) acc = apply(op, acc, ((const T*) (slot(s, j) + byteOffset))[i]);
        if (op == Avg) acc = (T) (acc / (T) n);   // the sum divided by the number of ranks (integers: truncated)
        out[i] = acc;
    }
}

void reduce(const Op& o, char* out, size_t byteOffset, size_t m) {
    Shared* s = o.comm->shared;
    int n = o.comm->nranks;
    switch (o.type) {
        case Int8: reduceInto((int8_t*) out, s, byteOffset, m, o.op, n); break;
        case Uint8: reduceInto((uint8_t*) out, s, byteOffset, m, o.op, n); break;
        case Int32: reduceInto((int32_t*) out, s, byteOffset, m, o.op, n); break;
        case Uint32: reduceInto((uint32_t*) out, s, byteOffset, m, o.op, n); break;
        case Int64: reduceInto((int64_t*) out, s, byteOffset, m, o.op, n); break;
        case Uint64: reduceInto((uint64_t*) out, s, byteOffset, m, o.op, n); break;
        case Float32: reduceInto((float*) out, s, byteOffset, m, o.op, n); break;
        case Float64: reduceInto((double*) out, s, byteOffset, m, o.op, n); break;
        default: break;   // refused when the call was made
    }
}

/** Fills this rank's slot with its part of round `done`: `m` elements from element offset `off`. */
void post(const Op& o, size_t off, size_t m) {
    Comm* c = o.comm;
    char* mine = slot(c->shared, c->rank);
    size_t e = o.elem;
    switch (o.kind) {
        case ALL_REDUCE: case REDUCE: case ALL_GATHER: memcpy(mine, o.send + off * e, m * e); break;
        case BROADCAST: if (c->rank == o.root) memcpy(mine, o.send + off * e, m * e); break;
        case REDUCE_SCATTER:   // one segment per destination rank
            for (int d = 0; d < c->nranks; d++) memcpy(mine + d * m * e, o.send + (d * o.count + off) * e, m * e);
            break;
        case INIT: break;
    }
}

/** Writes this rank's output of the round from the slots of all ranks. */
void complete(const Op& o, size_t off, size_t m) {
    Comm* c = o.comm;
    size_t e = o.elem;
    switch (o.kind) {
        case ALL_REDUCE: reduce(o, o.recv + off * e, 0, m); break;
        case REDUCE: if (c->rank == o.root) reduce(o, o.recv + off * e, 0, m); break;
        case BROADCAST: memmove(o.recv + off * e, slot(c->shared, o.root), m * e); break;
        case ALL_GATHER:
            for (int j = 0; j < c->nranks; j++) memmove(o.recv + (j * o.count + off) * e, slot(c->shared, j), m * e);
            break;
        case REDUCE_SCATTER: reduce(o, o.recv + off * e, c->rank * m * e, m); break;
        case INIT: break;
    }
}

const char* opName(const Sig& s) {
    bool reduces = s.kind == ALL_REDUCE || s.kind == REDUCE || s.kind == REDUCE_SCATTER;
    return reduces && s.op >= 0 && s.op < NumOps ? OP_NAMES[s.op] : "-";
}

std::string rankList(const std::vector<int>& ranks) {
    std::string s;
    for (size_t i = 0; i < ranks.size() && i < 8; i++) s += (i ? ", " : "") + std::to_string(ranks[i]);
    if (ranks.size() > 8) s += ", ...";
    return s;
}

// INIT, phase 0: open or create the segment and wait for it to be ready; phase 1: take this rank's
// place; phase 2: wait for every rank, then check that no two ranks share a device.
Step stepInit(Op& o, std::vector<int>& late) {
    Comm* c = o.comm;
    const char* fn = "ncclCommInitRank";
    if (o.phase == 0) {
        if (!c->shared) {
            size_t bytes = segmentBytes(c->nranks, slotBytes());
            int fd = shm_open(c->name, O_RDWR | O_CREAT | O_EXCL, 0600);
            bool creator = fd >= 0;
            if (!creator && errno == EEXIST) fd = shm_open(c->name, O_RDWR, 0600);
            if (fd < 0) { o.status = fail(SystemError, fn, "shm_open(%s): %s", c->name, strerror(errno)); return FAILED; }
            if (creator && ftruncate(fd, bytes) != 0) {
                close(fd);
                o.status = fail(SystemError, fn, "ftruncate(%s, %zu): %s", c->name, bytes, strerror(errno));
                return FAILED;
            }
            struct stat st;
            if (fstat(fd, &st) != 0 || (size_t) st.st_size < sizeof(Shared)) { close(fd); late.push_back(-1); return BLOCKED; }   // not sized yet
            void* m = mmap(nullptr, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            close(fd);
            if (m == MAP_FAILED) { o.status = fail(SystemError, fn, "mmap(%s): %s", c->name, strerror(errno)); return FAILED; }
            c->shared = (Shared*) m;
            c->mappedBytes = st.st_size;
            if (creator) {
                memcpy(c->shared->magic, MAGIC, MAGIC_LEN);
                c->shared->nranks = c->nranks;
                c->shared->slotBytes = slotBytes();
                c->shared->ready.store(1, std::memory_order_release);
            }
        }
        if (!c->shared->ready.load(std::memory_order_acquire)) { late.push_back(-1); return BLOCKED; }
        Shared* s = c->shared;
        if (s->nranks != c->nranks) {
            o.status = fail(InvalidUsage, fn, "rank %d was given nranks=%d, but the communicator was created with nranks=%d (by the first rank to arrive)",
                            c->rank, c->nranks, s->nranks);
            return FAILED;
        }
        if (c->mappedBytes < segmentBytes(s->nranks, s->slotBytes)) {
            o.status = fail(InternalError, fn, "segment %s is smaller than its header says", c->name);
            return FAILED;
        }
        int expected = 0;
        if (!s->ranks[c->rank].joined.compare_exchange_strong(expected, 1)) {
            o.status = fail(InvalidUsage, fn, "rank %d joined twice (two processes were given the same rank)", c->rank);
            return FAILED;
        }
        s->ranks[c->rank].pid = getpid();
        s->ranks[c->rank].device = c->device;
        if (s->joinedCount.fetch_add(1, std::memory_order_acq_rel) + 1 == s->nranks) shm_unlink(c->name);   // all mapped it: the name can go
        o.phase = 1;
        return PROGRESS;
    }
    Shared* s = c->shared;
    if (s->joinedCount.load(std::memory_order_acquire) < c->nranks) {
        for (int j = 0; j < c->nranks; j++)
            if (!s->ranks[j].joined.load(std::memory_order_acquire)) late.push_back(j);
        return BLOCKED;
    }
    for (int i = 0; i < c->nranks; i++)
        for (int j = i + 1; j < c->nranks; j++)
            if (s->ranks[i].device == s->ranks[j].device) {
                o.status = fail(InvalidUsage, fn, "Duplicate GPU detected: rank %d and rank %d both on CUDA device %d", i, j, s->ranks[i].device);
                return FAILED;
            }
    c->initialized = true;
    return DONE;
}

/**
 * Why an operation must stop, or Success: ncclSystemError when its communicator was aborted here
 * (ncclCommAbort, possibly from another thread), ncclRemoteError when another rank failed or aborted.
 */
int stopped(Op& o) {
    Comm* c = o.comm;
    if (c->aborted.load()) return fail(SystemError, KIND_NAMES[o.kind], "rank %d: the communicator was aborted (ncclCommAbort)", c->rank);
    Shared* s = c->shared;
    if (!s || !s->error.load(std::memory_order_acquire) || s->errorComm == c->token) return Success;
    return fail(RemoteError, KIND_NAMES[o.kind], "rank %d: rank %d failed: %s", c->rank, s->errorRank, s->errorMessage);
}

/** Whether process pid has ended: gone, or a zombie that its parent has not reaped yet. */
bool exited(int pid) {
    if (kill(pid, 0) != 0) return errno == ESRCH;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE* f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char* state = strrchr(buf, ')');   // "pid (comm) S ...": the name may hold spaces and parentheses
    return state && (state[2] == 'Z' || state[2] == 'X');
}

/**
 * A collective runs in rounds of at most `chunk` elements per rank. Round k (numbered per
 * communicator): wait until every rank has read round k-1's slots, fill our slot, announce arrival;
 * wait until every rank has arrived, check that all called the same collective, write our output,
 * announce departure.
 */
Step stepCollective(Op& o, std::vector<int>& late) {
    Comm* c = o.comm;
    Shared* s = c->shared;
    uint64_t k = c->round + 1;
    size_t off = o.done * o.chunk, m = o.count - off < o.chunk ? o.count - off : o.chunk;
    Sig sig{(int32_t) o.kind, o.type, o.op, o.root, o.count};
    if ((o.status = stopped(o)) != Success) return FAILED;   // a failed peer would never arrive, or arrived with stale data
    if (o.phase == 0) {
        late = behind(s, c->nranks, &RankState::departed, k - 1);
        if (!late.empty()) return BLOCKED;
        post(o, off, m);
        s->ranks[c->rank].sig = sig;
        s->ranks[c->rank].arrived.store(k, std::memory_order_release);
        o.phase = 1;
        return PROGRESS;
    }
    late = behind(s, c->nranks, &RankState::arrived, k);
    if (!late.empty()) return BLOCKED;
    for (int j = 0; j < c->nranks; j++) {
        const Sig& t = s->ranks[j].sig;
        if (!(t == sig)) {
            char msg[400];
            snprintf(msg, sizeof msg, "rank %d called %s(count=%llu, %s, op=%s, root=%d) while rank %d called %s(count=%llu, %s, op=%s, root=%d)",
                     c->rank, KIND_NAMES[sig.kind], (unsigned long long) sig.count, TYPE_NAMES[sig.type], opName(sig), sig.root, j,
                     KIND_NAMES[t.kind], (unsigned long long) t.count, TYPE_NAMES[t.type], opName(t), t.root);
            poison(c, msg);
            o.status = fail(InvalidUsage, KIND_NAMES[o.kind], "mismatched collectives: %s", msg);
            return FAILED;
        }
    }
    complete(o, off, m);
    s->ranks[c->rank].departed.store(k, std::memory_order_release);
    c->round = k;
    o.phase = 0;
    return ++o.done == o.rounds ? DONE : PROGRESS;
}

/** Why a blocked operation must stop waiting, or Success: local abort, a peer's failure or exit, the timeout. */
int checkWait(Op& o, const std::vector<int>& late, long since, bool checkPids) {
    Comm* c = o.comm;
    const char* fn = KIND_NAMES[o.kind];
    if (int r = stopped(o)) return r;
    Shared* s = c->shared;
    if (s && checkPids && o.kind != INIT)
        for (int j : late) {
            int pid = s->ranks[j].pid;
            if (pid > 0 && exited(pid)) {
                char msg[200];
                snprintf(msg, sizeof msg, "rank %d (pid %d) exited without taking part", j, pid);
                poison(c, msg);
                return fail(RemoteError, fn, "rank %d: %s", c->rank, msg);
            }
        }
    long waited = nowMs() - since;
    if (waited >= timeoutMs()) {
        char msg[300];
        if (late.size() == 1 && late[0] < 0)
            snprintf(msg, sizeof msg, "rank %d timed out after %ld ms (TESSERA_EMU_NCCL_TIMEOUT_MS) waiting for segment %s to be set up", c->rank, waited, c->name);
        else
            snprintf(msg, sizeof msg, "rank %d timed out after %ld ms (TESSERA_EMU_NCCL_TIMEOUT_MS) waiting for rank(s) %s", c->rank, waited, rankList(late).c_str());
        poison(c, msg);
        return fail(SystemError, fn, "%s", msg);
    }
    return Success;
}

/** A failed initialisation stops the ranks waiting for this one, and its segment's name goes (no leftovers in /dev/shm). */
void initFailed(Op& o) {
    poison(o.comm, lastError);   // the reason just recorded by fail()
    shm_unlink(o.comm->name);
}

/**
 * Runs operations to completion: the first unfinished operation of each communicator advances when
 * it can; when none can, the waits are checked and the thread backs off (yield, then sleeps of up
 * to 1 ms). The timeout counts from the last progress. Returns the first failure.
 */
int run(std::vector<Op>& ops) {
    int result = Success;
    long since = nowMs();
    unsigned idle = 0;
    for (;;) {
        bool progressed = false, pending = false;
        std::vector<Comm*> seen;
        for (Op& o : ops) {
            if (o.finished) continue;
            bool first = true;
            for (Comm* c : seen) first &= c != o.comm;
            if (!first) { pending = true; continue; }
            seen.push_back(o.comm);
            std::vector<int> late;
            Step step = o.comm->error ? FAILED : o.kind == INIT ? stepInit(o, late) : stepCollective(o, late);
            if (o.comm->error && o.status == Success) o.status = o.comm->error;
            switch (step) {
                case PROGRESS: progressed = true; pending = true; break;
                case DONE: o.finished = true; progressed = true; break;
                case FAILED:
                    o.finished = true;
                    if (o.kind == INIT) initFailed(o);
                    o.comm->error = o.status;
                    if (result == Success) result = o.status;
                    break;
                case BLOCKED: {
                    pending = true;
                    int why = checkWait(o, late, since, idle % 64 == 63);
                    if (why != Success) {
                        if (o.kind == INIT) initFailed(o);
                        o.finished = true;
                        o.status = o.comm->error = why;
                        if (result == Success) result = why;
                    }
                }
            }
        }
        if (!pending) return result;
        if (progressed) { since = nowMs(); idle = 0; continue; }
        if (++idle < 100) { sched_yield(); continue; }
        timespec t{0, (idle < 1000 ? 50 : 1000) * 1000L};
        nanosleep(&t, nullptr);
    }
}

// ---- groups: per thread, as NCCL's are ----

thread_local int groupDepth;
thread_local std::vector<Op> groupOps;
thread_local int groupError;

/** A checked operation joins the thread's group, or runs at once outside one. */
int submit(Op& o) {
    if (groupDepth > 0) { groupOps.push_back(o); return Success; }
    std::vector<Op> one{o};
    Comm* c = o.comm;
    c->busy++;
    int r = run(one);
    c->busy--;
    return r;
}

/** Whether [p, p + bytes) lies in one emulated device allocation; fails with the buffer's name otherwise. */
int checkBuffer(const char* fn, const char* what, const void* p, size_t bytes) {
    if (!p) return fail(InvalidArgument, fn, "%s is NULL", what);
    if (!emu_device_range((uintptr_t) p, bytes))
        return fail(InvalidArgument, fn, "%s [%p, +%zu bytes) is not inside one device allocation", what, p, bytes);
    return Success;
}

/** The documented argument checks, the in-place rules, and the buffer extents; then runs or queues the collective. */
int collective(Kind kind, const void* send, void* recv, size_t count, int type, int op, int root, Comm* c) {
    const char* fn = KIND_NAMES[kind];
    if (!c) return fail(InvalidArgument, fn, "comm is NULL");
    if (!c->initialized) return fail(InvalidUsage, fn, "the communicator is not initialized");
    if (c->error) return fail(c->error, fn, "the communicator has failed before (error %d); destroy or abort it", c->error);
    if (type < 0 || type >= NumTypes) return fail(InvalidArgument, fn, "invalid datatype %d", type);
    bool reduces = kind == ALL_REDUCE || kind == REDUCE || kind == REDUCE_SCATTER;
    if (reduces && (op < 0 || op >= NumOps)) return fail(InvalidArgument, fn, "invalid reduction operation %d (user-defined operations are not emulated)", op);
    if (reduces && (type == Float16 || type == Bfloat16 || type == Float8e4m3 || type == Float8e5m2))
        return fail(InvalidArgument, fn, "reductions in %s are not emulated", TYPE_NAMES[type]);
    if ((kind == BROADCAST || kind == REDUCE) && (root < 0 || root >= c->nranks))
        return fail(InvalidArgument, fn, "root %d is not a rank of this communicator (nranks %d)", root, c->nranks);
    size_t e = TYPE_SIZES[type], n = c->nranks;
    Op o{};
    o.kind = kind; o.comm = c; o.send = (const char*) send; o.recv = (char*) recv; o.count = count;
    o.type = type; o.op = reduces ? op : 0; o.root = kind == BROADCAST || kind == REDUCE ? root : 0; o.elem = e;
    if (count == 0) return Success;   // nothing to move: no rounds, no meeting
    size_t sendBytes = count * e * (kind == REDUCE_SCATTER ? n : 1), recvBytes = count * e * (kind == ALL_GATHER ? n : 1);
    bool sends = kind != BROADCAST || c->rank == root, receives = kind != REDUCE || c->rank == root;
    int r;
    if (sends && (r = checkBuffer(fn, "sendbuff", send, sendBytes)) != Success) return r;
    if (receives && (r = checkBuffer(fn, "recvbuff", recv, recvBytes)) != Success) return r;
    if (sends && receives) {
        // In place (NCCL's "In-place Operations"): sendbuff == recvbuff, or for all-gather sendbuff ==
        // recvbuff + rank·sendcount and for reduce-scatter recvbuff == sendbuff + rank·recvcount.
        // Any other overlap gives undefined results in NCCL; the emulator refuses it.
        const char *s = (const char*) send, *d = (const char*) recv;
        bool inPlace = kind == ALL_GATHER ? s == d + c->rank * count * e : kind == REDUCE_SCATTER ? d == s + c->rank * count * e : s == d;
        if (!inPlace && s < d + recvBytes && d < s + sendBytes)
            return fail(InvalidArgument, fn, "sendbuff %p and recvbuff %p overlap without being in place", send, recv);
    }
    size_t slotElems = c->shared->slotBytes / e / (kind == REDUCE_SCATTER ? n : 1);
    o.chunk = slotElems;
    o.rounds = (count + slotElems - 1) / slotElems;
    return submit(o);
}

int initRank(Comm** out, int nranks, const char* id, int rank, int device) {
    const char* fn = "ncclCommInitRank";
    if (!out) return fail(InvalidArgument, fn, "comm is NULL");
    if (nranks < 1 || nranks > MAX_RANKS) return fail(InvalidArgument, fn, "invalid nranks %d (the emulator allows 1..%d)", nranks, MAX_RANKS);
    if (rank < 0 || rank >= nranks) return fail(InvalidArgument, fn, "rank %d is not in [0, nranks=%d)", rank, nranks);
    if (memcmp(id, MAGIC, MAGIC_LEN) != 0 || id[MAGIC_LEN] != '/' || !memchr(id + MAGIC_LEN, 0, 128 - MAGIC_LEN))
        return fail(InvalidArgument, fn, "the unique id did not come from ncclGetUniqueId");
    static std::atomic<unsigned> comms;
    Comm* c = new Comm();
    c->token = (uint64_t) getpid() << 32 | comms++;
    c->rank = rank;
    c->nranks = nranks;
    c->device = device;
    snprintf(c->name, sizeof c->name, "%s", id + MAGIC_LEN);
    *out = c;
    Op o{};
    o.kind = INIT;
    o.comm = c;
    return submit(o);
}

void release(Comm* c) {
    if (c->shared) munmap(c->shared, c->mappedBytes);
    delete c;
}

} // namespace

extern "C" {

typedef struct { char internal[128]; } ncclUniqueId;

const char* ncclGetErrorString(int result) {
    switch (result) {
        case Success: return "no error";
        case UnhandledCudaError: return "unhandled cuda error";
        case SystemError: return "unhandled system error";
        case InternalError: return "internal error";
        case InvalidArgument: return "invalid argument";
        case InvalidUsage: return "invalid usage";
        case RemoteError: return "remote process exited or there was a network error";
        case InProgress: return "NCCL operation in progress";
        default: return "unknown result code";
    }
}

/** The last error's message; not cleared by reading it (as documented); comm is unused. */
const char* ncclGetLastError(Comm*) { return lastError; }

int ncclGetVersion(int* version) {
    if (!version) return fail(InvalidArgument, "ncclGetVersion", "version is NULL");
    *version = VERSION;
    return Success;
}

/** An id = the magic, then the name of a segment no other id names (this process's id, a counter, random bits). */
int ncclGetUniqueId(ncclUniqueId* id) {
    if (!id) return fail(InvalidArgument, "ncclGetUniqueId", "uniqueId is NULL");
    static std::atomic<unsigned> counter;
    unsigned long long bits = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, &bits, sizeof bits) != (ssize_t) sizeof bits) bits = (unsigned long long) nowMs() * 0x9E3779B97F4A7C15ull;
    if (fd >= 0) close(fd);
    memset(id->internal, 0, sizeof id->internal);
    memcpy(id->internal, MAGIC, MAGIC_LEN);
    snprintf(id->internal + MAGIC_LEN, sizeof id->internal - MAGIC_LEN, "/tessera-nccl-%d-%u-%016llx", (int) getpid(), counter++, bits);
    return Success;
}

/** The device is the calling thread's current one (cuCtxGetDevice; device 0 with no current context, as cudaGetDevice). */
int ncclCommInitRank(Comm** comm, int nranks, ncclUniqueId id, int rank) {
    int device = 0;
    if (cuCtxGetDevice(&device) != 0) device = 0;
    return initRank(comm, nranks, id.internal, rank, device);
}

int ncclGroupStart(void);
int ncclGroupEnd(void);

/** One process, ndev communicators: devlist[i] (or i when devlist is NULL) for rank i. */
int ncclCommInitAll(Comm** comms, int ndev, const int* devlist) {
    const char* fn = "ncclCommInitAll";
    if (!comms) return fail(InvalidArgument, fn, "comms is NULL");
    if (ndev < 1) return fail(InvalidArgument, fn, "invalid ndev %d", ndev);
    if (ndev > MAX_RANKS) return fail(InvalidArgument, fn, "invalid ndev %d (the emulator allows 1..%d)", ndev, MAX_RANKS);
    for (int i = 0; devlist && i < ndev; i++)
        if (devlist[i] < 0) return fail(InvalidArgument, fn, "devlist[%d] = %d is not a device", i, devlist[i]);
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    ncclGroupStart();   // each rank's initialisation waits for the others: they advance together at ncclGroupEnd
    for (int i = 0; i < ndev; i++) initRank(&comms[i], ndev, id.internal, i, devlist ? devlist[i] : i);
    return ncclGroupEnd();
}

int ncclGroupStart(void) {
    if (groupDepth++ == 0) groupError = Success;
    return Success;
}

/** The outermost ncclGroupEnd runs the thread's queued operations together; the first failure is returned. */
int ncclGroupEnd(void) {
    if (groupDepth == 0) return fail(InvalidUsage, "ncclGroupEnd", "not in a group (ncclGroupStart was not called)");
    if (--groupDepth > 0) return Success;
    std::vector<Op> ops;
    ops.swap(groupOps);
    for (Op& o : ops) o.comm->busy++;
    int r = run(ops);
    for (Op& o : ops) o.comm->busy--;
    return groupError != Success ? groupError : r;
}

int ncclCommDestroy(Comm* comm) {
    if (!comm) return fail(InvalidArgument, "ncclCommDestroy", "comm is NULL");
    release(comm);
    return Success;
}

/** Stops the calls in flight on the communicator (from another thread too), tells the peers, then frees it. */
int ncclCommAbort(Comm* comm) {
    if (!comm) return Success;   // NCCL accepts a NULL communicator here
    comm->aborted.store(true);
    char msg[100];
    snprintf(msg, sizeof msg, "rank %d called ncclCommAbort", comm->rank);
    poison(comm, msg);
    while (comm->busy.load() > 0) {
        timespec t{0, 100000};
        nanosleep(&t, nullptr);
    }
    release(comm);
    return Success;
}

/** The communicator's own failure, else a peer's (ncclRemoteError), else ncclSuccess: calls complete before returning. */
int ncclCommGetAsyncError(Comm* comm, int* asyncError) {
    if (!comm || !asyncError) return fail(InvalidArgument, "ncclCommGetAsyncError", "comm or asyncError is NULL");
    *asyncError = comm->error ? comm->error : comm->shared && comm->shared->error.load() ? RemoteError : Success;
    return Success;
}

int ncclCommCount(const Comm* comm, int* count) {
    if (!comm || !count) return fail(InvalidArgument, "ncclCommCount", "comm or count is NULL");
    *count = comm->nranks;
    return Success;
}
int ncclCommCuDevice(const Comm* comm, int* device) {
    if (!comm || !device) return fail(InvalidArgument, "ncclCommCuDevice", "comm or device is NULL");
    *device = comm->device;
    return Success;
}
int ncclCommUserRank(const Comm* comm, int* rank) {
    if (!comm || !rank) return fail(InvalidArgument, "ncclCommUserRank", "comm or rank is NULL");
    *rank = comm->rank;
    return Success;
}

/** A call refused inside a group makes the group's ncclGroupEnd fail too. */
int enqueue(Kind kind, const void* send, void* recv, size_t count, int type, int op, int root, Comm* comm) {
    int r = collective(kind, send, recv, count, type, op, root, comm);
    if (r != Success && groupDepth > 0 && groupError == Success) groupError = r;
    return r;
}

int ncclAllReduce(const void* send, void* recv, size_t count, int type, int op, Comm* comm, void*) {
    return enqueue(ALL_REDUCE, send, recv, count, type, op, 0, comm);
}
int ncclBroadcast(const void* send, void* recv, size_t count, int type, int root, Comm* comm, void*) {
    return enqueue(BROADCAST, send, recv, count, type, 0, root, comm);
}
int ncclBcast(void* buff, size_t count, int type, int root, Comm* comm, void*) {
    return enqueue(BROADCAST, buff, buff, count, type, 0, root, comm);
}
int ncclReduce(const void* send, void* recv, size_t count, int type, int op, int root, Comm* comm, void*) {
    return enqueue(REDUCE, send, recv, count, type, op, root, comm);
}
int ncclAllGather(const void* send, void* recv, size_t sendcount, int type, Comm* comm, void*) {
    return enqueue(ALL_GATHER, send, recv, sendcount, type, 0, 0, comm);
}
int ncclReduceScatter(const void* send, void* recv, size_t recvcount, int type, int op, Comm* comm, void*) {
    return enqueue(REDUCE_SCATTER, send, recv, recvcount, type, op, 0, comm);
}

} // extern "C"
