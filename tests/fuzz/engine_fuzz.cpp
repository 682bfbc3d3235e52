// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the Conv2d engine. The bytes choose a configuration (tiny tensors, but
// any padding kind and mode, groups, empty batches and planes, strides up to INT_MAX) and
// the values; validate() decides, and whatever it accepts must come out of every kernel path
// this CPU has (the best one on two threads too) as the reference kernel computes it. A
// mismatch prints every parameter and aborts.
#include "conv2d.h"
#include "isa.h"
#include "reference_conv.h"
#include "validate.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace convscope::core;

namespace {

class Bytes {
public:
    Bytes(const std::uint8_t *data, std::size_t size) : m_data(data), m_size(size) {}
    // The next byte; 0 once the input is used up, so every input is a configuration.
    unsigned next() { return m_at < m_size ? m_data[m_at++] : 0u; }
    // A stride: small mostly, and the sizes that once broke the engine (256 GiB buffers,
    // int64 overflow in the geometry) when the high bit is set.
    int stride()
    {
        const unsigned b = next();
        static const int huge[] = {8192, 65536, 1 << 30, INT_MAX};
        return (b & 0x80u) ? huge[b % 4] : 1 + static_cast<int>(b % 4);
    }

private:
    const std::uint8_t *m_data;
    std::size_t m_size;
    std::size_t m_at = 0;
};

std::string describe(const Conv2dParams &p, const Shape &in, Isa isa, int threads)
{
    return torchRepr(p) + " padding_kind " + std::to_string(static_cast<int>(p.paddingKind))
           + " on input " + formatShape(in) + ", kernel path " + isaName(isa) + ", "
           + std::to_string(threads) + " thread(s)";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Bytes b(data, size);
    const unsigned flags = b.next();
    const bool batched = (flags & 1u) != 0;
    Conv2dParams p;
    p.bias = (flags & 2u) != 0;
    p.paddingKind = static_cast<PaddingKind>(((flags >> 2) & 3u) % 3);
    p.paddingMode = static_cast<PaddingMode>((flags >> 4) & 3u);
    const std::int64_t n = b.next() % 3;
    p.groups = 1 + static_cast<int>(b.next() % 3);
    p.inChannels = p.groups * (1 + static_cast<int>(b.next() % 2));
    p.outChannels = p.groups * (1 + static_cast<int>(b.next() % 2));
    const std::int64_t h = b.next() % 9, w = b.next() % 9;
    p.kernel = {1 + static_cast<int>(b.next() % 4), 1 + static_cast<int>(b.next() % 4)};
    p.stride.h = b.stride();
    p.stride.w = b.stride();
    p.padding = {static_cast<int>(b.next() % 5), static_cast<int>(b.next() % 5)};
    p.dilation = {1 + static_cast<int>(b.next() % 3), 1 + static_cast<int>(b.next() % 3)};

    const Shape inShape = batched ? Shape{n, p.inChannels, h, w} : Shape{p.inChannels, h, w};
    const Shape wShape{p.outChannels, p.inChannels / p.groups, p.kernel.h, p.kernel.w};
    const Shape bShape{p.outChannels};
    if (const auto error = validate(p, inShape, wShape, p.bias ? &bShape : nullptr)) {
        if (error->message.empty())
            std::abort(); // a refusal always says why
        return 0;
    }
    // Values from the remaining bytes: small integers and halves, so sums are exact enough
    // to compare every element.
    auto fill = [&b](Tensor &t) {
        for (float &v : t.data)
            v = static_cast<float>(static_cast<int>(b.next()) - 128) / 32.0f;
    };
    Tensor input(inShape), weight(wShape), bias(bShape);
    fill(input);
    fill(weight);
    fill(bias);
    const Tensor *biasPtr = p.bias ? &bias : nullptr;
    const Tensor expected = referenceConv2d(input, weight, biasPtr, p);
    // Every kernel path on one thread, and the best one split over two as well (the band
    // split is the same code for every path).
    const std::vector<Isa> isas = availableIsas();
    for (Isa isa : isas)
        for (int threads : {1, 2}) {
            if (threads == 2 && isa != isas.front())
                continue;
            ForwardOptions options;
            options.isa = isa;
            options.threads = threads;
            Tensor out;
            if (conv2d(input, weight, biasPtr, p, out, options) != ForwardStatus::Done
                || out.shape != expected.shape) {
                std::fprintf(stderr, "engine_fuzz: wrong shape for %s\n",
                             describe(p, inShape, isa, threads).c_str());
                std::abort();
            }
            for (std::size_t i = 0; i < out.data.size(); ++i) {
                const double r = expected.data[i];
                if (!(std::abs(out.data[i] - r) <= 1e-4 * std::max(1.0, std::abs(r)))) {
                    std::fprintf(stderr, "engine_fuzz: element %zu is %g, reference %g, for %s\n",
                                 i, static_cast<double>(out.data[i]), r,
                                 describe(p, inShape, isa, threads).c_str());
                    std::abort();
                }
            }
        }
    return 0;
}
