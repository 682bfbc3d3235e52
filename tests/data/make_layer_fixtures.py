#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates the fixtures of the layer kinds other than Conv2d (tests/data/fixtures/layers/).

Run with Debian's interpreter (python3-torch, python3-numpy):

    /usr/bin/python3 tests/data/make_layer_fixtures.py

Each case folder holds input.npy, output.npy, the kind's tensors where it has them
(BatchNorm2d: running_mean.npy, running_var.npy, weight.npy, bias.npy; ConvTranspose2d:
weight.npy and, with bias, bias.npy) and params.txt: key=value
lines (kind, the constructor arguments, shapes and torch_repr), read by layers_test.cpp.
Unlike make_fixtures.py the outputs are PyTorch's own float32 results: these layers are
meant to match PyTorch's float32 kernels, and most of them (pools, pads, max) are exact
(ConvTranspose2d sums in another order: within the conformance kit's 1e-4).

The output is deterministic (fixed seed); regenerate and commit when adding a case.
"""
import math
import os
import shutil

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "layers")
SEED = 20261203


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def quad(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v, v, v]


def csv(v):
    return ",".join(str(int(i)) for i in v)


# name, description, kind, constructor kwargs, input shape[, input transform]. A square size
# is passed as an int: the repr convscope prints for it (layers.h).
CASES = [
    # MaxPool2d
    ("max_k2_floor", "kernel 2: the floor drops the last row and column",
     "MaxPool2d", dict(kernel_size=2), [1, 2, 7, 9]),
    ("max_k3_s2_pad1", "kernel 3, stride 2, padding 1 (padding never wins)",
     "MaxPool2d", dict(kernel_size=3, stride=2, padding=1), [1, 2, 7, 8]),
    ("max_ceil_partial", "ceil_mode: a partial last window on both axes",
     "MaxPool2d", dict(kernel_size=2, ceil_mode=True), [1, 2, 5, 7]),
    ("max_ceil_last_window_rule",
     "ceil_mode, padding 1: the height's last window would start in the right padding and is "
     "dropped (5 -> 3), the width's is kept (6 -> 4)",
     "MaxPool2d", dict(kernel_size=2, stride=2, padding=1, ceil_mode=True), [1, 1, 5, 6]),
    ("max_rect_dilation", "kernel (3, 2), stride (2, 1), padding (1, 0), dilation (2, 1)",
     "MaxPool2d", dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1)),
     [1, 2, 9, 6]),
    ("max_ceil_dilation2", "ceil_mode with dilation 2, stride 2, padding 1",
     "MaxPool2d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
     [1, 1, 8, 9]),
    ("max_unbatched_s1", "unbatched [C, H, W] input, stride 1 (overlapping windows)",
     "MaxPool2d", dict(kernel_size=2, stride=1), [2, 5, 5]),
    ("max_nan_wins", "a NaN in a window wins, as in PyTorch; -inf inputs",
     "MaxPool2d", dict(kernel_size=2), [1, 1, 4, 4], "nan"),
    ("max_batch2", "batch of 2, kernel 3 stride 3 ceil_mode",
     "MaxPool2d", dict(kernel_size=3, stride=3, ceil_mode=True), [2, 2, 7, 8]),
    # AvgPool2d
    ("avg_k2", "kernel 2", "AvgPool2d", dict(kernel_size=2), [1, 2, 6, 7]),
    ("avg_pad1_include", "kernel 3, stride 2, padding 1, count_include_pad=True",
     "AvgPool2d", dict(kernel_size=3, stride=2, padding=1), [1, 2, 7, 8]),
    ("avg_pad1_exclude", "kernel 3, stride 2, padding 1, count_include_pad=False",
     "AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
     [1, 2, 7, 8]),
    ("avg_ceil_include",
     "ceil_mode, count_include_pad=True: the last window reaches past the right padding, and "
     "that part counts for nothing",
     "AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), [1, 2, 6, 6]),
    ("avg_ceil_exclude", "ceil_mode, count_include_pad=False",
     "AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                       count_include_pad=False), [1, 2, 6, 6]),
    ("avg_ceil_last_window_rule", "ceil_mode, padding 1: the height's last window is dropped",
     "AvgPool2d", dict(kernel_size=2, stride=2, padding=1, ceil_mode=True), [1, 1, 5, 6]),
    ("avg_divisor_override", "divisor_override=5 with padding 1",
     "AvgPool2d", dict(kernel_size=3, stride=2, padding=1, divisor_override=5), [1, 2, 7, 7]),
    ("avg_divisor_override_ceil", "divisor_override=2, ceil_mode, count_include_pad=False",
     "AvgPool2d", dict(kernel_size=2, stride=2, ceil_mode=True, count_include_pad=False,
                       divisor_override=2), [1, 1, 5, 5]),
    ("avg_rect", "kernel (2, 3), stride (1, 2), padding 1, ceil_mode, exclude pad",
     "AvgPool2d", dict(kernel_size=(2, 3), stride=(1, 2), padding=1, ceil_mode=True,
                       count_include_pad=False), [1, 2, 5, 8]),
    ("avg_unbatched", "unbatched input", "AvgPool2d", dict(kernel_size=3, stride=1),
     [3, 6, 6]),
    # AdaptiveAvgPool2d
    ("adaptive_3_from_7x8", "output 3 from 7 x 8: windows overlap",
     "AdaptiveAvgPool2d", dict(output_size=3), [1, 2, 7, 8]),
    ("adaptive_5x3_from_7x11", "output (5, 3) from 7 x 11",
     "AdaptiveAvgPool2d", dict(output_size=(5, 3)), [1, 2, 7, 11]),
    ("adaptive_upsample", "output (6, 4) larger than the 4 x 3 input",
     "AdaptiveAvgPool2d", dict(output_size=(6, 4)), [1, 2, 4, 3]),
    ("adaptive_global", "output 1: global average",
     "AdaptiveAvgPool2d", dict(output_size=1), [2, 3, 5, 6]),
    ("adaptive_unbatched", "unbatched, output 4 from 9 x 7",
     "AdaptiveAvgPool2d", dict(output_size=4), [2, 9, 7]),
    # BatchNorm2d (eval)
    ("bn_affine", "affine, default eps", "BatchNorm2d", dict(num_features=3), [2, 3, 4, 5]),
    ("bn_no_affine", "affine=False, eps 1e-3", "BatchNorm2d",
     dict(num_features=4, eps=1e-3, affine=False), [1, 4, 3, 5]),
    ("bn_eps_momentum", "eps 0.1, momentum 0.3 (only printed), tiny variances",
     "BatchNorm2d", dict(num_features=2, eps=0.1, momentum=0.3), [1, 2, 5, 4], "tinyvar"),
    # Activations
    ("leaky_relu_default", "negative_slope 0.01", "LeakyReLU", dict(), [1, 3, 5, 6], "wide"),
    ("leaky_relu_0.2", "negative_slope 0.2", "LeakyReLU", dict(negative_slope=0.2),
     [1, 3, 5, 6], "wide"),
    ("relu6", "values below 0, inside and above 6", "ReLU6", dict(), [1, 3, 5, 6], "wide"),
    ("gelu", "exact erf form", "GELU", dict(), [1, 3, 5, 6], "wide"),
    ("silu", "with large magnitudes", "SiLU", dict(), [1, 3, 5, 6], "extreme"),
    ("sigmoid", "with large magnitudes", "Sigmoid", dict(), [1, 3, 5, 6], "extreme"),
    ("tanh", "with large magnitudes", "Tanh", dict(), [2, 5, 6], "extreme"),
    # Padding layers
    ("zeropad_asym", "ZeroPad2d (1, 2, 0, 3)", "ZeroPad2d", dict(padding=(1, 2, 0, 3)),
     [1, 2, 4, 5]),
    ("constpad_value", "ConstantPad2d (2, 0, 1, 3), value -1.5", "ConstantPad2d",
     dict(padding=(2, 0, 1, 3), value=-1.5), [1, 2, 4, 5]),
    ("constpad_unbatched", "ConstantPad2d 2 on an unbatched input, value 0.25",
     "ConstantPad2d", dict(padding=2, value=0.25), [2, 3, 4]),
    ("reflectpad_asym", "ReflectionPad2d (3, 1, 2, 0)", "ReflectionPad2d",
     dict(padding=(3, 1, 2, 0)), [1, 2, 4, 5]),
    ("reflectpad_at_limit", "ReflectionPad2d (4, 4, 3, 3): size - 1 on every side",
     "ReflectionPad2d", dict(padding=(4, 4, 3, 3)), [1, 1, 4, 5]),
    ("replicatepad_gt_image", "ReplicationPad2d (6, 2, 5, 7) larger than the 3 x 4 image",
     "ReplicationPad2d", dict(padding=(6, 2, 5, 7)), [1, 2, 3, 4]),
    ("replicatepad_unbatched", "ReplicationPad2d 1, unbatched", "ReplicationPad2d",
     dict(padding=1), [3, 4, 4]),
    # ConvTranspose2d
    ("ct_k3_s1", "kernel 3, stride 1: every input pixel spreads to a 3 x 3 patch",
     "ConvTranspose2d", dict(in_channels=3, out_channels=4, kernel_size=3), [1, 3, 5, 6]),
    ("ct_s2_pad1_outpad1", "stride 2, padding 1, output_padding 1: the size doubles exactly",
     "ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
                             output_padding=1), [1, 4, 5, 4]),
    ("ct_k4_s2_pad1_batch2", "kernel 4, stride 2, padding 1 (a DCGAN up-sampling), batch 2",
     "ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=4, stride=2, padding=1),
     [2, 3, 4, 5]),
    ("ct_dilation2_pad2", "dilation 2, padding 2",
     "ConvTranspose2d", dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2,
                             padding=2), [1, 2, 6, 5]),
    ("ct_outpad_below_dilation",
     "stride 1, dilation 3, output_padding 2: allowed because it is below the dilation",
     "ConvTranspose2d", dict(in_channels=2, out_channels=2, kernel_size=2, dilation=3,
                             output_padding=2), [1, 2, 4, 4]),
    ("ct_groups2_s2", "groups 2, stride 2, padding 1",
     "ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
                             groups=2), [1, 4, 5, 5]),
    ("ct_depthwise_s3", "groups = channels = 3, stride 3 (gaps between the patches)",
     "ConvTranspose2d", dict(in_channels=3, out_channels=3, kernel_size=2, stride=3, groups=3),
     [1, 3, 4, 4]),
    ("ct_no_bias_rect", "bias=False, kernel (2, 3), stride (1, 2)",
     "ConvTranspose2d", dict(in_channels=3, out_channels=5, kernel_size=(2, 3), stride=(1, 2),
                             bias=False), [1, 3, 5, 4]),
    ("ct_asymmetric", "kernel (3, 5), stride (3, 2), padding (2, 1), output_padding (1, 0), "
     "dilation (1, 2)",
     "ConvTranspose2d", dict(in_channels=2, out_channels=4, kernel_size=(3, 5), stride=(3, 2),
                             padding=(2, 1), output_padding=(1, 0), dilation=(1, 2)),
     [1, 2, 5, 6]),
    ("ct_unbatched", "unbatched [C, H, W] input, stride 2",
     "ConvTranspose2d", dict(in_channels=3, out_channels=2, kernel_size=3, stride=2),
     [3, 4, 5]),
    ("ct_padding_crops_past_kernel",
     "stride 3, padding 3: the crop removes whole patches at the borders",
     "ConvTranspose2d", dict(in_channels=2, out_channels=2, kernel_size=3, stride=3, padding=3),
     [1, 2, 5, 5]),
]


def make_input(shape, transform):
    x = torch.randn(*shape, dtype=torch.float32)
    if transform == "wide":
        x = x * 4.0
    elif transform == "extreme":
        x = x * 4.0
        flat = x.view(-1)
        for i, v in enumerate([30.0, -30.0, 100.0, -100.0, 88.0, -88.0, 1e-6, -1e-6]):
            flat[i] = v
    elif transform == "nan":
        flat = x.view(-1)
        flat[0] = math.nan   # window (0, 0)
        flat[6] = -math.inf  # window (0, 1)
        flat[7] = -math.inf
        flat[10] = math.nan  # window (1, 1), not first in the window
    return x


def main():
    torch.manual_seed(SEED)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    names = []
    for case in CASES:
        name, description, kind, kwargs, input_shape = case[:5]
        transform = case[5] if len(case) > 5 else None
        module = getattr(nn, kind)(**kwargs)
        tensors = {}
        if kind == "BatchNorm2d":
            c = kwargs["num_features"]
            mean = torch.randn(c)
            var = torch.rand(c) * 2.0 + 0.25
            if transform == "tinyvar":
                var = torch.rand(c) * 1e-3
            with torch.no_grad():
                module.running_mean.copy_(mean)
                module.running_var.copy_(var)
                if module.affine:
                    module.weight.copy_(torch.randn(c))
                    module.bias.copy_(torch.randn(c))
            tensors["running_mean"] = module.running_mean
            tensors["running_var"] = module.running_var
            if module.affine:
                tensors["weight"] = module.weight
                tensors["bias"] = module.bias
        if kind == "ConvTranspose2d":
            tensors["weight"] = module.weight
            if module.bias is not None:
                tensors["bias"] = module.bias
        module.eval()
        x = make_input(input_shape, None if kind == "BatchNorm2d" else transform)
        with torch.no_grad():
            y = module(x)
        folder = os.path.join(OUT, name)
        os.makedirs(folder)
        np.save(os.path.join(folder, "input.npy"), x.numpy())
        np.save(os.path.join(folder, "output.npy"), y.numpy())
        for key, t in tensors.items():
            np.save(os.path.join(folder, key + ".npy"), t.detach().numpy())

        lines = ["kind=" + kind, "description=" + description]
        if kind in ("MaxPool2d", "AvgPool2d"):
            lines.append("kernel=" + csv(pair(kwargs["kernel_size"])))
            stride = kwargs.get("stride")
            lines.append("stride=" + ("none" if stride is None else csv(pair(stride))))
            lines.append("padding=" + csv(pair(kwargs.get("padding", 0))))
            lines.append("ceil_mode=%d" % int(kwargs.get("ceil_mode", False)))
        if kind == "MaxPool2d":
            lines.append("dilation=" + csv(pair(kwargs.get("dilation", 1))))
        if kind == "AvgPool2d":
            lines.append("count_include_pad=%d" % int(kwargs.get("count_include_pad", True)))
            d = kwargs.get("divisor_override")
            lines.append("divisor_override=" + ("none" if d is None else str(d)))
        if kind == "AdaptiveAvgPool2d":
            lines.append("output_size=" + csv(pair(kwargs["output_size"])))
        if kind == "BatchNorm2d":
            lines.append("num_features=%d" % module.num_features)
            lines.append("eps=" + repr(module.eps))
            lines.append("momentum=" + repr(module.momentum))
            lines.append("affine=%d" % int(module.affine))
        if kind == "ConvTranspose2d":
            lines.append("in_channels=%d" % module.in_channels)
            lines.append("out_channels=%d" % module.out_channels)
            lines.append("kernel=" + csv(module.kernel_size))
            lines.append("stride=" + csv(module.stride))
            lines.append("padding=" + csv(module.padding))
            lines.append("output_padding=" + csv(module.output_padding))
            lines.append("dilation=" + csv(module.dilation))
            lines.append("groups=%d" % module.groups)
            lines.append("bias=%d" % int(module.bias is not None))
        if kind == "LeakyReLU":
            lines.append("negative_slope=" + repr(module.negative_slope))
        if kind.endswith("Pad2d"):
            lines.append("pad=" + csv(quad(module.padding)))  # left, right, top, bottom
        if kind == "ConstantPad2d":
            lines.append("value=" + repr(float(module.value)))
        lines += [
            "input_shape=" + csv(input_shape),
            "output_shape=" + csv(y.shape),
            "torch_repr=" + str(module),
            "torch_version=" + torch.__version__,
        ]
        with open(os.path.join(folder, "params.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        names.append(name)
    with open(os.path.join(OUT, "index.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print("wrote %d fixtures to %s" % (len(names), OUT))


if __name__ == "__main__":
    main()
