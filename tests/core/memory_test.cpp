// SPDX-License-Identifier: GPL-3.0-or-later
// The memory budget: what forward() holds at its peak, layer by layer, counted by hand; a
// network past the budget is refused at the layer where it does not fit, with the numbers;
// the budget follows CONVSCOPE_MEMORY_BUDGET_MB and a cgroup's memory.max.
#include "memory.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace convscope::core;

namespace {

constexpr std::int64_t kMB = std::int64_t{1} << 20;

// Conv2d(1, 4, 3, padding=1) -> ReLU -> Conv2d(4, 2, 1) on [1, 1, 32, 32].
Network twoConvs()
{
    Conv2dParams a;
    a.inChannels = 1;
    a.outChannels = 4;
    a.kernel = {3, 3};
    a.padding = {1, 1};
    Conv2dParams b;
    b.inChannels = 4;
    b.outChannels = 2;
    b.kernel = {1, 1};
    Network net = geometryNetwork({a, b});
    net.layers.insert(net.layers.begin() + 1, ReluLayer{});
    return net;
}

// Bytes of the fixed part: input 1024 floats, weights 36 + 4 and 8 + 2 floats.
constexpr std::int64_t kFixed = std::int64_t{4} * (1024 + 36 + 4 + 8 + 2);
constexpr std::int64_t kOut1 = std::int64_t{4} * 4096, kOut3 = std::int64_t{4} * 2048;

class BudgetEnv {
public:
    explicit BudgetEnv(const char *value)
    {
        if (const char *old = std::getenv("CONVSCOPE_MEMORY_BUDGET_MB"))
            m_old = old;
        if (value)
            setenv("CONVSCOPE_MEMORY_BUDGET_MB", value, 1);
        else
            unsetenv("CONVSCOPE_MEMORY_BUDGET_MB");
    }
    ~BudgetEnv()
    {
        if (m_old)
            setenv("CONVSCOPE_MEMORY_BUDGET_MB", m_old->c_str(), 1);
        else
            unsetenv("CONVSCOPE_MEMORY_BUDGET_MB");
    }

private:
    std::optional<std::string> m_old;
};

} // namespace

TEST(Memory, forwardPeak_isInputWeightsAndTheLayersLiveAtOnce)
{
    const Network net = twoConvs();
    const Shape in{1, 1, 32, 32};
    ASSERT_FALSE(validate(net, in));
    // Only the last output kept: the peak is at the ReLU (conv output + ReLU output).
    EXPECT_EQ(forwardPeakBytes(net, in), kFixed + kOut1 + kOut1);
    // Every output kept: at the last layer all three are held.
    EXPECT_EQ(forwardPeakBytes(net, in, {true, true, true}), kFixed + kOut1 + kOut1 + kOut3);
}

TEST(Memory, overBudget_isRefusedAtTheLayerWithTheNumbers)
{
    const Network net = twoConvs();
    const Shape in{1, 1, 32, 32};
    EXPECT_FALSE(checkMemory(net, in, kFixed + 2 * kOut1));
    const auto e = checkMemory(net, in, kFixed + 2 * kOut1 - 1);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->layer, 2u);
    EXPECT_EQ(e->conv, 2u); // the ReLU belongs to the Conv2d after it
    EXPECT_EQ(e->message(), "layer 2 (ReLU): the tensors need 1 MB at this layer, more than the "
                            "memory budget of 1 MB (CONVSCOPE_MEMORY_BUDGET_MB sets it)");
    // A 24 MP photo through 64 channels against a 1 GB budget.
    Conv2dParams big;
    big.inChannels = 3;
    big.outChannels = 64;
    big.kernel = {3, 3};
    const auto photo = checkMemory(geometryNetwork({big}), {1, 3, 4000, 6000}, 1024 * kMB);
    ASSERT_TRUE(photo);
    EXPECT_EQ(photo->error.message, "the tensors need 6,130 MB at this layer, more than the "
                                    "memory budget of 1,024 MB (CONVSCOPE_MEMORY_BUDGET_MB sets "
                                    "it)");
}

TEST(Memory, budget_followsTheEnvironmentAndTheMachine)
{
    {
        BudgetEnv env("300");
        EXPECT_EQ(memoryBudgetBytes(), 300 * kMB);
    }
    for (const char *bad : {"0", "-5", "lots", "", "99999999999999999999"}) {
        BudgetEnv env(bad);
        EXPECT_EQ(memoryBudgetBytes(), availableMemoryBytes() / 2) << bad;
    }
    BudgetEnv none(nullptr);
    EXPECT_GT(memoryBudgetBytes(), 0);
    EXPECT_EQ(memoryBudgetBytes(), availableMemoryBytes() / 2);
}

TEST(Memory, cgroupLimit_readsBytesOrMax)
{
    EXPECT_EQ(cgroupMemoryLimit("4294967296"), std::int64_t{4} << 30);
    EXPECT_FALSE(cgroupMemoryLimit("max"));
    EXPECT_FALSE(cgroupMemoryLimit(""));
    EXPECT_FALSE(cgroupMemoryLimit("12k"));
    EXPECT_FALSE(cgroupMemoryLimit("99999999999999999999"));
}

TEST(Memory, megabytes_roundUpWithSeparators)
{
    EXPECT_EQ(formatMegabytes(1), "1 MB");
    EXPECT_EQ(formatMegabytes(kMB), "1 MB");
    EXPECT_EQ(formatMegabytes(kMB + 1), "2 MB");
    EXPECT_EQ(formatMegabytes(5000 * kMB), "5,000 MB");
    EXPECT_EQ(formatMegabytes(1234567 * kMB), "1,234,567 MB");
}
