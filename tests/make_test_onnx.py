#!/usr/bin/env python3
"""Writes a small float ONNX classifier for the service export test, with the reference ONNX
Python library (a different writer than bitsearch's own, so the import path sees a foreign file).

  make_test_onnx.py OUT.onnx [--unsupported]

The model: Conv 1->8 5x5 (pad 2) - Relu - MaxPool 2 - Conv 8->16 3x3 - Relu - GlobalAveragePool -
Flatten - Gemm 16->10, input [N,1,28,28] with a symbolic batch, seeded random weights.
--unsupported adds an Erf node (not in bitsearch's operator set) to test the refusal."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    unsupported = "--unsupported" in sys.argv[2:]
    rng = np.random.default_rng(7)

    def init(name, shape, scale):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [init("c1.w", (8, 1, 5, 5), 0.2), init("c1.b", (8,), 0.05),
             init("c2.w", (16, 8, 3, 3), 0.12), init("c2.b", (16,), 0.05),
             init("fc.w", (10, 16), 0.25), init("fc.b", (10,), 0.05)]
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="conv1",
                         kernel_shape=[5, 5], pads=[2, 2, 2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2.w", "c2.b"], ["c2"], name="conv2", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
    ]
    last = "r2"
    if unsupported:
        nodes.append(helper.make_node("Erf", ["r2"], ["e2"], name="odd_erf"))
        last = "e2"
    nodes += [
        helper.make_node("GlobalAveragePool", [last], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "service-export-test",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="make_test_onnx.py")
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
