#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates the gradient fixtures (tests/data/fixtures/gradients/): torch.autograd's
gradient of one output, or of a sum of outputs, of a layer of an nn.Sequential with respect to
its input, for stacks that hold every layer kind convscope runs.

Run with Debian's interpreter (python3-torch, python3-numpy):

    /usr/bin/python3 tests/data/make_gradient_fixtures.py

Each case folder holds net.txt (print(model)), net.npz (numpy.savez of the state_dict, when the network has one),
input.npy, target.txt (key=value: layer counted from 1, channel (-1: every channel), rows
y0..y1 and columns x0..x1, half-open) and grad.npy (float32, the input's shape), read by
backward_test.cpp. The network runs in eval mode in float32, as convscope does.

The output is deterministic (fixed seed); regenerate and commit when adding a case.
"""
import os
import shutil

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "gradients")
SEED = 20261204


def randomize_bn(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            if m.affine:
                m.weight.data.copy_(torch.randn(n, generator=g))
                m.bias.data.copy_(torch.randn(n, generator=g) * 0.2)


def cases():
    # AvgPool2d's repr omits ceil_mode, count_include_pad and divisor_override, so print(model)
    # cannot carry them: backward_test.cpp checks those against forward() on linear stacks.
    # name, model, input shape, target (layer from 1, channel, y0, x0, y1, x1), ties
    return [
        ("conv_relu_conv",
         nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 3, stride=2)),
         [1, 3, 12, 11], (3, 1, 2, 3, 3, 4), False),
        ("stem_bn_leaky_maxpool_grouped",
         nn.Sequential(nn.Conv2d(3, 6, 3, padding=1, padding_mode="reflect"),
                       nn.BatchNorm2d(6), nn.LeakyReLU(0.1),
                       nn.MaxPool2d(3, stride=2, padding=1),
                       nn.Conv2d(6, 4, 3, dilation=2, groups=2, padding=2,
                                 padding_mode="replicate"),
                       nn.GELU(),
                       nn.AvgPool2d(2, padding=1)),
         [1, 3, 17, 15], (7, 2, 1, 2, 2, 3), False),
        ("pads_transposed_activations",
         nn.Sequential(nn.ZeroPad2d((1, 0, 2, 1)), nn.Conv2d(2, 4, 3),
                       nn.ReflectionPad2d(1), nn.ReplicationPad2d((0, 1, 1, 0)),
                       nn.ConstantPad2d(1, 0.5),
                       nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1),
                       nn.SiLU(), nn.Sigmoid(), nn.Tanh(), nn.ReLU6(),
                       nn.AdaptiveAvgPool2d((3, 4))),
         [1, 2, 7, 6], (11, 0, 1, 1, 2, 2), False),
        ("transposed_grouped_dilated",
         nn.Sequential(nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0),
                                          dilation=(1, 2), groups=2, bias=False),
                       nn.ReLU()),
         [1, 4, 5, 4], (2, 3, 2, 2, 6, 8), False),
        ("maxpool_ties_region",
         nn.Sequential(nn.MaxPool2d(2, stride=1), nn.MaxPool2d(3, stride=2, padding=1,
                                                               dilation=2, ceil_mode=True)),
         [1, 2, 12, 12], (2, -1, 0, 0, 3, 4), True),
        ("circular_avg_divisor_region",
         nn.Sequential(nn.Conv2d(2, 3, 3, padding=2, padding_mode="circular"),
                       nn.Tanh(),
                       nn.AvgPool2d(3, stride=2, padding=1),
                       nn.Conv2d(3, 2, 1)),
         [1, 2, 9, 10], (4, 0, 0, 1, 3, 4), False),
        ("vgg_like_centre",
         nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                       nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding="same"), nn.ReLU(),
                       nn.Conv2d(8, 4, 3, padding=1), nn.SiLU()),
         [1, 3, 32, 32], (8, 3, 8, 8, 9, 9), False),
    ]


def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, model, shape, target, ties in cases():
        randomize_bn(model, g)
        model.eval()
        if ties:
            # Few distinct values, so windows hold equal maxima.
            x = torch.randint(0, 3, shape, generator=g).float()
        else:
            x = torch.randn(shape, generator=g)
        x.requires_grad_(True)
        layer, channel, y0, x0, y1, x1 = target
        out = model[:layer](x)
        sel = out[0] if channel < 0 else out[0, channel:channel + 1]
        sel[:, y0:y1, x0:x1].sum().backward()
        folder = os.path.join(OUT, name)
        os.makedirs(folder)
        with open(os.path.join(folder, "net.txt"), "w") as f:
            f.write(str(model) + "\n")
        arrays = {k: v.detach().numpy() for k, v in model.state_dict().items()}
        if arrays:
            np.savez(os.path.join(folder, "net.npz"), **arrays)
        np.save(os.path.join(folder, "input.npy"), x.detach().numpy().astype(np.float32))
        np.save(os.path.join(folder, "grad.npy"), x.grad.numpy().astype(np.float32))
        with open(os.path.join(folder, "target.txt"), "w") as f:
            f.write(f"layer={layer}\nchannel={channel}\ny0={y0}\nx0={x0}\ny1={y1}\nx1={x1}\n")
        print(name, "nonzero", int((x.grad != 0).sum()), "max", float(x.grad.abs().max()))


if __name__ == "__main__":
    main()
