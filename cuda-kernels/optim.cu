// sgd_step_<dt>, adam_step_<dt>: one fused pass per parameter, computed in double, as
// CpuBackend.sgdStep/adamStep (torch.optim.SGD and Adam/AdamW without amsgrad). All arrays
// contiguous; buf is null when SGD has no momentum.
#include "common.cuh"

template <class T>
__device__ void sgdStep(T* p, const T* g, T* buf, long long n, double lr, double momentum, double dampening, double wd, int nesterov, int first) {
    for (long long i = gridStart(); i < n; i += gridStep()) {
        double w = double(p[i]), d = double(g[i]) + wd * w;
        if (buf) {
            double b = first ? d : momentum * double(buf[i]) + (1 - dampening) * d;
            buf[i] = T(b);
            d = nesterov ? d + momentum * b : b;
        }
        p[i] = T(w - lr * d);
    }
}

template <class T>
__device__ void adamStep(T* p, const T* g, T* m, T* v, long long n, double lr, double beta1, double beta2, double eps, double wd,
                         int decoupled, long long step) {
    double stepSize = lr / (1 - pow(beta1, double(step))), sqrtBc2 = sqrt(1 - pow(beta2, double(step)));
    for (long long i = gridStart(); i < n; i += gridStep()) {
        double w = double(p[i]), grad = double(g[i]);
        if (wd != 0) {
            if (decoupled) w *= 1 - lr * wd;
            else grad += wd * w;
        }
        double mi = beta1 * double(m[i]) + (1 - beta1) * grad, vi = beta2 * double(v[i]) + (1 - beta2) * grad * grad;
        m[i] = T(mi);
        v[i] = T(vi);
        p[i] = T(w - stepSize * mi / (sqrt(vi) / sqrtBc2 + eps));
    }
}

extern "C" __global__ void sgd_step_f32(float* p, const float* g, float* buf, long long n, double lr, double momentum, double dampening,
                                        double wd, int nesterov, int first) { sgdStep(p, g, buf, n, lr, momentum, dampening, wd, nesterov, first); }
extern "C" __global__ void sgd_step_f64(double* p, const double* g, double* buf, long long n, double lr, double momentum, double dampening,
                                        double wd, int nesterov, int first) { sgdStep(p, g, buf, n, lr, momentum, dampening, wd, nesterov, first); }
extern "C" __global__ void adam_step_f32(float* p, const float* g, float* m, float* v, long long n, double lr, double beta1, double beta2,
                                         double eps, double wd, int decoupled, long long step) { adamStep(p, g, m, v, n, lr, beta1, beta2, eps, wd, decoupled, step); }
extern "C" __global__ void adam_step_f64(double* p, const double* g, double* m, double* v, long long n, double lr, double beta1, double beta2,
                                         double eps, double wd, int decoupled, long long step) { adamStep(p, g, m, v, n, lr, beta1, beta2, eps, wd, decoupled, step); }
