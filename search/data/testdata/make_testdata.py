#!/usr/bin/env python3
"""Writes the small NumPy files npy_test.cc reads, with numpy itself (Debian python3-numpy), so the
readers are tested against what numpy.save / savez / savez_compressed really write.
Run from this folder: /usr/bin/python3 make_testdata.py  (the files are committed; values are
arange-based so the test can recompute them)."""
import numpy as np


def pattern(shape, dtype, modulo=251):
    return (np.arange(int(np.prod(shape))) % modulo).reshape(shape).astype(dtype)


def main():
    np.save("u8_nhwc.npy", pattern((4, 5, 6, 3), np.uint8))                    # N, H, W, C
    np.save("f16_nchw.npy", (pattern((2, 1, 3, 3), np.float16) / 8).astype(np.float16))
    np.save("f32_fortran.npy", np.asfortranarray(pattern((2, 3, 4, 5), np.float32)))
    np.save("f64_nhw.npy", pattern((3, 4, 4), np.float64) / 250.0)               # N, H, W
    np.save("labels_u2.npy", np.array([0, 1, 2, 65535], dtype=np.uint16))
    np.save("labels_3.npy", np.array([2, 0, 1], dtype=np.int64))
    np.save("labels_i4.npy", np.array([3, 1, 0, 2], dtype=np.int32))
    np.save("labels_neg.npy", np.array([0, 1, -1, 2], dtype=np.int64))
    np.save("labels_float.npy", np.array([0, 1, 1, 2], dtype=np.float32))
    np.save("labels_onehot.npy", np.eye(4, dtype=np.int64))
    np.save("x_int32.npy", pattern((4, 1, 2, 2), np.int32))
    arrays = dict(x_train=pattern((6, 5, 5), np.uint8), y_train=np.array([0, 1, 2, 0, 1, 2], dtype=np.int64),
                  x_test=pattern((2, 5, 5), np.uint8), y_test=np.array([2, 0], dtype=np.int64))
    np.savez("stored.npz", **arrays)
    np.savez_compressed("deflated.npz", **arrays)


if __name__ == "__main__":
    main()
