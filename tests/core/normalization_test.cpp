// SPDX-License-Identifier: GPL-3.0-or-later
// Input normalisation against torchvision's transforms.Normalize (fixtures from
// tests/data/make_normalize_fixtures.py) and its one validation.
#include "normalization.h"
#include "npy.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

using namespace convscope::core;
using convscope::test::hasSubstr;

namespace {

const std::string kDir = std::string(CONVSCOPE_TEST_DATA) + "/fixtures/normalize/";

bool sameBits(const Tensor &a, const Tensor &b)
{
    return a.shape == b.shape
           && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

std::string refused(const InputNormalization &n, int channels = -1)
{
    const auto e = validate(n, channels);
    return e ? e->message : "accepted";
}

} // namespace

TEST(Normalization, imagenet_equalsTorchvisionBitForBit)
{
    const Tensor x = readNpy(kDir + "input3.npy");
    const Tensor want = readNpy(kDir + "imagenet.npy");
    const InputNormalization n = imagenetNormalization();
    ASSERT_FALSE(validate(n, x.shape));
    Tensor y;
    normalizeInput(n, x, y);
    EXPECT_TRUE(sameBits(y, want));
    Tensor inPlace = x;
    normalizeInput(n, inPlace, inPlace);
    EXPECT_TRUE(sameBits(inPlace, want));
    EXPECT_EQ(torchRepr(n), "Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])");
}

TEST(Normalization, customUnbatched_equalsTorchAndItsGradient)
{
    const Tensor x = readNpy(kDir + "input2.npy");
    const InputNormalization n{{0.5, -1.25}, {0.3, 2.0}};
    ASSERT_FALSE(validate(n, x.shape));
    Tensor y;
    normalizeInput(n, x, y);
    EXPECT_TRUE(sameBits(y, readNpy(kDir + "custom.npy")));
    // d sum(w * y) / dx with w = 1 + index: w / std, as torch.autograd gives it.
    Tensor g(x.shape);
    for (std::size_t i = 0; i < g.data.size(); ++i)
        g.data[i] = static_cast<float>(i + 1);
    normalizeGradient(n, g);
    EXPECT_TRUE(sameBits(g, readNpy(kDir + "custom_grad.npy")));
    EXPECT_EQ(torchRepr(n), "Normalize(mean=[0.5, -1.25], std=[0.3, 2.0])");
}

TEST(Normalization, validation_namesTheValueAndTheExpectation)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_TRUE(hasSubstr(refused({{0.5}, {0.0}}), "but got std[0]=0.0"));
    EXPECT_TRUE(hasSubstr(refused({{0.5, 0.5}, {1.0, -2.0}}), "std > 0"));
    EXPECT_TRUE(hasSubstr(refused({{0.5}, {1e-50}}), "std[0]=1e-50, which is 0 in float32"));
    EXPECT_TRUE(hasSubstr(refused({{0.5}, {nan}}), "std[0]=nan"));
    EXPECT_TRUE(
        hasSubstr(refused({{inf}, {1.0}}), "finite mean for every channel, but got mean[0]=inf"));
    EXPECT_TRUE(hasSubstr(refused({{1e300}, {1.0}}), "mean[0]=1e+300"));
    EXPECT_TRUE(hasSubstr(refused({{0.5, 0.5}, {1.0}}), "2 mean and 1 std values"));
    EXPECT_TRUE(hasSubstr(refused({{}, {}}), "one value per input channel"));
    EXPECT_TRUE(hasSubstr(refused(imagenetNormalization(), 1),
                          "one mean and one std value per input channel (1), but got 3"));
    EXPECT_EQ(refused(imagenetNormalization(), 3), "accepted");
    const auto e = validate(imagenetNormalization(), Shape{1, 4, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_TRUE(hasSubstr(e->message, "per input channel (4), but got 3"));
    EXPECT_FALSE(validate(imagenetNormalization(), Shape{3, 8, 8}));
    EXPECT_TRUE(validate(imagenetNormalization(), Shape{8, 8}));
}
