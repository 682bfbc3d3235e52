// SPDX-License-Identifier: GPL-3.0-or-later
// parseTorchPrint (torchprint.h) on the texts print(model) gave for real torch modules
// (tests/data/fixtures/torchprint, from tests/data/make_torchprint_fixtures.py): the layer
// kinds, the state_dict keys, torch's output shape, reprs that round-trip; and refusals
// with line numbers, limits, and truncated or garbled texts that never crash.
#include "torchprint.h"

#include "test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace convscope::core;
using convscope::test::hasSubstr;

namespace {

const std::filesystem::path kDir =
    std::filesystem::path(CONVSCOPE_TEST_DATA) / "fixtures" / "torchprint";

std::string readText(const std::filesystem::path &p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string> lines(const std::string &text)
{
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string l; std::getline(ss, l);)
        if (!l.empty())
            out.push_back(l);
    return out;
}

Shape toShape(const std::string &csv)
{
    Shape s;
    std::stringstream ss(csv);
    for (std::string item; std::getline(ss, item, ',');)
        s.push_back(std::stoll(item));
    return s;
}

std::vector<std::string> fixtureNames()
{
    return lines(readText(kDir / "index.txt"));
}

TorchPrintModel parsed(const std::string &text)
{
    const TorchPrintResult r = parseTorchPrint(text);
    if (!r.model)
        throw std::runtime_error(r.error ? r.error->text() : "no model and no error");
    return *r.model;
}

TorchPrintError refused(const std::string &text)
{
    const TorchPrintResult r = parseTorchPrint(text);
    if (r.model || !r.error)
        throw std::runtime_error("accepted: " + text);
    return *r.error;
}

} // namespace

class TorchPrintFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchPrintFixture, parsesKeysShapesAndReprs)
{
    const std::string text = readText(kDir / (GetParam() + ".txt"));
    const TorchPrintResult r = parseTorchPrint(text);
    ASSERT_TRUE(r.model) << r.error->text() << "\n" << text;
    EXPECT_FALSE(r.error);
    const TorchPrintModel &m = *r.model;
    EXPECT_EQ(m.stateDictKeys(), lines(readText(kDir / (GetParam() + ".keys")))) << text;
    ASSERT_EQ(m.layers.size(), m.network.size());

    const std::string shapes = lines(readText(kDir / (GetParam() + ".shapes"))).at(0);
    const auto arrow = shapes.find(" -> ");
    const Shape in = toShape(shapes.substr(0, arrow));
    const Shape out = toShape(shapes.substr(arrow + 4));
    const auto e = validate(m.network, in);
    ASSERT_FALSE(e) << e->message();
    EXPECT_EQ(m.network.empty() ? in : layerShapes(m.network, in).back(), out) << text;

    const auto textLines = lines(text);
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
        const TorchPrintLayer &l = m.layers[i];
        ASSERT_GE(l.line, 1u);
        ASSERT_LE(l.line, textLines.size());
        EXPECT_TRUE(hasSubstr(textLines[l.line - 1], l.text));
        EXPECT_TRUE(hasSubstr(l.text, kindName(m.network.layers[i]) + "("));
        // The repr prints inplace=True, which the layer does not keep; the rest round-trips.
        std::string want = l.text;
        for (const std::string drop : {", inplace=True", "inplace=True"})
            if (const auto p = want.find(drop); p != std::string::npos)
                want.erase(p, drop.size());
        EXPECT_EQ(torchRepr(m.network.layers[i]), want) << "line " << l.line;
    }
}

INSTANTIATE_TEST_SUITE_P(Torch, TorchPrintFixture, ::testing::ValuesIn(fixtureNames()));

TEST(TorchPrint, fixtureKindsAndParameters)
{
    EXPECT_GE(fixtureNames().size(), 7u)
        << "run /usr/bin/python3 tests/data/make_torchprint_fixtures.py";
    const TorchPrintModel vgg = parsed(readText(kDir / "vgg16_features.txt"));
    ASSERT_EQ(vgg.network.size(), 31u);
    EXPECT_EQ(convLayers(vgg.network).size(), 13u);
    const auto &c = std::get<Conv2dLayer>(vgg.network.layers[28]).params;
    EXPECT_EQ(c.inChannels, 512);
    EXPECT_EQ(c.padding, (Hw{1, 1}));
    EXPECT_EQ(vgg.layers[28].path, "28");
    EXPECT_TRUE(std::holds_alternative<MaxPool2dLayer>(vgg.network.layers[30]));

    const TorchPrintModel nested = parsed(readText(kDir / "nested.txt"));
    ASSERT_EQ(nested.network.size(), 11u); // Dropout and Identity skipped
    EXPECT_EQ(nested.notes.size(), 2u);
    EXPECT_EQ(nested.layers[5].path, "features.1.0");
    EXPECT_FALSE(std::get<BatchNorm2dLayer>(nested.network.layers[5]).affine);
    EXPECT_EQ(nested.layers[8].path, "head.up");
    const auto &up = std::get<ConvTranspose2dLayer>(nested.network.layers[8]).params;
    EXPECT_EQ(up.kernel, (Hw{4, 4}));
    EXPECT_EQ(up.stride, (Hw{2, 2}));
    EXPECT_EQ(std::get<LeakyReluLayer>(nested.network.layers[9]).negativeSlope, 0.2);

    const TorchPrintModel every = parsed(readText(kDir / "every_kind.txt"));
    const auto &t = std::get<ConvTranspose2dLayer>(every.network.layers[16]).params;
    EXPECT_EQ(t.outputPadding, (Hw{1, 2}));
    EXPECT_EQ(t.groups, 2);
    EXPECT_FALSE(t.bias);
    EXPECT_EQ(std::get<Conv2dLayer>(every.network.layers[4]).params.paddingKind, PaddingKind::Same);
    EXPECT_EQ(std::get<Conv2dLayer>(every.network.layers[1]).params.paddingMode,
              PaddingMode::Reflect);
    EXPECT_EQ(std::get<ConstantPad2dLayer>(every.network.layers[12]).value, -1.5);

    const TorchPrintModel bare = parsed(readText(kDir / "bare_conv.txt"));
    EXPECT_EQ(bare.stateDictKeys(), (std::vector<std::string>{"weight", "bias"}));
}

