// SPDX-License-Identifier: GPL-3.0-or-later
#include "conv2d.h"
#include "isa.h"
#include "random_tensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

using namespace convscope::core;
using convscope::test::randomTensor;

namespace {

// Restores the process-wide path, which other suites in this binary rely on.
class IsaTest : public ::testing::Test {
protected:
    void TearDown() override { setActiveIsa(bestIsa()); }
};

bool missing(Isa isa)
{
    return !cpuHas(isa);
}

} // namespace

TEST_F(IsaTest, namesRoundTripAndUnknownNamesAreRefused)
{
    for (const Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Baseline})
        EXPECT_EQ(parseIsa(isaName(isa)), isa) << isaName(isa);
    EXPECT_FALSE(parseIsa("AVX2"));
    EXPECT_FALSE(parseIsa("sse4"));
    EXPECT_FALSE(parseIsa(""));
}

TEST_F(IsaTest, availablePathsAreBestFirstAndEndWithBaseline)
{
    const auto isas = availableIsas();
    ASSERT_FALSE(isas.empty());
    EXPECT_EQ(isas.back(), Isa::Baseline);
    EXPECT_EQ(isas.front(), bestIsa());
    for (std::size_t i = 1; i < isas.size(); ++i)
        EXPECT_GT(static_cast<int>(isas[i - 1]), static_cast<int>(isas[i]));
    // AVX-512 without AVX2 + FMA does not exist on any x86-64 CPU; the path needs all three.
    if (cpuHas(Isa::Avx512)) {
        EXPECT_TRUE(cpuHas(Isa::Avx2));
    }
    EXPECT_EQ(activeIsa(), bestIsa()) << "nothing chose another path yet";
}

TEST_F(IsaTest, selectIsa_appliesAKnownPathAndExplainsAWrongOne)
{
    EXPECT_FALSE(selectIsa(nullptr));
    EXPECT_FALSE(selectIsa(""));
    EXPECT_EQ(activeIsa(), bestIsa());

    EXPECT_FALSE(selectIsa("baseline"));
    EXPECT_EQ(activeIsa(), Isa::Baseline);

    const auto bogus = selectIsa("sse9");
    ASSERT_TRUE(bogus);
    EXPECT_EQ(*bogus, "CONVSCOPE_ISA must be avx512, avx2 or baseline, but got 'sse9'");
    EXPECT_EQ(activeIsa(), Isa::Baseline) << "a refused value leaves the path alone";
}

TEST_F(IsaTest, aPathTheCpuLacks_isRefusedWithTheListItRuns)
{
    const Isa lacking = missing(Isa::Avx512) ? Isa::Avx512 : Isa::Avx2;
    if (cpuHas(lacking))
        GTEST_SKIP() << "this CPU runs every path (" << isaList(availableIsas())
                     << "): nothing to refuse here; tests/cli/isa_paths.sh checks it under an "
                        "emulated older CPU when qemu-user is installed";
    const auto error = selectIsa(isaName(lacking).c_str());
    ASSERT_TRUE(error);
    EXPECT_EQ(*error, "CONVSCOPE_ISA=" + isaName(lacking) + ": this CPU cannot run the "
                          + isaName(lacking) + " path (it runs: " + isaList(availableIsas()) + ")");
    EXPECT_THROW(setActiveIsa(lacking), std::invalid_argument);
}

TEST_F(IsaTest, kernelsPackTheirOwnChannelBlocks)
{
    for (const Isa isa : availableIsas()) {
        const ConvKernel k = convKernel(isa);
        EXPECT_NE(k.convRange, nullptr) << isaName(isa);
        EXPECT_GE(k.blockChannels, 1) << isaName(isa);
        EXPECT_LE(k.blockChannels, kMaxBlockChannels) << isaName(isa);
    }
    // Each path has its own build: the entry points must be distinct functions, or the
    // linker merged them and every CPU would run one instruction set.
    EXPECT_NE(convKernel(Isa::Avx512).convRange, convKernel(Isa::Avx2).convRange);
    EXPECT_NE(convKernel(Isa::Avx2).convRange, convKernel(Isa::Baseline).convRange);
}

TEST_F(IsaTest, conv2d_runsTheActivePathUnlessTheOptionsSayOtherwise)
{
    // Separate multiplies and adds (SSE2) round differently from fused ones (AVX2's FMA): on
    // a deep enough reduction the bits differ, which tells which path ran.
    if (!cpuHas(Isa::Avx2))
        GTEST_SKIP() << "only the baseline path runs here";
    Conv2dParams p;
    p.inChannels = 32;
    p.outChannels = 4;
    p.kernel = {3, 3};
    p.padding = {1, 1};
    const Tensor x = randomTensor({32, 20, 37}, 1);
    const Tensor w = randomTensor({4, 32, 3, 3}, 2);
    auto run = [&](std::optional<Isa> isa) {
        Tensor out;
        ForwardOptions options;
        options.threads = 1;
        options.isa = isa;
        EXPECT_EQ(conv2d(x, w, nullptr, p, out, options), ForwardStatus::Done);
        return out;
    };
    auto same = [](const Tensor &a, const Tensor &b) {
        return a.data.size() == b.data.size()
               && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
    };
    const Tensor base = run(Isa::Baseline);
    const Tensor avx2 = run(Isa::Avx2);
    ASSERT_FALSE(same(base, avx2)) << "fused and unfused paths gave identical bits";

    setActiveIsa(Isa::Baseline);
    EXPECT_TRUE(same(run(std::nullopt), base));
    setActiveIsa(Isa::Avx2);
    EXPECT_TRUE(same(run(std::nullopt), avx2));
    if (cpuHas(Isa::Avx512)) {
        setActiveIsa(Isa::Avx512);
        EXPECT_TRUE(same(run(std::nullopt), run(Isa::Avx512)));
    }
}
