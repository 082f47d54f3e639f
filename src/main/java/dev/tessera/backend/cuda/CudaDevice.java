package dev.tessera.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.tessera.Device;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.runtime.cudaStream_t;

/**
 * One GPU: its primary context, the one stream every kernel, cuBLAS call and host copy of Tessera
 * runs on (so the host waits only to read data back, or to refill a staging buffer whose copy has
 * not run yet), its cuBLAS handle, allocator, pinned staging buffers and kernels.
 */
final class CudaDevice {
    private final Device device;
    private final CUdevice cuDevice = new CUdevice();
    private final CUcontext context = new CUcontext();
    final CUstream stream = new CUstream();
    final cublasHandle cublas = new cublasHandle();
    final CachingAllocator allocator;
    final PinnedStaging staging;
    final Kernels kernels;
    final DeviceErrors errors = new DeviceErrors(this);
    /** Times the host waited for this device's stream (a host read or synchronize), for tests of "no sync in a step". */
    final java.util.concurrent.atomic.AtomicLong hostSyncs = new java.util.concurrent.atomic.AtomicLong();
    /** cuDNN on this device, or null (then {@link #cudnnUnavailable} says why). */
    final Cudnn cudnn;
    final String cudnnUnavailable;

    CudaDevice(int index) {
        this.device = Device.cuda(index);
        cuDeviceGet(cuDevice, index);
        cuDevicePrimaryCtxRetain(context, cuDevice);
        makeCurrent();
        cuStreamCreate(stream, 0);   // flags 0 (blocking) is fine: every kernel and copy of Tessera goes on this one stream
        JCublas2.cublasCreate(cublas);
        JCublas2.cublasSetStream(cublas, new cudaStream_t(stream));
        setAllowTf32(false);
        this.allocator = new CachingAllocator(this);
        this.staging = new PinnedStaging(this);
        this.kernels = new Kernels(this);
        CudaLibraries.Result libs = CudaLibraries.load();
        Cudnn c = null;
        String why = libs.cudnnReason();
        if (libs.cudnnOk()) {
            try {
                c = new Cudnn(this);
            } catch (RuntimeException | LinkageError e) {
                why = "creating a cuDNN handle failed: " + e.getMessage();
            }
        }
        this.cudnn = c;
        this.cudnnUnavailable = c == null ? why : null;
    }

    Device device() { return device; }

    /** The device whose context Tessera last made current on this thread. */
    private static final ThreadLocal<CudaDevice> CURRENT = new ThreadLocal<>();

    /**
     * Contexts are current per thread: every entry point makes ours current first. Only Tessera
     * sets contexts on its threads, so the driver is called only when the thread last ran another
     * device's work (or none).
     */
    void makeCurrent() {
        if (CURRENT.get() == this) return;
        cuCtxSetCurrent(context);
        CURRENT.set(this);
    }

    /** Waits for the queued work, then reports the device-side errors it flagged ({@link DeviceErrors}). */
    void synchronize() {
        makeCurrent();
        hostSyncs.incrementAndGet();
        cuStreamSynchronize(stream);
        errors.check();
    }

    /** Exact FP32 GEMM by default (PyTorch's allow_tf32 = False for matmul); true lets cuBLAS use TF32 tensor cores. */
    void setAllowTf32(boolean allow) {
        JCublas2.cublasSetMathMode(cublas, allow ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH);
    }

    String name() {
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, cuDevice);
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        return new String(name, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
    }

    String computeCapability() {
        int[] major = new int[1], minor = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, cuDevice);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, cuDevice);
        return major[0] + "." + minor[0];
    }

    long totalMemory() {
        long[] bytes = new long[1];
        cuDeviceTotalMem(bytes, cuDevice);
        return bytes[0];
    }
}
