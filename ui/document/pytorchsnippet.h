// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// "Copy as PyTorch": a runnable Python script that builds the same nn.Conv2d (or an
// nn.Sequential stack with ReLUs), loads the weights, bias and input from .npy files that
// convscope exported (numpy only, no PIL), prints the output shape and, when convscope's
// output.npy is there, compares.
#include "network.h"
#include "normalization.h"

#include <QSize>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace convscope::ui {

struct SnippetFiles {
    // Where the .npy files are when the script does not run from a file (pasted into a
    // REPL or notebook). When run as a file, the script looks next to itself first.
    QString folder;
    QString inputNpy;        // file name of the input tensor [1, C, H, W]
    QStringList weightNpy;   // one per Conv2d
    QStringList biasNpy;     // one per Conv2d; empty string when it has no bias
    QString outputNpy;       // convscope's output to compare with; empty = no comparison
    double tolerance = 1e-4; // max |torch - convscope| that counts as a match
    int pixelMax = 255;      // the input is pixel / pixelMax (65535 for 16-bit images)
    // The image file the input was read from, for the script to rebuild the input from it
    // with PIL (EXIF orientation, downscale, scaling, luma) and compare; empty: none.
    QString imageFile;
    int exifOrientation = 1; // the EXIF Orientation convscope applied (1 = none)
    QSize downscaledTo;      // the preview's size when the input is a downscaled copy
    bool grayscale = false;  // the input is the image's luma
    // transforms.Normalize applied to the input before the first layer; none: fed as is.
    std::optional<core::InputNormalization> normalization;
};

// The constructor call as Python source, every argument spelt out, e.g.
// nn.Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1),
//           groups=1, bias=True, padding_mode="zeros")
QString torchConstructor(const core::Conv2dParams &p);

QString pytorchSnippet(const core::Network &network, const SnippetFiles &files);

} // namespace convscope::ui
