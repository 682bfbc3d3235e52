// SPDX-License-Identifier: GPL-3.0-or-later
// `convscope erf` and `convscope coverage`, driven in-process through runCli: torch's
// gradient from the command line (tests/data/fixtures/gradients), int64 path counts and
// coverage files numpy reads, the summary, and refusals that name the value and leave no
// file behind.
#include "cli/cli.h"
#include "npy.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace convscope;
using convscope::test::hasSubstr;

namespace {

const std::string kDir = std::string(CONVSCOPE_TEST_DATA) + "/fixtures/gradients/vgg_like_centre/";

struct Result {
    int code;
    std::string out;
    std::string err;
};

Result run(const std::vector<std::string> &args)
{
    std::ostringstream out, err;
    const int code = cli::runCli(args, out, err);
    return {code, out.str(), err.str()};
}

// An int64 .npy as numpy writes it: the shape text of the header and the values.
struct Int64Npy {
    std::string header;
    std::vector<std::int64_t> values;
};

Int64Npy readInt64Npy(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string bytes = ss.str();
    EXPECT_GE(bytes.size(), 10u);
    const std::size_t len = static_cast<unsigned char>(bytes[8])
                            | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    Int64Npy r;
    r.header = bytes.substr(10, len);
    r.values.resize((bytes.size() - 10 - len) / 8);
    std::memcpy(r.values.data(), bytes.data() + 10 + len, r.values.size() * 8);
    return r;
}

const char *kOneConv = "Sequential(\n  (0): Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1))\n)\n";

std::string writeText(const test::TempDir &dir, const std::string &name, const std::string &text)
{
    std::ofstream(dir.file(name)) << text;
    return dir.file(name);
}

} // namespace

TEST(ErfCli, gradient_writesTorchsGradientAndTheSummary)
{
    test::TempDir dir;
    const Result r =
        run({"erf", "--network", kDir + "net.txt", "--weights", kDir + "net.npz", "--input",
             kDir + "input.npy", "--layer", "8", "--at", "3,8,8", "--output", dir.file("g.npy")});
    ASSERT_EQ(r.code, 0) << r.err;
    const core::Tensor got = core::readNpy(dir.file("g.npy"));
    const core::Tensor want = core::readNpy(kDir + "grad.npy");
    ASSERT_EQ(got.shape, want.shape);
    float scale = 0.0f, diff = 0.0f;
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        scale = std::max(scale, std::abs(want.data[i]));
        diff = std::max(diff, std::abs(got.data[i] - want.data[i]));
    }
    EXPECT_LE(diff, 1e-4f * scale);
    EXPECT_TRUE(hasSubstr(r.out, "output:    layer 8 (SiLU) [1, 4, 16, 16], channel 3"));
    EXPECT_TRUE(hasSubstr(r.out, "box:       rows 11..22, columns 11..22 (12 x 12)"));
    EXPECT_TRUE(hasSubstr(r.out, "50% of it in "));
    EXPECT_TRUE(hasSubstr(r.out, "radius:    "));
}

TEST(ErfCli, paths_writesExactInt64Counts)
{
    test::TempDir dir;
    const std::string net = writeText(dir, "net.txt", kOneConv);
    core::writeNpy(dir.file("x.npy"), core::Tensor(core::Shape{1, 1, 5, 5}, 0.5f));
    const Result r = run({"erf", "--network", net, "--input", dir.file("x.npy"), "--layer", "1",
                          "--at", "0,1,1", "--mode", "paths", "--output", dir.file("p.npy")});
    ASSERT_EQ(r.code, 0) << r.err;
    const Int64Npy p = readInt64Npy(dir.file("p.npy"));
    EXPECT_TRUE(hasSubstr(p.header, "'descr': '<i8'"));
    EXPECT_TRUE(hasSubstr(p.header, "'shape': (1, 1, 5, 5)"));
    ASSERT_EQ(p.values.size(), 25u);
    // Output (1, 1) of a 3 x 3 window reads rows and columns 1..3, each once.
    for (std::size_t i = 0; i < 25; ++i) {
        const std::size_t y = i / 5, x = i % 5;
        EXPECT_EQ(p.values[i], (y >= 1 && y <= 3 && x >= 1 && x <= 3) ? 1 : 0) << y << "," << x;
    }
    EXPECT_TRUE(hasSubstr(r.out, "9 of the box's 9 pixels reached, 0 never"));
}

TEST(ErfCli, average_alignsPositionsOnTheBox)
{
    test::TempDir dir;
    const Result r = run({"erf", "--network", kDir + "net.txt", "--weights", kDir + "net.npz",
                          "--input", kDir + "input.npy", "--layer", "8", "--at", "1,0,0", "--mode",
                          "average", "--samples", "3", "--output", dir.file("a.npy")});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(core::readNpy(dir.file("a.npy")).shape, (core::Shape{3, 12, 12}));
    EXPECT_TRUE(hasSubstr(r.out, "averaged:  9 output positions of channel 1"));
}

