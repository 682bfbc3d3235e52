// SPDX-License-Identifier: GPL-3.0-or-later
// `convscope forward`, driven in-process through convscope::cli::runCli, on the network and
// weight files torch made (tests/data/fixtures/weights): torch's output, --layer, defaults
// without weights, and refusals that leave no output file behind.
#include "cli/cli.h"
#include "npy.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace convscope;
using convscope::test::hasSubstr;

namespace {

const std::string kDir = std::string(CONVSCOPE_TEST_DATA) + "/fixtures/weights/";

struct Result {
    int code;
    std::string out;
    std::string err;
};

Result forward(std::vector<std::string> args)
{
    args.insert(args.begin(), "forward");
    std::ostringstream out, err;
    const int code = cli::runCli(args, out, err);
    return {code, out.str(), err.str()};
}

float maxAbsDiff(const core::Tensor &a, const core::Tensor &b)
{
    EXPECT_EQ(a.shape, b.shape);
    float m = 0;
    for (std::size_t i = 0; i < std::min(a.data.size(), b.data.size()); ++i)
        m = std::max(m, std::abs(a.data[i] - b.data[i]));
    return m;
}

} // namespace

TEST(ForwardCli, torchCheckpoint_writesTorchsOutput)
{
    test::TempDir dir;
    for (const char *w : {"net.pt", "net.npz", "net.safetensors"}) {
        SCOPED_TRACE(w);
        const Result r = forward({"--network", kDir + "net.txt", "--weights", kDir + w, "--input",
                                  kDir + "input.npy", "--output", dir.file("y.npy"), "--force",
                                  "--threads", "2"});
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_LE(maxAbsDiff(core::readNpy(dir.file("y.npy")), core::readNpy(kDir + "out.npy")),
                  1e-5f);
    }
}

TEST(ForwardCli, layer_stopsAfterTheLayerCountedFromOne)
{
    test::TempDir dir;
    const Result r =
        forward({"--network", kDir + "net.txt", "--weights", kDir + "net.pt", "--input",
                 kDir + "input.npy", "--output", dir.file("y.npy"), "--layer", "2"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_LE(maxAbsDiff(core::readNpy(dir.file("y.npy")), core::readNpy(kDir + "out_layer2.npy")),
              1e-5f);
    const Result bad = forward({"--network", kDir + "net.txt", "--input", kDir + "input.npy",
                                "--output", dir.file("z.npy"), "--layer", "7"});
    EXPECT_EQ(bad.code, 1);
    EXPECT_TRUE(hasSubstr(bad.err, "invalid layer '7': expected 1 to 6"));
}

TEST(ForwardCli, withoutWeights_seededDefaultsGiveTheShapeTorchWould)
{
    test::TempDir dir;
    const std::vector<std::string> base{"--network", kDir + "net.txt", "--input",
                                        kDir + "input.npy", "--output"};
    auto with = [&](const std::string &out, const std::string &seed) {
        auto a = base;
        a.push_back(dir.file(out));
        a.insert(a.end(), {"--seed", seed});
        return forward(a);
    };
    ASSERT_EQ(with("a.npy", "5").code, 0);
    ASSERT_EQ(with("b.npy", "5").code, 0);
    ASSERT_EQ(with("c.npy", "6").code, 0);
    const core::Tensor a = core::readNpy(dir.file("a.npy"));
    EXPECT_EQ(a.shape, (core::Shape{1, 2, 12, 12}));
    EXPECT_EQ(a, core::readNpy(dir.file("b.npy")));
    EXPECT_NE(a, core::readNpy(dir.file("c.npy")));
}

TEST(ForwardCli, refusals_exit1NamingTheProblemAndWriteNothing)
{
    test::TempDir dir;
    const std::string out = dir.file("y.npy");
    const Result evil = forward({"--network", kDir + "net.txt", "--weights", kDir + "evil.pt",
                                 "--input", kDir + "input.npy", "--output", out});
    EXPECT_EQ(evil.code, 1);
    EXPECT_TRUE(hasSubstr(evil.err, "refusing to load: the pickle imports 'posix.system'"));
    const Result shape =
        forward({"--network", kDir + "net.txt", "--weights", kDir + "wrong_shape.npz", "--input",
                 kDir + "input.npy", "--output", out});
    EXPECT_EQ(shape.code, 1);
    EXPECT_TRUE(hasSubstr(shape.err, "size mismatch for 0.weight"));
    // An input with 5 channels for a network whose first Conv2d takes 3.
    core::writeNpy(dir.file("x5.npy"), core::Tensor(core::Shape{1, 5, 8, 8}));
    const Result channels =
        forward({"--network", kDir + "net.txt", "--input", dir.file("x5.npy"), "--output", out});
    EXPECT_EQ(channels.code, 1);
    EXPECT_TRUE(hasSubstr(channels.err, "layer 1 (Conv2d)"));
    const Result text =
        forward({"--network", kDir + "input.npy", "--input", kDir + "input.npy", "--output", out});
    EXPECT_EQ(text.code, 1);
    EXPECT_TRUE(hasSubstr(text.err, "input.npy: line 1"));
    EXPECT_FALSE(std::filesystem::exists(out));
    EXPECT_EQ(dir.entryCount(), 1); // only x5.npy
}

TEST(ForwardCli, overTheMemoryBudget_exit1WithTheNumbersAndWriteNothing)
{
    test::TempDir dir;
    const std::string out = dir.file("y.npy");
    setenv("CONVSCOPE_MEMORY_BUDGET_MB", "1", 1);
    core::writeNpy(dir.file("x.npy"), core::Tensor(core::Shape{1, 3, 512, 512}));
    const Result r =
        forward({"--network", kDir + "net.txt", "--input", dir.file("x.npy"), "--output", out});
    std::ostringstream o, e;
    const int conv = cli::runCli(
        {"conv", "--input", dir.file("x.npy"), "--weight", kDir + "input.npy", "--output", out}, o,
        e);
    unsetenv("CONVSCOPE_MEMORY_BUDGET_MB");
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "layer 1 (Conv2d): the tensors need "));
    EXPECT_TRUE(hasSubstr(r.err, "more than the memory budget of 1 MB"));
    EXPECT_EQ(conv, 1) << e.str();
    EXPECT_TRUE(hasSubstr(e.str(), "convscope conv: the tensors need ")) << e.str();
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ForwardCli, usageErrors_exit2AndHelpIsListed)
{
    const Result missing = forward({"--network", kDir + "net.txt"});
    EXPECT_EQ(missing.code, 2);
    EXPECT_TRUE(hasSubstr(missing.err, "missing required option '--input'"));
    const Result both = forward(
        {"--network", "n", "--weights", "w", "--seed", "1", "--input", "x", "--output", "y"});
    EXPECT_EQ(both.code, 2);
    EXPECT_TRUE(hasSubstr(both.err, "--seed draws default weights"));
    EXPECT_TRUE(hasSubstr(forward({"--help"}).out, "torch.save(model.state_dict())"));
    std::ostringstream out, err;
    cli::runCli({"--help"}, out, err);
    EXPECT_TRUE(hasSubstr(out.str(), "forward"));
}

