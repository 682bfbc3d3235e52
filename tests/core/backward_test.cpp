// SPDX-License-Identifier: GPL-3.0-or-later
// Backward through a network (backward.h) and conv as a matrix (convmatrix.h): the gradient
// equals torch.autograd's on stacks holding every layer kind (tests/data/fixtures/gradients,
// from tests/data/make_gradient_fixtures.py), path counts equal a brute-force count (one-hot
// inputs through forward() with every weight 1), coverage and boxes agree with the other
// counts, and the sparse matrix reproduces forward and the transposed convolution.
#include "backward.h"
#include "convmatrix.h"
#include "npy.h"
#include "random_tensor.h"
#include "receptivefield.h"
#include "reference_conv.h"
#include "statedict.h"
#include "test_util.h"
#include "torchprint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

using namespace convscope::core;
using convscope::test::hasSubstr;
using convscope::test::randomTensor;

namespace {

const std::filesystem::path kDir =
    std::filesystem::path(CONVSCOPE_TEST_DATA) / "fixtures" / "gradients";

std::string readBytes(const std::filesystem::path &p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::map<std::string, long long> readKeys(const std::filesystem::path &p)
{
    std::map<std::string, long long> m;
    std::istringstream in(readBytes(p));
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos)
            m[line.substr(0, eq)] = std::stoll(line.substr(eq + 1));
    }
    return m;
}

Network parseNet(const std::string &text)
{
    TorchPrintResult r = parseTorchPrint(text);
    if (!r.model)
        throw std::runtime_error(r.error ? r.error->text() : "no model");
    return r.model->network;
}

TEST(BackwardFixtures, inputGradient_equalsTorchAutogradOnEveryCase)
{
    int cases = 0;
    for (const auto &entry : std::filesystem::directory_iterator(kDir)) {
        const std::filesystem::path &d = entry.path();
        SCOPED_TRACE(d.filename().string());
        const TorchPrintResult parsed = parseTorchPrint(readBytes(d / "net.txt"));
        ASSERT_TRUE(parsed.model) << parsed.error->text();
        // A network without parameters has no weights file.
        const Network net =
            std::filesystem::exists(d / "net.npz")
                ? loadStateDict(*parsed.model, readStateDict((d / "net.npz").string()))
                : parsed.model->network;
        const Tensor input = readNpy((d / "input.npy").string());
        const Tensor want = readNpy((d / "grad.npy").string());
        auto k = readKeys(d / "target.txt");
        GradientTarget t;
        t.layer = static_cast<std::size_t>(k["layer"]);
        t.channel = static_cast<int>(k["channel"]);
        t.y0 = k["y0"];
        t.x0 = k["x0"];
        t.y1 = k["y1"];
        t.x1 = k["x1"];
        Tensor got;
        ASSERT_EQ(inputGradient(net, input, t, got), ForwardStatus::Done);
        ASSERT_EQ(got.shape, want.shape);
        float scale = 0.0f;
        for (float v : want.data)
            scale = std::max(scale, std::abs(v));
        ASSERT_GT(scale, 0.0f);
        for (std::size_t i = 0; i < want.data.size(); ++i) {
            ASSERT_NEAR(got.data[i], want.data[i], 1e-4f * scale)
                << "element " << i << " of " << formatShape(want.shape) << ", target layer "
                << t.layer << " channel " << t.channel << " rows [" << t.y0 << ", " << t.y1
                << ") columns [" << t.x0 << ", " << t.x1 << ")";
            // Where torch's gradient is exactly 0 (a pixel no path reaches, a max-pool
            // loser), so is ours: ties must route as PyTorch routes them.
            if (want.data[i] == 0.0f) {
                ASSERT_EQ(got.data[i], 0.0f) << "element " << i;
            }
        }
        ++cases;
    }
    EXPECT_GE(cases, 7);
}

TEST(Backward, inputGradient_cancelsWhenProgressSaysSo)
{
    const Network net = withDefaultTensors(parseNet("Sequential(\n  (0): Conv2d(1, 2, "
                                                    "kernel_size=(3, 3), stride=(1, 1))\n  "
                                                    "(1): ReLU()\n)"),
                                           1);
    Tensor g;
    EXPECT_EQ(inputGradient(net, Tensor(Shape{1, 1, 8, 8}, 1.0f), GradientTarget::at(2, 0, 1, 1), g,
                            [](double) { return false; }),
              ForwardStatus::Cancelled);
}

