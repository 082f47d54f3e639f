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
sh = torch.randn(65536, 128, device=dev)
print("ref softmax_65536x128", seconds(lambda: torch.softmax(sh, -1)) * 1e3)
lg = torch.randn(16, 65536, device=dev)
print("ref softmax_16x65536", seconds(lambda: torch.softmax(lg, -1)) * 1e3)
ln = torch.randn(16384, 768, device=dev); gamma = torch.randn(768, device=dev); beta = torch.randn(768, device=dev)
print("ref layernorm_16384x768", seconds(lambda: torch.nn.functional.layer_norm(ln, (768,), gamma, beta, 1e-5)) * 1e3)
sq = torch.randn(4096, 4096, device=dev); col = torch.randn(4096, 1, device=dev)
print("ref add_bcast_4096x4096", seconds(lambda: sq + col) * 1e6)
tr = torch.randn(4096, 4096, device=dev)
print("ref transpose_4096x4096", seconds(lambda: tr.t().contiguous()) * 1e6)
# half the indices at padding_idx 0, as GpuBench.embeddingBackward
emb_w = torch.randn(32768, 512, device=dev, requires_grad=True)
emb_idx = torch.tensor([0 if i % 2 == 0 else int(j) for i, j in enumerate(torch.randint(1, 32768, (16384,)))], device=dev)
emb_g = torch.randn(16384, 512, device=dev)
def embedding_bwd():
    torch.nn.functional.embedding(emb_idx, emb_w, padding_idx=0).backward(emb_g)
print("ref embedding_bwd_32768x512_16384", seconds(embedding_bwd) * 1e3)

def host_seconds(fn, queued=200):
    # host time to queue one op: calls timed without a synchronise inside, as GpuBench.hostSeconds
    for _ in range(3 * queued):
        fn()
    samples = []
    for _ in range(7):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(queued):
            fn()
        samples.append((time.perf_counter() - t0) / queued)
    torch.cuda.synchronize()
    return statistics.median(samples)
print("ref queue_add_1K", host_seconds(lambda: s + t) * 1e6)

model = torch.nn.Sequential(torch.nn.Linear(784, 10), torch.nn.ReLU(), torch.nn.Linear(10, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
xb = torch.randn(256, 784, device=dev); yb = torch.randint(0, 10, (256,), device=dev)
def step():
    loss = torch.nn.functional.cross_entropy(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("ref train_step_m2_b256", seconds(step) * 1e3)
# Convolution, batch norm and training steps through cuDNN: heuristics (cudnn.benchmark off, the plain
# name) and autotuned (benchmark on, the name + "_bench"); Tessera's "_fallback" rows compare with the
# plain line. Names as Tessera's GpuBench.names (GpuBenchTest checks them).
def conv(shape, backward):
    x = torch.randn(*shape, device=dev, requires_grad=backward)
    layer = torch.nn.Conv2d(shape[1], shape[1], 3, 1, 1).to(dev)
    if not backward:
        def fwd():
            with torch.no_grad():
                return layer(x)
        return fwd
    def fwdbwd():
        out = layer(x)
        out.backward(torch.ones_like(out))
    return fwdbwd

def batchnorm(shape):
    x = torch.randn(*shape, device=dev, requires_grad=True)
    bn = torch.nn.BatchNorm2d(shape[1]).to(dev)
    g = torch.ones(*shape, device=dev)
    def fwdbwd():
        bn(x).backward(g)
    return fwdbwd

class M3(torch.nn.Module):   # the tutorial's M3, as dev.tessera.examples.CustomModulesExample.M3
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3, 2, 1)
        self.conv2 = torch.nn.Conv2d(16, 16, 3, 2, 1)
        self.conv3 = torch.nn.Conv2d(16, 10, 3, 2, 1)
    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = torch.relu(self.conv1(x)); x = torch.relu(self.conv2(x)); x = torch.relu(self.conv3(x))
        return torch.nn.functional.avg_pool2d(x, 4).view(-1, 10)

def cnn():   # as dev.tessera.cli.Models.cnn
    return torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(16, 32, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10))

def mlp():   # as dev.tessera.cli.Models.mlp
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))

def train(model, shape):
    model = model.to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xb = torch.randn(*shape, device=dev); yb = torch.randint(0, 10, (shape[0],), device=dev)
    def step():
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step

workloads = [
    ("conv_256x16x28x28_fwd", lambda: conv((256, 16, 28, 28), False)),
    ("conv_256x16x28x28_fwdbwd", lambda: conv((256, 16, 28, 28), True)),
    ("conv_64x64x56x56_fwd", lambda: conv((64, 64, 56, 56), False)),
    ("conv_64x64x56x56_fwdbwd", lambda: conv((64, 64, 56, 56), True)),
    ("batchnorm_256x64x28x28_fwdbwd", lambda: batchnorm((256, 64, 28, 28))),
    ("train_step_m3_b256", lambda: train(M3(), (256, 784))),
    ("train_step_cnn_b256", lambda: train(cnn(), (256, 1, 28, 28))),
    ("train_step_mlp_b256", lambda: train(mlp(), (256, 1, 28, 28))),
]
for bench in (False, True):
    torch.backends.cudnn.benchmark = bench
    for name, make in workloads:
        print("ref %s%s" % (name, "_bench" if bench else ""), seconds(make()) * 1e3)
torch.backends.cudnn.benchmark = False

print("ref version", torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))
sys.stdout.flush()
