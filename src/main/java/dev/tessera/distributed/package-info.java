/**
 * Multi-process training's foundations, on the env:// contract of torchrun, Slurm and Kubernetes:
 * {@link dev.tessera.distributed.Rendezvous} reads {@code MASTER_ADDR}, {@code MASTER_PORT}, {@code RANK},
 * {@code WORLD_SIZE} and {@code LOCAL_RANK} and meets the other ranks through a
 * {@link dev.tessera.distributed.TCPStore} hosted by rank 0; {@link dev.tessera.distributed.DistributedSampler}
 * gives each rank its shard of a data set. The NCCL process group and {@code DistributedDataParallel}
 * are not written yet.
 *
 * <h2>The NCCL binding (findings for the process group, measured 2026-12 on Maven Central's jars)</h2>
 * JavaCPP's {@code org.bytedeco:cuda} presets bind NCCL: the JNI glue {@code libjninccl.so} sits in the
 * natives jar ({@code cuda-12.9-9.10-1.5.12-linux-x86_64.jar}, 7.1 MB, 47 MB unpacked, 155 KB for the
 * glue; {@code cuda-13.1-9.19-1.5.13-linux-x86_64.jar}, 5.0 MB, 171 KB) and needs only
 * {@code libnccl.so.2} (plus libstdc++), imports NCCL 2.27's functions without symbol versions, and is
 * not linked with BIND_NOW (a missing function fails at its call). But the {@code nccl} preset inherits
 * {@code cudart}: loading it loads {@code libjnicudart.so} (2.2 MB), which needs {@code libcudart.so.12}
 * for the 1.5.12 line and {@code libcudart.so.13} for the 1.5.13 line: one jar per CUDA major, while
 * Tessera's JCuda natives target CUDA 12 and its test GPU has CUDA 13 only. Checked here: the 1.5.12
 * preset fails to load without {@code libcudart.so.12} ("no jnicudart"); the 1.5.13 preset, on a host
 * with {@code libcudart.so.13}, ran {@code ncclGetVersion}, {@code ncclCommInitRank} and
 * {@code ncclAllReduce} against the emulated {@code libnccl.so.2} on a buffer from JCuda's
 * {@code cuMemAlloc}, passed as a {@code Pointer} subclass whose {@code address} field is set to the
 * device address (the emulator's extent check refused one element too many, so the address arrived
 * unchanged), and a {@code CUstream_st} built the same way from JCuda's stream handle
 * ({@code cudaStream_t} and {@code CUstream} are one type). Modules: {@code org.bytedeco.cuda} and
 * {@code org.bytedeco.javacpp} are explicit modules. Adding the Java jar, JavaCPP and only the three
 * {@code .so} files Tessera would load costs about 4 MB of the GPU bundle; the whole jars about 9 MB
 * (1.5.12) or 7 MB (1.5.13), which the 64 MiB bundle (54 MiB today) cannot take twice. JavaCPP also
 * unpacks its libraries into {@code ~/.javacpp/cache} at run time.
 *
 * <p>Choice for the process group: Tessera's own JNI glue of about fifteen functions
 * ({@code ncclGetUniqueId}, {@code ncclCommInitRank}, the collectives, {@code ncclGroupStart/End},
 * {@code ncclCommAbort}, {@code ncclCommGetAsyncError}, {@code ncclGetLastError}) that {@code dlopen}s the
 * host's {@code libnccl.so.2} and takes device addresses, the stream and the communicator as {@code long}
 * — built by {@code scripts/build-shims.sh} as the CUDA-13 shims are, inside {@code backend/cuda}. It
 * needs no cudart of either major, no second binding style beside JCuda, tens of KB, and every NCCL 2.x;
 * JavaCPP's presets remain the fallback if the glue proves a burden. NCCL's communicator then shares the
 * primary context that Tessera retains ({@code cuDevicePrimaryCtxRetain}), as NCCL uses the runtime's
 * current device. Not yet checked on a GPU: none was lent to this work.
 */
package dev.tessera.distributed;
