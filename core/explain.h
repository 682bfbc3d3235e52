// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// "Why this number?": the arithmetic behind one output value out[n, o, y, x] of one Conv2d
// layer, term by term, in the form a panel can list and a test can add up.
#include "conv2dparams.h"
#include "receptivefield.h"
#include "tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope::core {

// One kernel tap: where it lands, what it reads, what it is multiplied by.
struct ExplainTerm {
    Tap tap;            // padded coordinate, whether it is padding, the source pixel it copies
    float input = 0;    // value read: the source pixel, or 0 when the tap reads zero padding
    float weight = 0;   // weight[o, ci, ky, kx]
    double product = 0; // input * weight; exact, a float times a float fits a double
};

// One input channel of the output's group.
struct ExplainChannel {
    std::int64_t inputChannel = 0;  // c in input[n, c, ...]
    std::int64_t weightChannel = 0; // ci in weight[o, ci, ...]: c = group * C_in/groups + ci
    std::vector<ExplainTerm> terms; // kH * kW terms in weight order (ky major)
    double subtotal = 0;            // sum of the products, in double
};

struct Explanation {
    std::int64_t n = 0, o = 0, y = 0, x = 0;
    std::int64_t group = 0; // o / (C_out / groups): which input channels feed o
    PaddingMode paddingMode = PaddingMode::Zeros;
    std::vector<ExplainChannel> channels;
    std::optional<float> bias; // nullopt when the layer has no bias
    // bias + every product, accumulated in double in the reference convolution's order
    // (bias first, then channel by channel, tap by tap, zero-padding taps skipped), so
    // `value` is bit-identical to referenceConv2d. Adding up the rounded-for-display
    // subtotals instead may differ from it in the last bits of the double.
    double total = 0;
    float value = 0; // static_cast<float>(total): the map's value
};

// The fewest decimals, from minDecimals up to maxDecimals, at which the products of `e` can
// be checked by hand as printed: every non-zero input, weight and bias prints non-zero, and
// every printed product is the printed input times the printed weight, rounded to the same
// decimals. 1/27 needs 3 (6 x 0.037 = 0.222, where 2 would print 6 x 0.04 = 0.22); whole
// numbers agree at any count (they print without decimals). Sums of printed products may
// still differ from a printed sum in the last digit (each product was rounded). nullopt when
// no count up to maxDecimals does.
std::optional<int> agreeingDecimals(const Explanation &e, int minDecimals = 2, int maxDecimals = 6);

// The input channels that feed output channel o: [first, first + count), o's group. With
// groups = g, o belongs to group o / (C_out / g), which reads C_in / g channels; this is
// the row of the C_out x C_in connectivity matrix (block diagonal; depthwise when
// g = C_in). Uses p.inChannels, p.outChannels and p.groups; the caller has validated them.
struct ChannelRange {
    std::int64_t first = 0;
    std::int64_t count = 0;
    bool operator==(const ChannelRange &) const = default;
};
ChannelRange inputChannelsOf(const Conv2dParams &p, std::int64_t o);

// Explains out[n, o, y, x] of F.conv2d(input, weight, bias) with the geometry of `p` (kernel
// taken from the weight's shape). input is [N, C_in, H, W] or unbatched [C_in, H, W] (then
// n must be 0). The caller has run validate(); throws std::out_of_range for a position
// that is not in the output.
Explanation explainOutput(const Tensor &input, const Tensor &weight, const Tensor *bias,
                          const Conv2dParams &p, std::int64_t n, std::int64_t o, std::int64_t y,
                          std::int64_t x);

// A plain-text rendering, one line per term, for the CLI, logs and tooltips.
std::string formatExplanation(const Explanation &e);

} // namespace convscope::core
