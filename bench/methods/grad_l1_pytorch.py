#!/usr/bin/python3
"""The gradient-L1 weight term's step cost in PyTorch itself (Debian python3-torch, the same
LibTorch 1.13 bitsearch links): a LeNet-5 training step with loss CE + lambda_w sum ||dCE/dW||_1
(double backprop) against a plain float step, alternating, medians. Beside bench/grad_l1_bench's
figure it shows whether the cost is bitsearch's or the library's (conv's double backward).

  /usr/bin/python3 bench/methods/grad_l1_pytorch.py --threads 2 --steps 8
"""
import argparse
import statistics
import time

import torch
from torch import nn


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(32, 64, 5), nn.ReLU(),
                        nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = torch.randn(args.batch, 1, 28, 28)
    y = torch.randint(0, 10, (args.batch,))
    weights = [m.weight for m in net if hasattr(m, "weight")]

    def float_step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    def grad_l1_step():
        opt.zero_grad()
        ce = nn.functional.cross_entropy(net(x), y)
        grads = torch.autograd.grad(ce, weights, create_graph=True)
        (ce + 1e-4 * sum(g.abs().sum() for g in grads)).backward()
        opt.step()

    for step in (float_step, grad_l1_step, float_step, grad_l1_step):  # warm-up
        step()
    fp, gl = [], []
    for _ in range(args.steps):
        t = time.perf_counter()
        float_step()
        fp.append(time.perf_counter() - t)
        t = time.perf_counter()
        grad_l1_step()
        gl.append(time.perf_counter() - t)
    f, g = statistics.median(fp), statistics.median(gl)
    print(f"pytorch_fp_step_ms: {1e3 * f:.1f}\npytorch_weight_grad_l1_step_ms: {1e3 * g:.1f}\n"
          f"pytorch_weight_grad_l1_over_fp: {g / f:.2f}")


if __name__ == "__main__":
    main()
