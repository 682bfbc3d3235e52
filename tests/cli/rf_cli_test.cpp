// SPDX-License-Identifier: GPL-3.0-or-later
// `convscope rf`, driven in-process through convscope::cli::runCli.
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/rf.h"
#include "receptivefield.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

using namespace convscope;
using convscope::test::hasSubstr;

namespace {

struct Result {
    int code;
    std::string out;
    std::string err;
};

Result rf(std::vector<std::string> args)
{
    args.insert(args.begin(), "rf");
    std::ostringstream out, err;
    const int code = cli::runCli(args, out, err);
    return {code, out.str(), err.str()};
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// The table rows of one axis ("H" or "W"), split into words. The spec column has a varying
// number of words, so callers index the numeric columns from the right.
std::vector<std::vector<std::string>> axisRows(const std::string &out, const std::string &axis)
{
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string word; words >> word;)
            w.push_back(word);
        // A table row: the axis word followed by exactly ten numeric columns.
        const auto it = std::find(w.begin(), w.end(), axis);
        if (it != w.end() && w.end() - it == 11)
            rows.push_back(w);
    }
    return rows;
}

const std::vector<std::string> kDistill{"--input-size", "32,32",       "--layer", "k=3,s=1,p=1",
                                        "--layer",      "k=3,s=2,p=1", "--layer", "k=2,s=2",
                                        "--layer",      "k=3,d=2,p=2"};

} // namespace

TEST(RfCli, distillExample_printsIssueRAndJ)
{
    const Result r = rf(kDistill);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.err.empty());
    for (const char *axis : {"H", "W"}) {
        const auto rows = axisRows(r.out, axis);
        ASSERT_EQ(rows.size(), 4u) << r.out;
        const char *wantR[] = {"3", "5", "7", "23"}, *wantJ[] = {"1", "2", "4", "4"};
        for (std::size_t l = 0; l < 4; ++l) {
            const auto &w = rows[l];
            // ... pad r j start centre unreached
            EXPECT_EQ(w[w.size() - 5], wantR[l]) << r.out;
            EXPECT_EQ(w[w.size() - 4], wantJ[l]) << r.out;
        }
    }
}

TEST(RfCli, table_agreesWithCoreForUnevenStack)
{
    const Result r = rf({"--input-size", "13,9", "--layer", "k=4x2,p=same,mode=replicate",
                         "--layer", "k=3,s=3x2,d=2x1,p=1x0"});
    ASSERT_EQ(r.code, 0) << r.err;
    const core::LayerStack stack{cli::parseLayerSpec("k=4x2,p=same,mode=replicate"),
                                 cli::parseLayerSpec("k=3,s=3x2,d=2x1,p=1x0")};
    const auto table = core::receptiveFields(stack, {13, 9});
    for (const char *axis : {"H", "W"}) {
        const auto rows = axisRows(r.out, axis);
        ASSERT_EQ(rows.size(), 2u) << r.out;
        for (std::size_t l = 0; l < 2; ++l) {
            const core::AxisField &f = axis[0] == 'H' ? table[l].h : table[l].w;
            const auto &w = rows[l];
            const std::size_t n = w.size();
            EXPECT_EQ(w[n - 10], std::to_string(f.inSize));
            EXPECT_EQ(w[n - 9], std::to_string(f.outSize));
            EXPECT_EQ(w[n - 8], std::to_string(f.kernelEff));
            EXPECT_EQ(w[n - 6], std::to_string(f.padBefore) + "+" + std::to_string(f.padAfter));
            EXPECT_EQ(w[n - 5], std::to_string(f.r));
            EXPECT_EQ(w[n - 4], std::to_string(f.j));
            EXPECT_EQ(w[n - 3], std::to_string(f.start));
            EXPECT_EQ(w[n - 1], std::to_string(f.unreached));
        }
    }
    // 'same' with k = 4: 3 padding rows, the odd one at the bottom.
    EXPECT_EQ(table[0].h.padBefore, 1);
    EXPECT_EQ(table[0].h.padAfter, 2);
}

TEST(RfCli, at_printsInputBoxOfLastLayerOutput)
{
    auto args = kDistill;
    args.insert(args.end(), {"--at", "2,3"});
    const Result r = rf(args);
    ASSERT_EQ(r.code, 0) << r.err;
    // start -10, j 4, r 23: rows -10 + 2*4 = -2 .. 20, cols -10 + 3*4 = 2 .. 24.
    EXPECT_TRUE(contains(r.out, "rows -2..20, cols 2..24 (23 x 23)")) << r.out;
    EXPECT_TRUE(contains(r.out, "layer taps:  9 (3 x 3) of layer 4")) << r.out;
}