TEST(ErfCli, badValues_areNamedAndLeaveNoFile)
{
    test::TempDir dir;
    const std::vector<std::string> base{
        "erf",      "--network",      kDir + "net.txt", "--input", kDir + "input.npy",
        "--output", dir.file("g.npy")};
    const auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> a = base;
        a.insert(a.end(), extra.begin(), extra.end());
        return run(a);
    };
    Result r = with({"--layer", "8", "--at", "4,8,8"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "channel 4 is outside of layer 8's output [1, 4, 16, 16]"));
    r = with({"--layer", "9", "--at", "0,8,8"});
    EXPECT_TRUE(hasSubstr(r.err, "invalid layer '9': expected 1 to 8"));
    r = with({"--layer", "8", "--at", "8,8"});
    EXPECT_TRUE(hasSubstr(r.err, "invalid at '8,8': expected C,Y,X"));
    r = with({"--layer", "8", "--at", "0,16,0"});
    EXPECT_TRUE(hasSubstr(r.err, "rows [16, 17) are outside"));
    r = with({"--layer", "8", "--at", "0,1,1", "--mode", "hessian"});
    EXPECT_TRUE(hasSubstr(r.err, "invalid mode 'hessian': expected gradient, paths or average"));
    r = with({"--layer", "8", "--at", "0,1,1", "--samples", "4"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "--samples is for --mode average"));
    r = with({"--layer", "8", "--at", "0,1,1", "--mode", "average", "--region", "2,2"});
    EXPECT_EQ(r.code, 2);
    r = with({"--layer", "8", "--at", "0,1,1", "--weights", kDir + "net.npz", "--seed", "3"});
    EXPECT_EQ(r.code, 2);
    EXPECT_FALSE(std::filesystem::exists(dir.file("g.npy")));
    // The Qt-free library reads no images; the convscope binary installs a reader.
    r = run({"erf", "--network", kDir + "net.txt", "--input", dir.file("photo.jpg"), "--layer", "1",
             "--at", "0,0,0", "--output", dir.file("g.npy")});
    EXPECT_TRUE(hasSubstr(r.err, "photo.jpg: expected a .npy file (this build reads no images)"));
    // Nor does it draw: --png is refused before any work.
    r = with({"--layer", "8", "--at", "0,1,1", "--png", dir.file("g.png")});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "--png: this build writes no images"));
    r = with({"--layer", "8", "--at", "0,1,1", "--png", "-"});
    EXPECT_TRUE(hasSubstr(r.err, "--png writes a file: expected a path, got '-'"));
    EXPECT_FALSE(std::filesystem::exists(dir.file("g.npy")));
}

TEST(CoverageCli, countsStrideGapsFromAShapeAlone)
{
    test::TempDir dir;
    const std::string net = writeText(
        dir, "net.txt", "Sequential(\n  (0): Conv2d(3, 4, kernel_size=(2, 2), stride=(3, 3))\n)\n");
    const Result r = run({"coverage", "--network", net, "--input-shape", "3,8,8", "--layer", "1",
                          "--output", dir.file("c.npy")});
    ASSERT_EQ(r.code, 0) << r.err;
    const Int64Npy c = readInt64Npy(dir.file("c.npy"));
    EXPECT_TRUE(hasSubstr(c.header, "'shape': (8, 8)"));
    const std::vector<std::int64_t> axis{1, 1, 0, 1, 1, 0, 1, 1};
    ASSERT_EQ(c.values.size(), 64u);
    for (std::size_t i = 0; i < 64; ++i)
        EXPECT_EQ(c.values[i], axis[i / 8] * axis[i % 8]) << i;
    EXPECT_TRUE(hasSubstr(r.out, "over its input [8, 8], 0 to 1 per pixel; 28 pixels at 0"));
    // Refusals: neither or both inputs, a bad shape, an invalid geometry.
    EXPECT_EQ(
        run({"coverage", "--network", net, "--layer", "1", "--output", dir.file("d.npy")}).code, 2);
    Result bad = run({"coverage", "--network", net, "--input-shape", "3,8", "--layer", "1",
                      "--output", dir.file("d.npy")});
    EXPECT_TRUE(hasSubstr(bad.err, "invalid input-shape '3,8': expected C,H,W"));
    bad = run({"coverage", "--network", net, "--input-shape", "2,8,8", "--layer", "1", "--output",
               dir.file("d.npy")});
    EXPECT_EQ(bad.code, 1);
    EXPECT_TRUE(hasSubstr(bad.err, "layer 1 (Conv2d)"));
    EXPECT_FALSE(std::filesystem::exists(dir.file("d.npy")));
}