TEST(Backward, validateTarget_namesTheValueAndTheExpectation)
{
    const Network net = parseNet("Sequential(\n  (0): Conv2d(3, 4, kernel_size=(3, 3), "
                                 "stride=(1, 1))\n  (1): ReLU()\n)");
    const Shape in{1, 3, 10, 10};
    EXPECT_FALSE(validateTarget(net, in, GradientTarget::at(2, 3, 7, 7)));
    EXPECT_TRUE(hasSubstr(*validateTarget(net, in, GradientTarget::at(3, 0, 0, 0)),
                          "layer 3 is outside the network: expected 1 to 2"));
    EXPECT_TRUE(hasSubstr(*validateTarget(net, in, GradientTarget::at(1, 4, 0, 0)),
                          "channel 4 is outside of layer 1's output [1, 4, 8, 8]: expected -1 "
                          "(every channel) or 0 to 3"));
    EXPECT_TRUE(hasSubstr(*validateTarget(net, in, GradientTarget::at(1, 0, 8, 0)),
                          "rows [8, 9) are outside of layer 1's output [1, 4, 8, 8]"));
    EXPECT_TRUE(
        hasSubstr(*validateTarget(net, in, GradientTarget::at(1, 0, 0, -1)), "columns [-1, 0)"));
    EXPECT_TRUE(hasSubstr(*validateTarget(net, Shape{1, 2, 10, 10}, GradientTarget::at(1, 0, 0, 0)),
                          "layer 1 (Conv2d)"));
    EXPECT_THROW(inputGradient(withDefaultTensors(net, 0), Tensor(in),
                               GradientTarget::at(1, 9, 0, 0), *std::make_unique<Tensor>()),
                 std::invalid_argument);
}

// ---- path counts against a brute force ------------------------------------------------------

// The network with every weight 1 and no bias, and what a brute force needs: a max-pool
// becomes a sum over its window (an AvgPool2d with divisor 1 when it has no dilation), every
// activation a ReLU (the identity on the non-negative values a one-hot input gives).
Network onesNetwork(const Network &net)
{
    Network out;
    for (const Layer &l : net.layers) {
        if (const auto *c = std::get_if<Conv2dLayer>(&l)) {
            Conv2dParams p = c->params;
            p.bias = false;
            out.layers.push_back(makeConv2d(p, Tensor(weightShape(p), 1.0f)));
        } else if (const auto *t = std::get_if<ConvTranspose2dLayer>(&l)) {
            ConvTranspose2dParams p = t->params;
            p.bias = false;
            out.layers.emplace_back(makeConvTranspose2d(p, Tensor(weightShape(p), 1.0f)));
        } else if (const auto *a = std::get_if<AvgPool2dLayer>(&l)) {
            AvgPool2dLayer s = *a;
            s.divisorOverride = 1;
            out.layers.emplace_back(s);
        } else {
            out.layers.push_back(l);
        }
    }
    return out;
}

std::int64_t bruteCount(const Network &ones, const Shape &inputShape, std::size_t element,
                        const GradientTarget &t)
{
    Tensor x(inputShape, 0.0f);
    x.data[element] = 1.0f;
    Network cut;
    cut.layers.assign(ones.layers.begin(),
                      ones.layers.begin() + static_cast<std::ptrdiff_t>(t.layer));
    std::vector<Tensor> outs;
    forward(cut, x, outs);
    const Tensor &y = outs.back();
    double sum = 0.0;
    for (std::int64_t c = 0; c < y.dim(1); ++c) {
        if (t.channel >= 0 && c != t.channel)
            continue;
        for (std::int64_t yy = t.y0; yy < t.y1; ++yy)
            for (std::int64_t xx = t.x0; xx < t.x1; ++xx)
                sum += y.at(0, c, yy, xx);
    }
    return static_cast<std::int64_t>(std::llround(sum));
}

