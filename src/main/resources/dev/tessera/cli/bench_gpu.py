# PyTorch's side of `tessera bench gpu`: the same ops on the same card, timed the same way
# (warm-up, then the median of 7 samples of synchronised repetitions). TF32 off, as in Tessera.
# Prints one "ref <name> <value>" line per op, in the units Tessera's table uses.
import statistics, sys, time
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda:0")
torch.manual_seed(0)

def seconds(fn, min_sample=0.005, warmup=0.5):
    end = time.perf_counter() + warmup
    reps = 1
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
        if time.perf_counter() - t0 < min_sample:
            reps *= 2
    samples = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - t0) / reps)
    return statistics.median(samples)

a = torch.randn(4096, 4096, device=dev); b = torch.randn(4096, 4096, device=dev)
print("ref sgemm_4096", 2 * 4096 ** 3 / seconds(lambda: a @ b) / 1e9)
x = torch.randn(64, 128, 128, device=dev); y = torch.randn(64, 128, 128, device=dev)
print("ref bmm_64x128x128", 2 * 64 * 128 ** 3 / seconds(lambda: torch.bmm(x, y)) / 1e9)
u = torch.randn(1 << 20, device=dev); v = torch.randn(1 << 20, device=dev)
print("ref add_1M", seconds(lambda: u + v) * 1e6)
s = torch.randn(1024, device=dev); t = torch.randn(1024, device=dev)
print("ref add_1K", seconds(lambda: s + t) * 1e6)
m = torch.randn(4096, 4096, device=dev)
print("ref softmax_4096x4096", seconds(lambda: torch.softmax(m, -1)) * 1e3)

model = torch.nn.Sequential(torch.nn.Linear(784, 10), torch.nn.ReLU(), torch.nn.Linear(10, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
xb = torch.randn(256, 784, device=dev); yb = torch.randint(0, 10, (256,), device=dev)
def step():
    loss = torch.nn.functional.cross_entropy(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("ref train_step_m2_b256", seconds(step) * 1e3)
print("ref version", torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))
sys.stdout.flush()
