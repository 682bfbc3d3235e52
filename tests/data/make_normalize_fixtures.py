#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates the input-normalisation fixtures (tests/data/fixtures/normalize/).

Run with Debian's interpreter (python3-torch, python3-numpy; torchvision when installed):

    /usr/bin/python3 tests/data/make_normalize_fixtures.py

Writes input3.npy (a [2, 3, 5, 7] float32 input), imagenet.npy (it through
transforms.Normalize with ImageNet's mean and std), input2.npy ([2, 6, 4]) and custom.npy
(it through mean (0.5, -1.25), std (0.3, 2.0)), and custom_grad.npy: d sum(w * y) / d x for
the custom case with w = 1 + index (torch.autograd). Without torchvision the transform is
computed the way torchvision 0.14 does it (mean and std as float32 tensors, sub_ then div_),
so the files are the same. Deterministic (fixed seed); regenerate and commit when changing.
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "normalize")


def normalize(x, mean, std):
    try:
        from torchvision.transforms import functional as F
        return F.normalize(x, mean, std)
    except ImportError:
        m = torch.as_tensor(mean, dtype=x.dtype).view(-1, 1, 1)
        s = torch.as_tensor(std, dtype=x.dtype).view(-1, 1, 1)
        return x.clone().sub_(m).div_(s)


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20261207)
    x3 = torch.rand(2, 3, 5, 7, generator=g)
    np.save(os.path.join(OUT, "input3.npy"), x3.numpy())
    y3 = normalize(x3, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    np.save(os.path.join(OUT, "imagenet.npy"), y3.numpy())
    x2 = torch.randn(2, 6, 4, generator=g) * 3
    np.save(os.path.join(OUT, "input2.npy"), x2.numpy())
    x2.requires_grad_(True)
    y2 = normalize(x2, [0.5, -1.25], [0.3, 2.0])
    np.save(os.path.join(OUT, "custom.npy"), y2.detach().numpy())
    w = torch.arange(1, y2.numel() + 1, dtype=torch.float32).view_as(y2)
    (y2 * w).sum().backward()
    np.save(os.path.join(OUT, "custom_grad.npy"), x2.grad.numpy())
    print("wrote", OUT)


if __name__ == "__main__":
    main()