Layer randomLayer(std::mt19937 &rng, int &channels)
{
    std::uniform_int_distribution<int> kind(0, 6), small(1, 3), pad(0, 2), mode(0, 3);
    switch (kind(rng)) {
    case 0:
    case 1: {
        Conv2dParams p;
        p.inChannels = channels;
        p.groups = channels % 2 == 0 && small(rng) == 1 ? 2 : 1;
        p.outChannels = p.groups * small(rng);
        p.kernel = {small(rng), small(rng)};
        p.stride = {small(rng), small(rng)};
        p.dilation = {small(rng), 1};
        p.padding = {pad(rng), pad(rng)};
        p.paddingMode = static_cast<PaddingMode>(mode(rng));
        p.bias = false;
        channels = p.outChannels;
        return Conv2dLayer{p, nullptr, nullptr};
    }
    case 2: {
        ConvTranspose2dParams p;
        p.inChannels = channels;
        p.outChannels = small(rng);
        p.kernel = {small(rng), small(rng)};
        p.stride = {small(rng), small(rng)};
        p.padding = {pad(rng) / 2, 0};
        p.bias = false;
        channels = p.outChannels;
        return ConvTranspose2dLayer{p, nullptr, nullptr};
    }
    case 3: {
        AvgPool2dLayer a;
        a.kernel = {small(rng) + 1, small(rng)};
        a.padding = {a.kernel.h / 2, a.kernel.w / 2};
        a.ceilMode = small(rng) == 1;
        a.countIncludePad = small(rng) != 1;
        if (small(rng) == 1)
            a.divisorOverride = small(rng) + 1;
        return a;
    }
    case 4: return ReflectionPad2dLayer{SidePadding{1, 0, 2, 1}};
    case 5: return ReplicationPad2dLayer{SidePadding{0, 2, 1, 1}};
    default: return ReluLayer{};
    }
}

TEST(PathCounts, equalABruteForceCountOnRandomStacks)
{
    std::mt19937 rng(7);
    int checked = 0;
    for (int trial = 0; trial < 400 && checked < 60; ++trial) {
        int channels = 1 + static_cast<int>(rng() % 3);
        const Shape in{1, channels, 5 + static_cast<int>(rng() % 4),
                       5 + static_cast<int>(rng() % 4)};
        Network net;
        const int depth = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < depth; ++i)
            net.layers.push_back(randomLayer(rng, channels));
        if (validate(net, in))
            continue;
        const Shape out = layerShapes(net, in).back();
        GradientTarget t = GradientTarget::at(net.size(), static_cast<int>(rng() % out[1]),
                                              static_cast<std::int64_t>(rng() % out[2]),
                                              static_cast<std::int64_t>(rng() % out[3]));
        if (rng() % 3 == 0) {
            t.channel = -1;
            t.y0 = 0;
            t.y1 = out[2];
        }
        std::ostringstream what;
        for (const Layer &l : net.layers)
            what << torchRepr(l) << "; ";
        what << "input " << formatShape(in) << ", target channel " << t.channel << " rows [" << t.y0
             << ", " << t.y1 << ") columns [" << t.x0 << ", " << t.x1 << ")";
        SCOPED_TRACE(what.str());
        const Counts counts = pathCounts(net, in, t);
        ASSERT_EQ(counts.shape, in);
        const Network ones = onesNetwork(withDefaultTensors(net, 0));
        for (std::size_t e = 0; e < counts.data.size(); ++e)
            ASSERT_EQ(counts.at(e), bruteCount(ones, in, e, t)) << "input element " << e;
        ++checked;
    }
    EXPECT_GE(checked, 60);
}

