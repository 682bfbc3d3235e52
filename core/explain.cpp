// SPDX-License-Identifier: GPL-3.0-or-later
#include "explain.h"

#include "shape.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace convscope::core {

ChannelRange inputChannelsOf(const Conv2dParams &p, std::int64_t o)
{
    const std::int64_t perGroupIn = p.inChannels / p.groups;
    const std::int64_t perGroupOut = p.outChannels / p.groups;
    return {o / perGroupOut * perGroupIn, perGroupIn};
}

Explanation explainOutput(const Tensor &input, const Tensor &weight, const Tensor *bias,
                          const Conv2dParams &params, std::int64_t n, std::int64_t o,
                          std::int64_t y, std::int64_t x)
{
    const bool unbatched = input.rank() == 3;
    const std::int64_t N = unbatched ? 1 : input.dim(0);
    const std::int64_t C = input.dim(unbatched ? 0 : 1);
    const std::int64_t H = input.dim(unbatched ? 1 : 2);
    const std::int64_t W = input.dim(unbatched ? 2 : 3);
    Conv2dParams p = params;
    p.kernel = {static_cast<int>(weight.dim(2)), static_cast<int>(weight.dim(3))};
    const std::int64_t O = weight.dim(0), Cg = weight.dim(1);
    if (n < 0 || n >= N || o < 0 || o >= O)
        throw std::out_of_range("output [" + std::to_string(n) + ", " + std::to_string(o)
                                + "] is outside batch " + std::to_string(N) + " x "
                                + std::to_string(O) + " channels");

    Explanation e;
    e.n = n;
    e.o = o;
    e.y = y;
    e.x = x;
    e.group = o / (O / p.groups);
    e.paddingMode = p.paddingMode;
    // The spatial taps are the same for every channel of the group; layerTaps also checks
    // that (y, x) is an output position.
    const std::vector<Tap> taps = layerTaps(p, {H, W}, y, x);
    if (bias)
        e.bias = bias->data[static_cast<std::size_t>(o)];
    double acc = e.bias ? static_cast<double>(*e.bias) : 0.0;
    for (std::int64_t ci = 0; ci < Cg; ++ci) {
        ExplainChannel ch;
        ch.weightChannel = ci;
        ch.inputChannel = e.group * Cg + ci;
        for (const Tap &t : taps) {
            ExplainTerm term;
            term.tap = t;
            term.weight = weight.at(o, ci, t.ky, t.kx);
            if (!t.readsZero()) {
                term.input = input.data[static_cast<std::size_t>(
                    ((n * C + ch.inputChannel) * H + t.sy) * W + t.sx)];
                term.product = static_cast<double>(term.input) * term.weight;
                ch.subtotal += term.product;
                acc += term.product;
            }
            ch.terms.push_back(term);
        }
        e.channels.push_back(std::move(ch));
    }
    e.total = acc;
    e.value = static_cast<float>(acc);
    return e;
}

std::string formatExplanation(const Explanation &e)
{
    std::ostringstream s;
    s.precision(8);
    s << "out[" << e.n << ", " << e.o << ", " << e.y << ", " << e.x << "]: group " << e.group
      << ", padding mode " << toString(e.paddingMode) << "\n";
    for (const ExplainChannel &ch : e.channels) {
        s << "  input channel " << ch.inputChannel << " (weight[" << e.o << ", " << ch.weightChannel
          << "]):\n";
        for (const ExplainTerm &t : ch.terms) {
            s << "    [" << t.tap.ky << ", " << t.tap.kx << "] at (" << t.tap.py << ", " << t.tap.px
              << ")";
            if (t.tap.inPadding) {
                s << " padding (" << toString(e.paddingMode) << ")";
                if (!t.tap.readsZero())
                    s << " copies (" << t.tap.sy << ", " << t.tap.sx << ")";
            }
            s << ": " << t.input << " * " << t.weight << " = " << t.product << "\n";
        }
        s << "    subtotal " << ch.subtotal << "\n";
    }
    if (e.bias)
        s << "  bias " << *e.bias << "\n";
    s << "  total " << e.value << "\n";
    return s.str();
}

std::optional<int> agreeingDecimals(const Explanation &e, int minDecimals, int maxDecimals)
{
    for (int d = std::max(0, minDecimals); d <= maxDecimals; ++d) {
        const double scale = std::pow(10.0, d);
        // v in units of 10^-d, as printed; false when it would not fit the integer, or when a
        // non-zero number would print as 0 (it would hide a term).
        auto printed = [scale](double v, long long &out) {
            if (!(std::fabs(v) * scale < 1e15))
                return false;
            out = std::llround(v * scale);
            return v == 0 || out != 0;
        };
        bool ok = !e.bias || [&] {
            long long b = 0;
            return printed(*e.bias, b);
        }();
        for (const ExplainChannel &ch : e.channels)
            for (const ExplainTerm &t : ch.terms) {
                long long in = 0, w = 0;
                ok = ok && printed(t.input, in) && printed(t.weight, w)
                     && std::fabs(t.product) * scale < 1e15
                     // What a student gets from the printed factors, rounded to d decimals.
                     && std::llround(double(in) * double(w) / scale)
                            == std::llround(t.product * scale);
            }
        if (ok)
            return d;
    }
    return std::nullopt;
}

} // namespace convscope::core
