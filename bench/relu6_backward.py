#!/usr/bin/python3
"""Forward plus backward of ReLU6 written as clamp and as hardtanh (PyTorch's ReLU6) on one
MobileNetV2-sized activation, medians of 10: why the network runs Op::kClip as hardtanh.
  /usr/bin/python3 bench/relu6_backward.py [THREADS]"""
import statistics
import sys
import time

import torch


def median_ms(f, x, g, n=10):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f(x).backward(g)
        times.append((time.perf_counter() - t0) * 1000)
        x.grad = None
    return statistics.median(times)


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    x = torch.randn(128, 96, 32, 32, requires_grad=True)
    g = torch.randn(128, 96, 32, 32)
    for _ in range(2):  # the first round warms the allocator
        clamp = median_ms(lambda v: torch.clamp(v, 0, 6), x, g)
        hardtanh = median_ms(lambda v: torch.nn.functional.hardtanh(v, 0.0, 6.0), x, g)
    print(f"clamp_ms: {clamp:.1f}\nhardtanh_ms: {hardtanh:.1f}\nratio: {clamp / hardtanh:.2f}")


if __name__ == "__main__":
    main()
