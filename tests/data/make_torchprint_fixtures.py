#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates the print(model) fixtures of core/torchprint (tests/data/fixtures/torchprint/).

Run with Debian's interpreter (python3-torch):

    /usr/bin/python3 tests/data/make_torchprint_fixtures.py

Each case is NAME.txt, the text print(model) gives for a real torch module, NAME.keys, the
module's state_dict keys in order (one a line), and NAME.shapes: an input shape and the
shape torch's forward pass gives for it ("1,3,64,64 -> 1,512,2,2"), read by
torchprint_test.cpp. The
models are built here, not downloaded: a VGG-16-like feature stack written out as
torchvision's vgg16().features is (same layer list), alexnet().features likewise, a nested Sequential with named
children, one with every layer kind convscope reads, and the stacks of a small
encoder-decoder.
"""
import os
import shutil
from collections import OrderedDict

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "torchprint")


def vgg16_features():
    # torchvision.models.vgg16().features: cfg "D", 3x3 convs with padding 1, in-place ReLUs,
    # 2x2 max pools.
    layers = []
    c = 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers)


def alexnet_features():
    # torchvision.models.alexnet().features.
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )


def vgg11_bn_features():
    layers = []
    c = 3
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.BatchNorm2d(v),
                       nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers)


def nested():
    return nn.Sequential(OrderedDict([
        ("stem", nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, 16, kernel_size=7, stride=2, padding=3, bias=False)),
            ("bn", nn.BatchNorm2d(16)),
            ("relu", nn.ReLU(inplace=True)),
            ("pool", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))),
        ("features", nn.Sequential(
            nn.Conv2d(16, 32, 3, padding=1),
            nn.Sequential(nn.BatchNorm2d(32, affine=False), nn.SiLU()),
            nn.Dropout(0.2),
            nn.Conv2d(32, 32, 3, padding=1, groups=4),
            nn.Identity(),
        )),
        ("head", nn.Sequential(OrderedDict([
            ("up", nn.ConvTranspose2d(32, 8, 4, stride=2, padding=1)),
            ("act", nn.LeakyReLU(0.2, inplace=True)),
            ("pool", nn.AdaptiveAvgPool2d((5, 3))),
        ]))),
    ]))


def every_kind():
    return nn.Sequential(
        nn.ReflectionPad2d((1, 2, 0, 1)),
        nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=1,
                  bias=False, padding_mode="reflect"),
        nn.BatchNorm2d(8, eps=1e-3, momentum=0.3),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding="same", padding_mode="circular"),
        nn.ReLU6(inplace=True),
        nn.Conv2d(8, 8, 3, padding="valid", groups=8),
        nn.GELU(),
        nn.MaxPool2d((2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1), ceil_mode=True),
        nn.AvgPool2d(3, stride=2, padding=1),
        nn.SiLU(),
        nn.ZeroPad2d((1, 0, 2, 3)),
        nn.ConstantPad2d(2, -1.5),
        nn.Sigmoid(),
        nn.ReplicationPad2d(1),
        nn.Tanh(),
        nn.ConvTranspose2d(8, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                           dilation=(1, 2), groups=2, bias=False),
        nn.LeakyReLU(),
        nn.ConvTranspose2d(6, 4, 3),
        nn.AdaptiveAvgPool2d(4),
        nn.Dropout2d(0.1),
    )


def encoder_decoder():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
    )


# name, model, input shape
CASES = [
    ("vgg16_features", vgg16_features, [1, 3, 64, 64]),
    ("vgg11_bn_features", vgg11_bn_features, [1, 3, 48, 40]),
    ("nested", nested, [2, 3, 33, 30]),
    ("every_kind", every_kind, [1, 3, 21, 26]),
    ("encoder_decoder", encoder_decoder, [1, 1, 28, 28]),
    ("bare_conv", lambda: nn.Conv2d(3, 64, kernel_size=3, padding=1), [1, 3, 9, 8]),
    ("empty", lambda: nn.Sequential(), [1, 2, 3, 4]),
    ("alexnet_features", alexnet_features, [1, 3, 224, 224]),
]


def csv(v):
    return ",".join(str(int(i)) for i in v)


def main():
    torch.manual_seed(0)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, make, shape in CASES:
        model = make().eval()
        with torch.no_grad():
            y = model(torch.randn(*shape))
        with open(os.path.join(OUT, name + ".shapes"), "w") as f:
            f.write(csv(shape) + " -> " + csv(y.shape) + "\n")
        with open(os.path.join(OUT, name + ".txt"), "w") as f:
            f.write(str(model) + "\n")
        with open(os.path.join(OUT, name + ".keys"), "w") as f:
            f.write("".join(k + "\n" for k in model.state_dict().keys()))
    with open(os.path.join(OUT, "index.txt"), "w") as f:
        f.write("".join(case[0] + "\n" for case in CASES))
    print("wrote %d fixtures to %s (torch %s)" % (len(CASES), OUT, torch.__version__))


if __name__ == "__main__":
    main()