TEST(RfCli, badValues_exit1NamingTheValue)
{
    Result r = rf({"--input-size", "8", "--layer", "k=3,q=1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "unknown key 'q'")) << r.err;

    r = rf({"--input-size", "8", "--layer", "k=4,s=2", "--layer", "k=5"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "layer 2")) << r.err;
    EXPECT_TRUE(contains(r.err, "Kernel size can't be greater than actual input size")) << r.err;

    r = rf({"--input-size", "8", "--layer", "k=3,s=2,p=same"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "padding='same' is not supported for strided")) << r.err;

    r = rf({"--input-size", "8", "--layer", "k=3x", "--at", "0,0"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "invalid kernel size '3x'")) << r.err;

    r = rf({"--input-size", "8", "--layer", "k=3", "--at", "6,0"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "expected 0 <= y < 6")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;

    r = rf({"--input-size", "0,4", "--layer", "k=1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "positive")) << r.err;
}

TEST(RfCli, usageErrors_exit2WithHint)
{
    for (const auto &args :
         std::vector<std::vector<std::string>>{{"--input-size", "8"},
                                               {"--layer", "k=3"},
                                               {"--input-size", "8", "--layer", "k=3", "--frob"},
                                               {"--input-size", "8", "--layer", "k=3", "extra"}}) {
        const Result r = rf(args);
        EXPECT_EQ(r.code, 2) << r.err;
        EXPECT_TRUE(contains(r.err, "Try 'convscope rf --help'")) << r.err;
    }
}

TEST(RfCli, help_documentsLayerSyntaxAndIsListed)
{
    const Result r = rf({"--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_TRUE(contains(r.out, "k=KHxKW")) << r.out;
    std::ostringstream out, err;
    EXPECT_EQ(cli::runCli({"--help"}, out, err), 0);
    EXPECT_TRUE(contains(out.str(), "\n  rf ")) << out.str();
}

TEST(RfCli, parseLayerSpec_readsEveryKey)
{
    const core::Conv2dParams p = cli::parseLayerSpec("k=3x5,s=2x1,p=valid,d=1x2,mode=reflect");
    EXPECT_EQ(p.kernel, (core::Hw{3, 5}));
    EXPECT_EQ(p.stride, (core::Hw{2, 1}));
    EXPECT_EQ(p.paddingKind, core::PaddingKind::Valid);
    EXPECT_EQ(p.dilation, (core::Hw{1, 2}));
    EXPECT_EQ(p.paddingMode, core::PaddingMode::Reflect);
    EXPECT_EQ(cli::formatLayerSpec(p), "k=3x5 s=2x1 p=valid d=1x2 mode=reflect");
    const core::Conv2dParams q = cli::parseLayerSpec("p=2x0,k=2");
    EXPECT_EQ(q.padding, (core::Hw{2, 0}));
    EXPECT_EQ(q.paddingKind, core::PaddingKind::Explicit);
    EXPECT_THROW(cli::parseLayerSpec("k=3,"), cli::ValueError);
    EXPECT_THROW(cli::parseLayerSpec("k=3,k=3"), cli::ValueError);
    EXPECT_THROW(cli::parseLayerSpec("k=3x5x7"), cli::ValueError);
    EXPECT_THROW(cli::parseLayerSpec("k=3,p=half"), cli::ValueError);
}

TEST(RfCli, network_boxesFollowEveryLayerKind)
{
    const std::string net =
        std::string(CONVSCOPE_TEST_DATA) + "/fixtures/gradients/vgg_like_centre/net.txt";
    const Result r = rf({"--input-size", "32", "--network", net, "--at", "8,8"});
    ASSERT_EQ(r.code, 0) << r.err;
    // Conv 3x3 p1 -> BN -> ReLU -> MaxPool 2 -> conv 'same' -> ReLU -> conv p1 -> SiLU: the
    // max-pool doubles the jump, so each conv after it adds 4 rows.
    EXPECT_TRUE(hasSubstr(r.out, "[1, 8, 16, 16]  4 x 4         rows -1..2, cols -1..2"));
    EXPECT_TRUE(hasSubstr(r.out, "[1, 4, 16, 16]  12 x 12       rows -5..6, cols -5..6"));
    EXPECT_TRUE(hasSubstr(r.out, "output (8, 8) of layer 8: rows 11..22, cols 11..22 (12 x 12)"));
    Result bad = rf({"--input-size", "32", "--network", net, "--layer", "k=3"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_TRUE(hasSubstr(bad.err, "either --layer specs or --network"));
    bad = rf({"--input-size", "32", "--network", net, "--at", "16,0"});
    EXPECT_EQ(bad.code, 1);
    EXPECT_TRUE(hasSubstr(bad.err, "the last layer's output is 16 x 16"));
    EXPECT_TRUE(bad.out.empty());
}

namespace {

// One table row of `rf --network`: the centre output's box, output 0's rows and the jump.
struct RfRow {
    int layer, field, firstRow, lastRow, jump;
};

// Checks the rows of `layers` (counted from 1) in the output of rf --network on a square
// input: field r x r, output 0's box rows (and columns) -P..-P+r-1, jump J x J.
void expectRows(const std::string &out, const std::vector<RfRow> &want)
{
    for (const RfRow &w : want) {
        // The row is the line that starts with the layer's number; its numbers follow the
        // output shape's closing bracket. (No std::regex: GCC 12 warns inside <regex> at -O1.)
        std::istringstream lines(out);
        std::string line, found;
        const std::string prefix = std::to_string(w.layer) + " ";
        while (std::getline(lines, line))
            if (line.rfind(prefix, 0) == 0 && line.find(']') != std::string::npos)
                found = line;
        ASSERT_FALSE(found.empty()) << "no row for layer " << w.layer << " in\n" << out;
        int v[9] = {};
        ASSERT_EQ(std::sscanf(found.c_str() + found.rfind(']') + 1,
                              " %d x %d rows %d..%d, cols %d..%d %d x %d", &v[2], &v[3], &v[4],
                              &v[5], &v[6], &v[7], &v[8], &v[1]),
                  8)
            << "row of layer " << w.layer << " does not parse: " << found;
        const auto at = [&](int i) { return i == 9 ? v[1] : v[i]; };
        EXPECT_EQ(at(2), w.field) << "receptive field of layer " << w.layer;
        EXPECT_EQ(at(3), w.field) << "receptive field (cols) of layer " << w.layer;
        EXPECT_EQ(at(4), w.firstRow) << "output 0's first row (-padding) of layer " << w.layer;
        EXPECT_EQ(at(5), w.lastRow) << "output 0's last row of layer " << w.layer;
        EXPECT_EQ(at(6), w.firstRow) << "output 0's first column of layer " << w.layer;
        EXPECT_EQ(at(7), w.lastRow) << "output 0's last column of layer " << w.layer;
        EXPECT_EQ(at(8), w.jump) << "jump of layer " << w.layer;
        EXPECT_EQ(at(9), w.jump) << "jump (cols) of layer " << w.layer;
    }
}

} // namespace

// torchvision's printed vgg16().features: r, jump and padding per conv and pool as Araujo et
// al. (Distill 2019) publish them for VGG-16 (pool5: r = 212, jump 32, padding 90). By hand:
// a 3x3 conv with padding 1 adds 2 jumps to r and one jump to the padding, a 2x2/2 pool adds
// one jump to r and doubles the jump.
TEST(RfCli, network_vgg16FeaturesReproducesThePublishedFields)
{
    const std::string net =
        std::string(CONVSCOPE_TEST_DATA) + "/fixtures/torchprint/vgg16_features.txt";
    const Result r = rf({"--input-size", "224", "--network", net});
    ASSERT_EQ(r.code, 0) << r.err;
    expectRows(r.out, {{1, 3, -1, 1, 1},        {2, 3, -1, 1, 1},       {3, 5, -2, 2, 1},
                       {5, 6, -2, 3, 2},        {6, 10, -4, 5, 2},      {8, 14, -6, 7, 2},
                       {10, 16, -6, 9, 4},      {11, 24, -10, 13, 4},   {13, 32, -14, 17, 4},
                       {15, 40, -18, 21, 4},    {17, 44, -18, 25, 8},   {18, 60, -26, 33, 8},
                       {20, 76, -34, 41, 8},    {22, 92, -42, 49, 8},   {24, 100, -42, 57, 16},
                       {25, 132, -58, 73, 16},  {27, 164, -74, 89, 16}, {29, 196, -90, 105, 16},
                       {30, 196, -90, 105, 16}, {31, 212, -90, 121, 32}});
}

// torchvision's printed alexnet().features: conv1 11x11/4 padding 2, 3x3/2 pools, 5x5 and 3x3
// convs. Distill's table gives r = 195 and jump 32 at pool5 (for TF-slim's alexnet_v2, whose
// conv1 has no padding: padding 64 there, 66 here, where conv1 pads 2).
TEST(RfCli, network_alexnetFeaturesReproducesThePublishedFields)
{
    const std::string net =
        std::string(CONVSCOPE_TEST_DATA) + "/fixtures/torchprint/alexnet_features.txt";
    const Result r = rf({"--input-size", "224", "--network", net});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(hasSubstr(r.out, "[1, 256, 6, 6]"));
    expectRows(r.out, {{1, 11, -2, 8, 4},
                       {3, 19, -2, 16, 8},
                       {4, 51, -18, 32, 8},
                       {6, 67, -18, 48, 16},
                       {7, 99, -34, 64, 16},
                       {9, 131, -50, 80, 16},
                       {11, 163, -66, 96, 16},
                       {12, 163, -66, 96, 16},
                       {13, 195, -66, 128, 32}});
}