TEST(Backward, inputGradient_ofAffineStacksEqualsTheirResponseToOneHotInputs)
{
    // Without an activation the network is affine: d out / d x_j = f(e_j) - f(0), through
    // forward() itself. This covers what print(model) cannot carry to the torch fixtures
    // (AvgPool2d's ceil_mode, count_include_pad and divisor_override).
    std::mt19937 rng(17);
    int checked = 0;
    for (int trial = 0; trial < 400 && checked < 40; ++trial) {
        int channels = 1 + static_cast<int>(rng() % 3);
        const Shape in{1, channels, 5 + static_cast<int>(rng() % 4),
                       5 + static_cast<int>(rng() % 4)};
        Network geometry;
        const int depth = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < depth; ++i) {
            Layer l = randomLayer(rng, channels);
            if (!std::holds_alternative<ReluLayer>(l))
                geometry.layers.push_back(std::move(l));
        }
        if (geometry.empty() || validate(geometry, in))
            continue;
        const Network net = withDefaultTensors(geometry, static_cast<std::uint64_t>(trial));
        const Shape out = layerShapes(net, in).back();
        const GradientTarget t = GradientTarget::at(net.size(), static_cast<int>(rng() % out[1]),
                                                    static_cast<std::int64_t>(rng() % out[2]),
                                                    static_cast<std::int64_t>(rng() % out[3]));
        std::ostringstream what;
        for (const Layer &l : net.layers)
            what << torchRepr(l) << "; ";
        what << "input " << formatShape(in) << ", target " << t.channel << "," << t.y0 << ","
             << t.x0;
        SCOPED_TRACE(what.str());
        Tensor g;
        ASSERT_EQ(inputGradient(net, Tensor(in, 0.5f), t, g), ForwardStatus::Done);
        const auto valueAt = [&](const Tensor &x) {
            std::vector<Tensor> outs;
            forward(net, x, outs);
            return static_cast<double>(outs.back().at(0, t.channel, t.y0, t.x0));
        };
        const double base = valueAt(Tensor(in, 0.0f));
        for (std::size_t e = 0; e < g.data.size(); ++e) {
            Tensor x(in, 0.0f);
            x.data[e] = 1.0f;
            ASSERT_NEAR(g.data[e], valueAt(x) - base, 1e-5) << "input element " << e;
        }
        ++checked;
    }
    EXPECT_GE(checked, 40);
}

TEST(PathCounts, countEveryElementOfAMaxPoolWindow)
{
    // A max pool's paths are its whole window: the same counts as a sum pool.
    Network maxNet, sumNet;
    MaxPool2dLayer m;
    m.kernel = {3, 2};
    m.stride = Hw{2, 1};
    m.padding = {1, 1};
    maxNet.layers.emplace_back(m);
    AvgPool2dLayer a;
    a.kernel = {3, 2};
    a.stride = Hw{2, 1};
    a.padding = {1, 1};
    sumNet.layers.emplace_back(a);
    const Shape in{1, 2, 7, 6};
    GradientTarget t = GradientTarget::at(1, -1, 0, 0);
    t.y1 = 4;
    t.x1 = 7;
    EXPECT_EQ(pathCounts(maxNet, in, t), pathCounts(sumNet, in, t));
}

TEST(PathCounts, refuseCountsPast2To63NamingTheLayer)
{
    std::string text = "Sequential(\n";
    for (int i = 0; i < 10; ++i)
        text += "  (" + std::to_string(i)
                + "): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n";
    text += ")";
    const Network net = parseNet(text);
    try {
        pathCounts(net, Shape{1, 64, 12, 12}, GradientTarget::at(10, 0, 6, 6));
        FAIL() << "no overflow reported";
    } catch (const std::overflow_error &e) {
        EXPECT_TRUE(hasSubstr(e.what(), "(Conv2d): the path counts pass 2^63"));
    }
}

TEST(PathCounts, showDilationGriddingAsZerosInsideTheBox)
{
    // Two 3 x 3 convs with dilation 2: every other row and column of the box is never read.
    const Network net = parseNet(
        "Sequential(\n  (0): Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2))\n"
        "  (1): Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2))\n)");
    const Shape in{1, 1, 12, 12};
    const GradientTarget t = GradientTarget::at(2, 0, 2, 2);
    const Box box = theoreticalBox(net, in, t);
    EXPECT_EQ(box, (Box{2, 2, 11, 11}));
    const Counts c = pathCounts(net, in, t);
    for (std::int64_t y = box.y0; y < box.y1; ++y)
        for (std::int64_t x = box.x0; x < box.x1; ++x) {
            const bool even = (y - box.y0) % 2 == 0 && (x - box.x0) % 2 == 0;
            EXPECT_EQ(c.at(static_cast<std::size_t>(y * 12 + x)) > 0, even) << y << "," << x;
        }
    // The centre is reached by 3 paths per axis: 9.
    EXPECT_EQ(c.at(6 * 12 + 6), 9);
}

// ---- boxes, coverage, mass ---------------------------------------------------------------