TEST(ForwardCli, normalize_runsTorchvisionsNormalizeBeforeLayerOne)
{
    // A ReLU alone: the output is max(Normalize(x), 0), with Normalize(x) from torchvision
    // (tests/data/make_normalize_fixtures.py).
    test::TempDir dir;
    const std::string norm = std::string(CONVSCOPE_TEST_DATA) + "/fixtures/normalize/";
    {
        std::ofstream f(dir.file("relu.txt"));
        f << "Sequential(\n  (0): ReLU()\n)\n";
    }
    const std::vector<std::string> base{
        "--network", dir.file("relu.txt"), "--input", norm + "input3.npy",
        "--output",  dir.file("y.npy"),    "--force"};
    auto args = base;
    args.insert(args.end(), {"--normalize", "imagenet"});
    Result r = forward(args);
    ASSERT_EQ(r.code, 0) << r.err;
    core::Tensor want = core::readNpy(norm + "imagenet.npy");
    for (float &v : want.data)
        v = std::max(v, 0.0f);
    EXPECT_EQ(maxAbsDiff(core::readNpy(dir.file("y.npy")), want), 0.0f);

    args = base;
    args[3] = norm + "input2.npy";
    args.insert(args.end(), {"--normalize", "mean=0.5,-1.25:std=0.3,2"});
    r = forward(args);
    ASSERT_EQ(r.code, 0) << r.err;
    want = core::readNpy(norm + "custom.npy");
    for (float &v : want.data)
        v = std::max(v, 0.0f);
    EXPECT_EQ(maxAbsDiff(core::readNpy(dir.file("y.npy")), want), 0.0f);

    // Refusals name the value, before anything is written.
    const auto refused = [&](const std::string &spec, const std::string &input) {
        std::filesystem::remove(dir.file("y.npy"));
        auto a = base;
        a[3] = norm + input;
        a.insert(a.end(), {"--normalize", spec});
        const Result bad = forward(a);
        EXPECT_EQ(bad.code, 1) << spec;
        EXPECT_FALSE(std::filesystem::exists(dir.file("y.npy"))) << spec;
        return bad.err;
    };
    EXPECT_TRUE(hasSubstr(refused("imagenet", "input2.npy"),
                          "--normalize: expected one mean and one std value per input channel "
                          "(2), but got 3"));
    EXPECT_TRUE(hasSubstr(refused("mean=0,0:std=1,0", "input2.npy"), "but got std[1]=0.0"));
    EXPECT_TRUE(hasSubstr(refused("mean=0,x:std=1,1", "input2.npy"),
                          "expected mean to be comma-separated numbers, but got 'x'"));
    EXPECT_TRUE(hasSubstr(refused("mean=0,nan:std=1,1", "input2.npy"), "mean[1]=nan"));
    EXPECT_TRUE(
        hasSubstr(refused("std=1,1", "input2.npy"), "expected imagenet or mean=A,B,C:std=D,E,F"));
    EXPECT_TRUE(hasSubstr(refused("mean=0:std=1,1", "input2.npy"), "1 mean and 2 std values"));
}
