#!/usr/bin/env python3
"""PyTorch's training step of a zoo model (bench/pytorch_step.py) under PyTorch's own profiler:
self CPU time per op over 5 steps, to set beside step_bench --trace and bench/trace_summary.py.
  /usr/bin/python3 bench/pytorch_step_profile.py [--model lenet5] [--threads 1] [--channels-last]
Run it with the environment you compare under (say OPENBLAS_CORETYPE=SkylakeX)."""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_step  # noqa: E402  the same models and OpenBLAS pool sizing


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", choices=sorted(pytorch_step.MODELS), default="lenet5")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--channels-last", action="store_true", help="NHWC model and input")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    pytorch_step.size_blas_pool(args.threads)
    torch.manual_seed(1)
    shape = (1, 28, 28) if args.model == "lenet5" else (3, 32, 32)
    net = pytorch_step.MODELS[args.model](*shape, 10)
    x = torch.randn(args.batch, *shape)
    if args.channels_last:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (args.batch,))
    opt = torch.optim.Adam(net.parameters(), 1e-3)

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(3):  # warm-up, as step_bench does
        step()
    with torch.autograd.profiler.profile() as prof:
        for _ in range(5):
            step()
    print(f"5 steps of {args.model}, batch {args.batch}, {args.threads} thread(s); divide by 5 for per step")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=16))


if __name__ == "__main__":
    main()