TEST(TheoreticalBox, equalsTheReceptiveFieldTableOnConvStacks)
{
    std::mt19937 rng(11);
    int checked = 0;
    for (int trial = 0; trial < 300 && checked < 50; ++trial) {
        LayerStack stack;
        int channels = 1;
        for (int i = 0; i < 3; ++i) {
            Conv2dParams p;
            p.inChannels = channels;
            p.outChannels = channels = 1 + static_cast<int>(rng() % 2);
            p.kernel = {1 + static_cast<int>(rng() % 4), 1 + static_cast<int>(rng() % 4)};
            p.stride = {1 + static_cast<int>(rng() % 3), 1 + static_cast<int>(rng() % 3)};
            p.dilation = {1 + static_cast<int>(rng() % 2), 1};
            p.padding = {static_cast<int>(rng() % 3), static_cast<int>(rng() % 3)};
            stack.push_back(p);
        }
        const PlaneSize size{20, 17};
        if (validateStack(stack, size))
            continue;
        const Network net = geometryNetwork(stack);
        const std::vector<LayerField> fields = receptiveFields(stack, size);
        const Shape in{1, 1, size.h, size.w};
        const Shape out = layerShapes(net, in).back();
        const std::int64_t y = static_cast<std::int64_t>(rng() % out[2]);
        const std::int64_t x = static_cast<std::int64_t>(rng() % out[3]);
        const InputBox want = inputBox(fields.back(), y, x);
        const Box got = theoreticalBox(net, in, GradientTarget::at(3, 0, y, x));
        EXPECT_EQ(got, (Box{want.top, want.left, want.bottom + 1, want.right + 1}))
            << "trial " << trial << " at " << y << "," << x;
        ++checked;
    }
    EXPECT_GE(checked, 50);
}

TEST(TheoreticalBox, holdsEveryPathOfAZeroPaddedStack)
{
    const Network net = parseNet(
        "Sequential(\n  (0): ZeroPad2d((1, 0, 2, 1))\n"
        "  (1): Conv2d(1, 1, kernel_size=(3, 3), stride=(2, 2))\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=1, dilation=1, ceil_mode=False)\n"
        "  (3): ConvTranspose2d(1, 1, kernel_size=(3, 3), stride=(2, 2))\n"
        "  (4): AdaptiveAvgPool2d(output_size=(5, 5))\n)");
    const Shape in{1, 1, 23, 21};
    for (std::int64_t y = 0; y < 5; ++y)
        for (std::int64_t x = 0; x < 5; ++x) {
            const GradientTarget t = GradientTarget::at(5, 0, y, x);
            const Box b = theoreticalBox(net, in, t);
            const Counts c = pathCounts(net, in, t);
            for (std::int64_t iy = 0; iy < 23; ++iy)
                for (std::int64_t ix = 0; ix < 21; ++ix)
                    if (c.at(static_cast<std::size_t>(iy * 21 + ix)) > 0) {
                        ASSERT_TRUE(iy >= b.y0 && iy < b.y1 && ix >= b.x0 && ix < b.x1)
                            << "output " << y << "," << x << " reaches " << iy << "," << ix;
                    }
        }
}

TEST(Coverage, countsWindowReadsAndTheTransposedCheckerboard)
{
    Network net = parseNet("Sequential(\n  (0): Conv2d(1, 1, kernel_size=(2, 2), stride=(3, 3))\n"
                           "  (1): ConvTranspose2d(1, 1, kernel_size=(3, 3), stride=(2, 2))\n)");
    const Shape in{1, 1, 8, 8};
    const Coverage conv = layerCoverage(net, in, 1);
    EXPECT_FALSE(conv.overOutput);
    ASSERT_EQ(conv.counts.shape, (Shape{8, 8}));
    // Stride 3 > kernel 2: windows start at 0, 3 and 6, so rows and columns 2 and 5 are
    // never read.
    const std::vector<std::int64_t> axis{1, 1, 0, 1, 1, 0, 1, 1};
    for (std::size_t y = 0; y < 8; ++y)
        for (std::size_t x = 0; x < 8; ++x)
            EXPECT_EQ(conv.counts.at(y * 8 + x), axis[y] * axis[x]) << y << "," << x;
    // Its input is layer 1's output, 3 x 3; output 7 x 7 with overlaps 1, 2 and 4.
    const Coverage up = layerCoverage(net, in, 2);
    EXPECT_TRUE(up.overOutput);
    ASSERT_EQ(up.counts.shape, (Shape{7, 7}));
    const std::vector<std::int64_t> upAxis{1, 1, 2, 1, 2, 1, 1};
    for (std::size_t y = 0; y < 7; ++y)
        for (std::size_t x = 0; x < 7; ++x)
            EXPECT_EQ(up.counts.at(y * 7 + x), upAxis[y] * upAxis[x]) << y << "," << x;
    EXPECT_THROW(layerCoverage(net, in, 3), std::invalid_argument);
}

