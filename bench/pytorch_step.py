#!/usr/bin/python3
"""Times a PyTorch training step (Adam, cross-entropy) of the zoo models, built layer for layer
as search/zoo.cc builds them with every BatchNorm folded into its conv (what step_bench's float
and Bayesian Bits steps run). Prints `pytorch_step_ms: MEDIAN` like step_bench prints its own.

  /usr/bin/python3 bench/pytorch_step.py --model lenet5 --batch 128 --steps 20 --threads 2
"""
import argparse
import ctypes
import statistics
import time

import torch
from torch import nn


def lenet5(c, h, w, classes):
    fh, fw = ((h - 4) // 2 - 4) // 2, ((w - 4) // 2 - 4) // 2
    return nn.Sequential(
        nn.Conv2d(c, 32, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(64 * fh * fw, 512), nn.ReLU(), nn.Linear(512, classes))


def vgg7(c, h, w, classes):
    layers = []
    for p in (128, 128, 0, 256, 256, 0, 512, 512, 0):
        if p == 0:
            layers.append(nn.MaxPool2d(2, 2))
            h, w = h // 2, w // 2
            continue
        layers += [nn.Conv2d(c, p, 3, 1, 1), nn.ReLU()]
        c = p
    layers += [nn.Flatten(), nn.Linear(c * h * w, 1024), nn.ReLU(), nn.Linear(1024, classes)]
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.down = nn.Conv2d(cin, cout, 1, stride, 0) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.conv2(torch.relu(self.conv1(x)))
        return torch.relu(y + (self.down(x) if self.down is not None else x))


def resnet8(c, h, w, classes):
    layers = [nn.Conv2d(c, 16, 3, 1, 1), nn.ReLU()]
    cin = 16
    for s, out in enumerate((16, 32, 64)):
        layers.append(BasicBlock(cin, out, 1 if s == 0 else 2))
        cin = out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, t, stride):
        super().__init__()
        hidden = cin * t
        layers = []
        if t != 1:
            layers += [nn.Conv2d(cin, hidden, 1), nn.Hardtanh(0.0, 6.0)]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden), nn.Hardtanh(0.0, 6.0),
                   nn.Conv2d(hidden, cout, 1)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return y + x if self.residual else y


def mobilenetv2(c, h, w, classes):
    layers = [nn.Conv2d(c, 32, 3, 1, 1), nn.Hardtanh(0.0, 6.0)]
    cin = 32
    for t, out, n, s in ((1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2),
                         (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            layers.append(InvertedResidual(cin, out, t, s if i == 0 else 1))
            cin = out
    layers += [nn.Conv2d(cin, 1280, 1), nn.Hardtanh(0.0, 6.0), nn.AdaptiveAvgPool2d(1),
               nn.Flatten(), nn.Linear(1280, classes)]
    return nn.Sequential(*layers)


MODELS = {"lenet5": lenet5, "vgg7": vgg7, "resnet8": resnet8, "mobilenetv2": mobilenetv2}


def size_blas_pool(threads):
    """torch.set_num_threads does not size OpenBLAS's pool, which runs the fully connected layers'
    products: without this a "1-thread" LeNet-5 step used two cores. Sized as bitsearch --threads
    sizes it (base/blas_threads.h), so both sides of the comparison get the same cores."""
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if "libopenblas" in path:
            try:
                ctypes.CDLL(path).openblas_set_num_threads(threads)
                return True
            except (OSError, AttributeError):
                continue
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", choices=sorted(MODELS), default="lenet5")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true", help="NHWC model and input")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    size_blas_pool(args.threads)
    torch.manual_seed(1)
    shape = (1, 28, 28) if args.model == "lenet5" else (3, 32, 32)
    net = MODELS[args.model](*shape, 10)
    x = torch.randn(args.batch, *shape)
    if args.channels_last:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    y = torch.randint(0, 10, (args.batch,))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(3):  # warm-up, as step_bench does
        step()
    times, cpu = [], []
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        cpu.append((time.process_time() - c0) * 1000)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"model: {args.model}  batch: {args.batch}  threads: {args.threads}  steps: {args.steps}")
    print(f"pytorch_step_ms: {statistics.median(times):.2f}")
    print(f"pytorch_step_cpu_ms: {statistics.median(cpu):.2f}")
    print(f"pytorch_parameters: {sum(p.numel() for p in net.parameters())}")


if __name__ == "__main__":
    main()
