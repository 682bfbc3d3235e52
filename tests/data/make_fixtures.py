#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates convscope's own PyTorch fixtures (tests/data/fixtures/<name>/).

Run with Debian's interpreter (python3-torch, python3-numpy):

    /usr/bin/python3 tests/data/make_fixtures.py

Each case holds input.npy, weight.npy, bias.npy (absent when bias=False), output.npy, a
human-readable params.json and params.txt (key=value lines, read by fixtures_test.cpp so the
C++ test needs no JSON parser). Inputs and weights are drawn as float32 and the convolution is
computed by torch.nn.Conv2d in float64 on exactly those values, then the output is rounded to
float32: the fixture is as close to the true result as float32 can hold.

The output is deterministic (fixed seed); regenerate and commit when adding a case.
"""
import json
import os
import shutil

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
SEED = 20261125

# name, description, Conv2d constructor kwargs, input shape
CASES = [
    ("zeros_k3_pad1", "zeros, kernel 3, padding 1, non-square input",
     dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), [1, 3, 7, 6]),
    ("reflect_pad_2_1", "reflect, asymmetric explicit padding (2, 1)",
     dict(in_channels=2, out_channels=3, kernel_size=3, padding=(2, 1), padding_mode="reflect"),
     [1, 2, 6, 5]),
    ("replicate_pad_gt_input", "replicate, padding (3, 4) larger than the 4x3 input",
     dict(in_channels=2, out_channels=3, kernel_size=3, padding=(3, 4), padding_mode="replicate"),
     [1, 2, 4, 3]),
    ("circular_pad_eq_height", "circular, padding 3 equal to the height",
     dict(in_channels=2, out_channels=2, kernel_size=3, padding=(3, 2), padding_mode="circular"),
     [1, 2, 3, 4]),
    ("same_even_k4", "'same' with kernel 4: extra pixel bottom/right",
     dict(in_channels=2, out_channels=3, kernel_size=4, padding="same"), [1, 2, 7, 8]),
    ("same_k2_dilation3", "'same' with kernel 2, dilation 3 (odd total 3)",
     dict(in_channels=2, out_channels=3, kernel_size=2, padding="same", dilation=3), [1, 2, 8, 9]),
    ("same_reflect_k3x4_dil2x1", "'same' reflect, kernel (3, 4), dilation (2, 1)",
     dict(in_channels=2, out_channels=3, kernel_size=(3, 4), padding="same", dilation=(2, 1),
          padding_mode="reflect"), [1, 2, 9, 10]),
    ("same_circular_k2x3", "'same' circular, kernel (2, 3)",
     dict(in_channels=3, out_channels=2, kernel_size=(2, 3), padding="same",
          padding_mode="circular"), [1, 3, 5, 6]),
    ("same_replicate_k4x2_dil1x2", "'same' replicate, kernel (4, 2), dilation (1, 2)",
     dict(in_channels=2, out_channels=2, kernel_size=(4, 2), padding="same", dilation=(1, 2),
          padding_mode="replicate"), [1, 2, 6, 7]),
    ("valid_k3", "'valid' (no padding)",
     dict(in_channels=3, out_channels=4, kernel_size=3, padding="valid"), [1, 3, 6, 7]),
    ("stride_2x3_pad1", "stride (2, 3) with a floor remainder",
     dict(in_channels=3, out_channels=5, kernel_size=3, stride=(2, 3), padding=1), [1, 3, 11, 13]),
    ("stride2_dilation2_pad2", "stride 2, dilation 2, padding 2",
     dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, dilation=2, padding=2),
     [1, 2, 12, 10]),
    ("pointwise_stride2", "1x1 kernel with stride 2 skips pixels",
     dict(in_channels=3, out_channels=2, kernel_size=1, stride=2), [1, 3, 7, 7]),
    ("groups2", "groups 2",
     dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2), [1, 4, 6, 6]),
    ("depthwise_reflect", "depthwise (groups = C_in = C_out), reflect",
     dict(in_channels=5, out_channels=5, kernel_size=3, padding=1, groups=5,
          padding_mode="reflect"), [1, 5, 6, 6]),
    ("depthwise_multiplier2", "depthwise multiplier 2, 'same' replicate, kernel (3, 2)",
     dict(in_channels=3, out_channels=6, kernel_size=(3, 2), padding="same", groups=3,
          padding_mode="replicate"), [1, 3, 5, 6]),
    ("bias_off_k5", "bias=False, kernel 5, padding 2",
     dict(in_channels=3, out_channels=2, kernel_size=5, padding=2, bias=False), [1, 3, 8, 8]),
    ("batch2_circular", "batch of 2, circular",
     dict(in_channels=3, out_channels=4, kernel_size=3, padding=1, padding_mode="circular"),
     [2, 3, 6, 5]),
    ("unbatched_3d", "unbatched [C, H, W] input",
     dict(in_channels=2, out_channels=3, kernel_size=3), [2, 5, 5]),
    ("batch0", "empty batch N = 0",
     dict(in_channels=2, out_channels=3, kernel_size=3, padding=1), [0, 2, 4, 4]),
]


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def save(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def main():
    torch.manual_seed(SEED)
    # fixtures/layers belongs to make_layer_fixtures.py: keep it.
    os.makedirs(OUT, exist_ok=True)
    for entry in os.listdir(OUT):
        path = os.path.join(OUT, entry)
        if entry != "layers" and os.path.isdir(path):
            shutil.rmtree(path)
    names = []
    for name, description, kwargs, input_shape in CASES:
        module = torch.nn.Conv2d(**kwargs)  # float32, PyTorch's default initialisation
        x32 = torch.randn(*input_shape, dtype=torch.float32)
        w32 = module.weight.detach().clone()
        b32 = module.bias.detach().clone() if module.bias is not None else None
        module64 = module.double()
        with torch.no_grad():
            y = module64(x32.double())
        folder = os.path.join(OUT, name)
        os.makedirs(folder)
        save(os.path.join(folder, "input.npy"), x32.numpy())
        save(os.path.join(folder, "weight.npy"), w32.numpy())
        if b32 is not None:
            save(os.path.join(folder, "bias.npy"), b32.numpy())
        save(os.path.join(folder, "output.npy"), y.float().numpy())

        padding = kwargs.get("padding", 0)
        params = {
            "name": name,
            "description": description,
            "in_channels": kwargs["in_channels"],
            "out_channels": kwargs["out_channels"],
            "kernel_size": pair(kwargs["kernel_size"]),
            "stride": pair(kwargs.get("stride", 1)),
            "padding": padding if isinstance(padding, str) else pair(padding),
            "padding_mode": kwargs.get("padding_mode", "zeros"),
            "dilation": pair(kwargs.get("dilation", 1)),
            "groups": kwargs.get("groups", 1),
            "bias": kwargs.get("bias", True),
            "input_shape": list(input_shape),
            "output_shape": list(y.shape),
            "torch_repr": str(module),
            "torch_version": torch.__version__,
        }
        with open(os.path.join(folder, "params.json"), "w") as f:
            json.dump(params, f, indent=1)
            f.write("\n")

        def csv(v):
            return ",".join(str(int(i)) for i in v)

        lines = [
            "in_channels=%d" % params["in_channels"],
            "out_channels=%d" % params["out_channels"],
            "kernel=" + csv(params["kernel_size"]),
            "stride=" + csv(params["stride"]),
            "padding=" + (padding if isinstance(padding, str) else csv(pair(padding))),
            "padding_mode=" + params["padding_mode"],
            "dilation=" + csv(params["dilation"]),
            "groups=%d" % params["groups"],
            "bias=%d" % int(params["bias"]),
            "input_shape=" + csv(params["input_shape"]),
            "output_shape=" + csv(params["output_shape"]),
            "torch_repr=" + params["torch_repr"],
        ]
        with open(os.path.join(folder, "params.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        names.append(name)
    with open(os.path.join(OUT, "index.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print("wrote %d fixtures to %s" % (len(names), OUT))


if __name__ == "__main__":
    main()