TEST(Coverage, ofAConvEqualsThePathCountsOfItsWholeOutput)
{
    std::mt19937 rng(3);
    for (int trial = 0; trial < 40; ++trial) {
        Conv2dParams p;
        p.inChannels = p.outChannels = 1;
        p.kernel = {1 + static_cast<int>(rng() % 4), 1 + static_cast<int>(rng() % 4)};
        p.stride = {1 + static_cast<int>(rng() % 3), 1 + static_cast<int>(rng() % 3)};
        p.dilation = {1 + static_cast<int>(rng() % 2), 1 + static_cast<int>(rng() % 2)};
        p.padding = {static_cast<int>(rng() % 3), static_cast<int>(rng() % 3)};
        p.paddingMode = static_cast<PaddingMode>(rng() % 4);
        const Network net = geometryNetwork({p});
        const Shape in{1, 1, 9, 11};
        if (validate(net, in))
            continue;
        const Shape out = layerShapes(net, in).back();
        GradientTarget all = GradientTarget::at(1, 0, 0, 0);
        all.y1 = out[2];
        all.x1 = out[3];
        SCOPED_TRACE(torchRepr(p));
        EXPECT_EQ(layerCoverage(net, in, 1).counts.data, pathCounts(net, in, all).data);
    }
}

TEST(MassStats, fractionsAndRadiusOfKnownMaps)
{
    // One pixel holds all the mass: 1 of 9 box pixels, radius 0.
    std::vector<double> one(25, 0.0);
    one[12] = 3.0;
    MassStats s = massStats(one, 5, 5, Box{1, 1, 4, 4});
    EXPECT_DOUBLE_EQ(s.fraction50, 1.0 / 9.0);
    EXPECT_DOUBLE_EQ(s.fraction99, 1.0 / 9.0);
    EXPECT_DOUBLE_EQ(s.radius, 0.0);
    EXPECT_DOUBLE_EQ(s.centroidY, 2.0);
    // Uniform over a 2 x 2 box: half the pixels hold half the mass; every pixel sits
    // sqrt(0.5) from the centre.
    std::vector<double> flat(16, 0.0);
    for (int i : {5, 6, 9, 10})
        flat[static_cast<std::size_t>(i)] = 1.0;
    s = massStats(flat, 4, 4, Box{1, 1, 3, 3});
    EXPECT_DOUBLE_EQ(s.fraction50, 0.5);
    EXPECT_DOUBLE_EQ(s.fraction90, 1.0);
    EXPECT_NEAR(s.radius, std::sqrt(0.5), 1e-12);
    EXPECT_EQ(massStats(std::vector<double>(16, 0.0), 4, 4, Box{0, 0, 4, 4}).total, 0.0);
}

TEST(AveragedGradient, ofOneLinearConvIsItsAbsoluteKernel)
{
    Conv2dParams p;
    p.kernel = {3, 2};
    p.padding = {1, 0};
    Tensor w = randomTensor(weightShape(p), 5u);
    Network net;
    net.layers.push_back(makeConv2d(p, w, Tensor(Shape{1}, 0.25f)));
    AveragedGradient avg;
    ASSERT_EQ(averagedGradient(net, randomTensor({1, 1, 10, 9}, 6u), 1, 0, 4, avg),
              ForwardStatus::Done);
    EXPECT_EQ(avg.positions, 16);
    ASSERT_EQ(avg.map.shape, (Shape{1, 3, 2}));
    for (std::size_t i = 0; i < 6; ++i)
        EXPECT_FLOAT_EQ(avg.map.data[i], std::abs(w.data[i])) << i;
}

// ---- conv as a matrix ----------------------------------------------------------------------

