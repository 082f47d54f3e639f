// The CUDA host emulator's view of a kernel: its name, the host-compiled function and a launcher
// that unpacks cuLaunchKernel's argument array by the function's own parameter types.
#pragma once
#include <cstddef>
#include <utility>

#define TS_EMU_MAX_BLOCK 1024

struct uint3 { unsigned x, y, z; };

extern "C" {
extern uint3 emu_threadIdx, emu_blockIdx, emu_blockDim, emu_gridDim;
void emu_syncthreads(void);
unsigned long long emu_shfl(const char* site, int mode, unsigned mask, unsigned long long bits, int arg, int width);   // emu.h
}
enum { EMU_SHFL_XOR = 0, EMU_SHFL_DOWN = 1 };

namespace emu {

struct Kernel {
    const char* name;
    void* fn;
    void (*launch)(void* fn, void** params);   // one thread's call: params[i] points at argument i
    int arity;
    bool barriers;                             // uses __syncthreads: its threads run as fibers
    mutable bool launched;
};

template <class F> struct Launcher;
template <class... A> struct Launcher<void (*)(A...)> {
    static constexpr int arity = sizeof...(A);
    template <std::size_t... I> static void call(void* fn, void** p, std::index_sequence<I...>) {
        ((void (*)(A...)) fn)(*static_cast<A*>(p[I])...);
    }
    static void launch(void* fn, void** p) { call(fn, p, std::index_sequence_for<A...>{}); }
};

void add(const Kernel* kernels, int n);
const Kernel* find(const char* name);
bool known(const Kernel* k);
struct Registrar { Registrar(const Kernel* k, int n) { add(k, n); } };

} // namespace emu

#define EMU_KERNEL(name, barriers) {#name, (void*) &name, &emu::Launcher<decltype(&name)>::launch, emu::Launcher<decltype(&name)>::arity, barriers, false}