TEST(TorchPrint, refusals_nameLineAndWhat)
{
    auto e = refused("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n"
                     "  (1): Linear(in_features=8, out_features=2, bias=True)\n)\n");
    EXPECT_EQ(e.line, 3u);
    EXPECT_TRUE(hasSubstr(e.message, "unknown module Linear")) << e.text();
    e = refused("Sequential(\n  (0): ModuleList(\n  )\n)");
    EXPECT_EQ(e.line, 2u);
    EXPECT_TRUE(hasSubstr(e.message, "unknown container ModuleList")) << e.text();
    e = refused("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)\n)");
    EXPECT_EQ(e.line, 2u);
    EXPECT_TRUE(hasSubstr(e.message, "expected ',' or ')'")) << e.text();
    EXPECT_TRUE(hasSubstr(e.message, "found end of line")) << e.text();
    e = refused("Sequential(\n  (0): ReLU()\n");
    EXPECT_TRUE(hasSubstr(e.message, "opened on line 1")) << e.text();
    e = refused("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), strid=(1, 1))\n)");
    EXPECT_TRUE(hasSubstr(e.message, "Conv2d has no argument 'strid'")) << e.text();
    EXPECT_EQ(e.column, 41u); // where "strid=" starts
    e = refused("Sequential(\n  (0): GELU(approximate='tanh')\n)");
    EXPECT_TRUE(hasSubstr(e.message, "approximate='none'")) << e.text();
    e = refused("Sequential(\n  (0): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, "
                "track_running_stats=False)\n)");
    EXPECT_TRUE(hasSubstr(e.message, "track_running_stats=False")) << e.text();
    e = refused("Sequential(\n  (0): Conv2d(99999999999, 8, kernel_size=(3, 3))\n)");
    EXPECT_TRUE(hasSubstr(e.message, "99999999999 does not fit")) << e.text();
    // The network's own checks, at the layer's line.
    e = refused("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n"
                "  (1): ReLU()\n  (2): Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1))\n)");
    EXPECT_EQ(e.line, 4u);
    EXPECT_TRUE(hasSubstr(e.message, "in_channels=4")) << e.text();
    e = refused("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(1, 1), output_padding=(1, 1))");
    EXPECT_TRUE(hasSubstr(e.message, "output padding must be smaller")) << e.text();
    e = refused("Sequential(\n  (0): ReLU()\n)\nReLU()");
    EXPECT_EQ(e.line, 4u);
    EXPECT_TRUE(hasSubstr(refused("").message, "empty text"));
}

TEST(TorchPrint, limits_nameTheValueAndTheLimit)
{
    std::string big(kTorchPrintMaxBytes + 1, ' ');
    auto e = refused(big);
    EXPECT_TRUE(hasSubstr(e.message, std::to_string(kTorchPrintMaxBytes + 1) + " bytes"));
    EXPECT_TRUE(hasSubstr(e.message, "limit is 4194304"));

    std::string deep;
    for (int i = 0; i <= kTorchPrintMaxDepth; ++i)
        deep += i == 0 ? "Sequential(\n" : "(0): Sequential(\n";
    e = refused(deep);
    EXPECT_EQ(e.line, static_cast<std::size_t>(kTorchPrintMaxDepth) + 1);
    EXPECT_TRUE(hasSubstr(e.message, "depth 33 exceeds the limit of 32")) << e.text();

    std::string many = "Sequential(\n";
    for (std::size_t i = 0; i <= kTorchPrintMaxLayers; ++i)
        many += "  (" + std::to_string(i) + "): ReLU()\n";
    many += ")\n";
    e = refused(many);
    EXPECT_EQ(e.line, kTorchPrintMaxLayers + 2);
    EXPECT_TRUE(hasSubstr(e.message, "module 10001 exceeds the limit of 10000")) << e.text();
}

TEST(TorchPrint, truncatedAndGarbledTexts_giveErrorsNeverCrash)
{
    std::mt19937 rng(20261204u);
    for (const std::string &name : fixtureNames()) {
        const std::string text = readText(kDir / (name + ".txt"));
        const std::size_t last = text.rfind(')');
        const std::size_t lineCount = lines(text).size();
        // Every cut before the closing ')' leaves something unclosed.
        for (std::size_t cut = 0; cut < last; ++cut) {
            const TorchPrintResult r = parseTorchPrint(std::string_view(text).substr(0, cut));
            ASSERT_FALSE(r.model) << name << " cut at " << cut;
            ASSERT_TRUE(r.error);
            EXPECT_GE(r.error->line, 1u);
            EXPECT_LE(r.error->line, lineCount + 1);
        }
        // Random bytes overwritten: any outcome but a crash, and an error always has text.
        for (int round = 0; round < 300; ++round) {
            std::string g = text;
            for (int k = 0; k < 3; ++k)
                g[rng() % g.size()] = static_cast<char>(rng() % 256);
            const TorchPrintResult r = parseTorchPrint(g);
            ASSERT_NE(r.model.has_value(), r.error.has_value());
            if (r.error) {
                EXPECT_FALSE(r.error->message.empty());
            }
        }
    }
}
