#!/usr/bin/env python3
"""The "bring your own model" user of tests/own_model_test.sh: trains a small CNN in PyTorch
(BatchNorm, ReLU6, Dropout; inputs are pixels / 255) on a Fashion-MNIST subset, measures its
test accuracy, exports it with torch.onnx.export and saves the data with numpy.save, exactly as
the README's "Your own model and data" section tells a user to.

  pytorch_model.py OUT_DIR [--train N] [--test N] [--epochs E]

Writes OUT_DIR/model.onnx, train_x.npy / test_x.npy (uint8, N x 28 x 28 x 1: channels last, as
image libraries hold pixels), train_y.npy / test_y.npy (int64), test_x_div255.npy (float32 NCHW,
what this model is fed) and prints {"pytorch_top1": ...} (percent) as one JSON line."""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn

FMNIST = os.environ.get("BITSEARCH_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def idx(name, offset):
    with gzip.open(os.path.join(FMNIST, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU6(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU6(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 7 * 7, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--train", type=int, default=6000)
    p.add_argument("--test", type=int, default=2000)
    p.add_argument("--epochs", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)  # ctest -j2 runs another test on the second core
    train_x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)[:a.train]
    train_y = idx("train-labels-idx1-ubyte.gz", 8)[:a.train].astype(np.int64)
    test_x = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)[:a.test]
    test_y = idx("t10k-labels-idx1-ubyte.gz", 8)[:a.test].astype(np.int64)

    def inputs(x):  # the model's preprocessing: pixels / 255, NCHW float32
        return torch.from_numpy(x.astype(np.float32)).unsqueeze(1) / 255

    model = SmallCnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    xs, ys = inputs(train_x), torch.from_numpy(train_y)
    for _ in range(a.epochs):
        model.train()
        for batch in torch.randperm(len(xs)).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xs[batch]), ys[batch]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        test_in = inputs(test_x)
        top1 = (model(test_in).argmax(1) == torch.from_numpy(test_y)).float().mean().item() * 100

    os.makedirs(a.out, exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), os.path.join(a.out, "model.onnx"),
                      input_names=["input"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    np.save(os.path.join(a.out, "train_x.npy"), train_x[..., None])  # N, H, W, C
    np.save(os.path.join(a.out, "train_y.npy"), train_y)
    np.save(os.path.join(a.out, "test_x.npy"), test_x[..., None])
    np.save(os.path.join(a.out, "test_y.npy"), test_y)
    np.save(os.path.join(a.out, "test_x_div255.npy"), test_in.numpy())
    print(json.dumps({"pytorch_top1": top1, "train": len(train_x), "test": len(test_x)}))


if __name__ == "__main__":
    main()