TEST(ConvMatrix, timesThePaddedInputEqualsForwardAndItsTransposeTheTransposedConv)
{
    std::mt19937 rng(21);
    int checked = 0;
    for (int trial = 0; trial < 200 && checked < 40; ++trial) {
        Conv2dParams p;
        p.groups = 1 + static_cast<int>(rng() % 2);
        p.inChannels = p.groups * (1 + static_cast<int>(rng() % 2));
        p.outChannels = p.groups * (1 + static_cast<int>(rng() % 2));
        p.kernel = {1 + static_cast<int>(rng() % 3), 1 + static_cast<int>(rng() % 3)};
        p.stride = {1 + static_cast<int>(rng() % 2), 1 + static_cast<int>(rng() % 2)};
        p.dilation = {1 + static_cast<int>(rng() % 2), 1};
        p.padding = {static_cast<int>(rng() % 2), static_cast<int>(rng() % 2)};
        p.paddingMode = static_cast<PaddingMode>(rng() % 4);
        const Shape in{p.inChannels, 4 + static_cast<int>(rng() % 5),
                       4 + static_cast<int>(rng() % 5)};
        if (validate(p, in))
            continue;
        const Tensor w = randomTensor(weightShape(p), rng);
        const Tensor b = randomTensor({p.outChannels}, rng);
        const Tensor x = randomTensor(in, rng);
        const Layer layer = makeConv2d(p, w, b);
        const auto &conv = std::get<Conv2dLayer>(layer);
        const ConvMatrix m = convMatrix(conv, in);
        SCOPED_TRACE(torchRepr(p) + " on " + formatShape(in));
        const Tensor want = referenceConv2d(x, w, &b, p);
        const Tensor got = matrixForward(m, x, conv);
        ASSERT_EQ(got.shape, want.shape);
        for (std::size_t i = 0; i < want.data.size(); ++i)
            ASSERT_NEAR(got.data[i], want.data[i], 1e-5f) << i;
        if (p.paddingMode != PaddingMode::Zeros)
            continue;
        // The transpose: ConvTranspose2d with the same weight (C_out -> C_in), stride,
        // padding and dilation, and the output padding that gives back the input's size.
        const Tensor v = randomTensor(m.outputShape, rng);
        ConvTranspose2dParams tp;
        tp.inChannels = p.outChannels;
        tp.outChannels = p.inChannels;
        tp.kernel = p.kernel;
        tp.stride = p.stride;
        tp.padding = p.padding;
        tp.dilation = p.dilation;
        tp.groups = p.groups;
        tp.bias = false;
        const auto tail = [](std::int64_t size, std::int64_t out, std::int64_t s, std::int64_t pad,
                             std::int64_t d, std::int64_t k) {
            return static_cast<int>(size - ((out - 1) * s - 2 * pad + d * (k - 1) + 1));
        };
        tp.outputPadding = {
            tail(in[1], m.outputShape[1], p.stride.h, p.padding.h, p.dilation.h, p.kernel.h),
            tail(in[2], m.outputShape[2], p.stride.w, p.padding.w, p.dilation.w, p.kernel.w)};
        const Tensor wantT = referenceConvTranspose2d(v, w, nullptr, tp);
        const Tensor gotT = matrixTransposed(m, v);
        ASSERT_EQ(gotT.shape, wantT.shape);
        for (std::size_t i = 0; i < wantT.data.size(); ++i)
            ASSERT_NEAR(gotT.data[i], wantT.data[i], 1e-5f) << i;
        ++checked;
    }
    EXPECT_GE(checked, 15);
}

TEST(ConvMatrix, refusesLargeInputsAndMissingWeights)
{
    Conv2dParams p;
    EXPECT_TRUE(hasSubstr(
        [&] {
            try {
                convMatrix(
                    std::get<Conv2dLayer>(makeConv2d(p, Tensor(weightShape(p)), Tensor({1}))),
                    Shape{1, 33, 8});
            } catch (const std::invalid_argument &e) {
                return std::string(e.what());
            }
            return std::string();
        }(),
        "input [1, 33, 8] is too large for the matrix view: expected at most 32 x 32"));
    EXPECT_THROW(convMatrix(Conv2dLayer{p, nullptr, nullptr}, Shape{1, 8, 8}),
                 std::invalid_argument);
}

} // namespace
