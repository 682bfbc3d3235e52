// SPDX-License-Identifier: GPL-3.0-or-later
// core::validate against every rejection in ../shared/conformance/invalid_cases.json (the
// configurations and torch 1.13's messages are copied here so the project stands alone),
// plus the module-level (params-only) checks and configurations that must pass.
#include "test_util.h"
#include "validate.h"

#include <gtest/gtest.h>

using namespace convscope::core;
using convscope::test::hasSubstr;

namespace {

// The functional path of the conformance kit: tensors of the given shapes plus flags.
struct Case {
    Shape input{1, 2, 8, 8};
    Shape weight{4, 2, 3, 3};
    std::optional<Shape> bias = Shape{4};
    Conv2dParams p;
};

std::optional<ValidationError> check(const Case &c)
{
    return validate(c.p, c.input, c.weight, c.bias ? &*c.bias : nullptr);
}

Case withPadding(Hw padding, PaddingMode mode)
{
    Case c;
    c.p.padding = padding;
    c.p.paddingMode = mode;
    return c;
}

Conv2dParams module(int in, int out, Hw kernel, int groups = 1)
{
    Conv2dParams p;
    p.inChannels = in;
    p.outChannels = out;
    p.kernel = kernel;
    p.groups = groups;
    return p;
}

} // namespace

// ---- the 18 invalid conformance cases ----

TEST(ValidateConformance, inChannelsNotDivisibleByGroups_namesBothChannelCounts)
{
    Case c;
    c.input = {1, 5, 8, 8};
    c.p.groups = 2;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_EQ(e->message, "Given groups=2, weight of size [4, 2, 3, 3], expected input[1, 5, 8, "
                          "8] to have 4 channels, but got 5 channels instead");
}

TEST(ValidateConformance, depthwiseGroupsMismatch_namesExpectedChannels)
{
    Case c;
    c.input = {1, 6, 8, 8};
    c.weight = {6, 1, 3, 3};
    c.bias = Shape{6};
    c.p.groups = 3;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_EQ(e->message, "Given groups=3, weight of size [6, 1, 3, 3], expected input[1, 6, 8, "
                          "8] to have 3 channels, but got 6 channels instead");
}

TEST(ValidateConformance, negativeGroups_isRejectedWithTheValue)
{
    Case c;
    c.p.groups = -2;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_TRUE(hasSubstr(e->message, "non-positive groups is not supported"));
    EXPECT_TRUE(hasSubstr(e->message, "-2"));
}

TEST(ValidateConformance, zeroGroups_isRejected)
{
    Case c;
    c.p.groups = 0;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_TRUE(hasSubstr(e->message, "groups=0"));
}

TEST(ValidateConformance, weightWithZeroOutChannels_isRejected)
{
    Case c;
    c.weight = {0, 2, 3, 3};
    c.bias.reset();
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Weight);
    EXPECT_EQ(e->message, "Given groups=1, expected weight to be at least 1 at dimension 0, but "
                          "got weight of size [0, 2, 3, 3] instead");
}

TEST(ValidateConformance, zeroStrideWidth_isRejectedWithTheStride)
{
    Case c;
    c.p.stride = {1, 0};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Stride);
    EXPECT_TRUE(hasSubstr(e->message, "non-positive stride is not supported"));
    EXPECT_TRUE(hasSubstr(e->message, "[1, 0]"));
}

TEST(ValidateConformance, negativeStrideHeight_isRejected)
{
    Case c;
    c.p.stride = {-1, 1};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Stride);
    EXPECT_TRUE(hasSubstr(e->message, "[-1, 1]"));
}

TEST(ValidateConformance, sameWithStride_isRejectedWithTheStride)
{
    Case c;
    c.p.paddingKind = PaddingKind::Same;
    c.p.stride = {1, 2};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Padding);
    EXPECT_TRUE(hasSubstr(e->message, "padding='same' is not supported for strided convolutions"));
    EXPECT_TRUE(hasSubstr(e->message, "[1, 2]"));
}

TEST(ValidateConformance, negativeDilation_isRejectedWithTheDilation)
{
    Case c;
    c.p.dilation = {-1, 1};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Dilation);
    EXPECT_EQ(e->message, "dilation should be greater than zero, but got [-1, 1]");
}

TEST(ValidateConformance, reflectPaddingAboveHeight_namesPaddingAndDimension)
{
    Case c = withPadding({3, 1}, PaddingMode::Reflect);
    c.input = {1, 2, 2, 8};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Padding);
    // torch: "... but got: padding (3, 3) at dimension 2 of input 4"
    EXPECT_TRUE(hasSubstr(e->message, "padding (3, 3) at dimension 2"));
    EXPECT_TRUE(hasSubstr(e->message, "reflect"));
}

TEST(ValidateConformance, circularPaddingAboveSize_saysItWrapsMoreThanOnce)
{
    Case c = withPadding({4, 4}, PaddingMode::Circular);
    c.input = {1, 2, 3, 3};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Padding);
    EXPECT_TRUE(hasSubstr(e->message, "wrapping around more than once"));
    EXPECT_TRUE(hasSubstr(e->message, "padding (4, 4)"));
}

TEST(ValidateConformance, kernelWiderThanInput_usesTorchsMessage)
{
    Case c;
    c.input = {1, 2, 8, 4};
    c.weight = {4, 2, 3, 5};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Kernel);
    EXPECT_EQ(e->message, "Calculated padded input size per channel: (8 x 4). Kernel size: (3 x "
                          "5). Kernel size can't be greater than actual input size");
}

TEST(ValidateConformance, validKernelLargerThanInput_usesTorchsMessage)
{
    Case c;
    c.input = {1, 2, 2, 2};
    c.p.paddingKind = PaddingKind::Valid;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Kernel);
    EXPECT_EQ(e->message, "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x "
                          "3). Kernel size can't be greater than actual input size");
}

TEST(ValidateConformance, zeroKernelHeight_usesTorchsMessage)
{
    Case c;
    c.weight = {4, 2, 0, 3};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Kernel);
    EXPECT_EQ(e->message,
              "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 3");
}

TEST(ValidateConformance, biasOfWrongLength_usesTorchsMessage)
{
    Case c;
    c.bias = Shape{5};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Bias);
    EXPECT_EQ(e->message, "Given weight of size [4, 2, 3, 3], expected bias to be 1-dimensional "
                          "with 4 elements, but got bias of size [5] instead");
}

TEST(ValidateConformance, input2d_usesTorchsMessage)
{
    Case c;
    c.input = {8, 8};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Input);
    EXPECT_EQ(e->message, "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input "
                          "of size: [8, 8]");
}

TEST(ValidateConformance, weight3d_namesTheWeightShape)
{
    // torch's own message here is about stride (it infers a 1-D conv); ours names the weight.
    Case c;
    c.weight = {4, 2, 3};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Weight);
    EXPECT_TRUE(hasSubstr(e->message, "[4, 2, 3]"));
    EXPECT_TRUE(hasSubstr(e->message, "4-dimensional"));
}

// ---- further rejections of the functional path ----

TEST(Validate, input5d_isRejected)
{
    Case c;
    c.input = {1, 1, 2, 8, 8};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Input);
    EXPECT_TRUE(hasSubstr(e->message, "[1, 1, 2, 8, 8]"));
}

TEST(Validate, negativePaddingInZerosMode_isRejected)
{
    const auto e = check(withPadding({-1, 0}, PaddingMode::Zeros));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Padding);
    EXPECT_TRUE(hasSubstr(e->message, "negative padding is not supported"));
    EXPECT_TRUE(hasSubstr(e->message, "[-1, 0]"));
}

TEST(Validate, negativePaddingInNonZeroModes_isRejectedOnPurpose)
{
    // A documented deviation: PyTorch would crop; convscope rejects.
    for (auto m : {PaddingMode::Reflect, PaddingMode::Replicate, PaddingMode::Circular}) {
        const auto e = check(withPadding({0, -1}, m));
        ASSERT_TRUE(e) << toString(m);
        EXPECT_EQ(e->field, Field::Padding);
    }
}

TEST(Validate, weightOutChannelsNotDivisibleByGroups_isRejected)
{
    Case c;
    c.input = {1, 2, 8, 8};
    c.weight = {5, 1, 3, 3};
    c.bias = Shape{5};
    c.p.groups = 2;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_TRUE(hasSubstr(e->message, "expected weight to be divisible by 2 at dimension 0"));
    EXPECT_TRUE(hasSubstr(e->message, "[5, 1, 3, 3]"));
}

TEST(Validate, groupsLargerThanOutChannels_isRejected)
{
    Case c;
    c.input = {1, 4, 8, 8};
    c.weight = {2, 1, 3, 3};
    c.bias = Shape{2};
    c.p.groups = 4;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_TRUE(hasSubstr(e->message, "expected weight to be at least 4 at dimension 0"));
}

TEST(Validate, weightWithZeroInputChannels_isRejected)
{
    Case c;
    c.input = {1, 0, 8, 8};
    c.weight = {4, 0, 3, 3};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Weight);
}

TEST(Validate, bias2d_isRejected)
{
    Case c;
    c.bias = Shape{4, 1};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Bias);
    EXPECT_TRUE(hasSubstr(e->message, "[4, 1]"));
}

TEST(Validate, reflectPaddingEqualToSize_isRejected)
{
    Case c = withPadding({0, 4}, PaddingMode::Reflect);
    c.input = {1, 2, 8, 4};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Padding);
    EXPECT_TRUE(hasSubstr(e->message, "padding (4, 4) at dimension 3"));
}

TEST(Validate, reflectPaddingOneBelowSize_isAccepted)
{
    Case c = withPadding({0, 3}, PaddingMode::Reflect);
    c.input = {1, 2, 8, 4};
    EXPECT_FALSE(check(c));
}

TEST(Validate, reflectSameEvenKernel_checksTheLargerBottomSide)
{
    // kernel (4, 1) 'same': height padding (1, 2); an input of height 2 reflects 2 >= 2.
    Case c;
    c.input = {1, 2, 2, 8};
    c.weight = {4, 2, 4, 1};
    c.p.paddingKind = PaddingKind::Same;
    c.p.paddingMode = PaddingMode::Reflect;
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Padding);
    EXPECT_TRUE(hasSubstr(e->message, "padding (1, 2)"));
    c.input = {1, 2, 3, 8};
    EXPECT_FALSE(check(c));
}

TEST(Validate, circularPaddingEqualToSize_isAccepted)
{
    Case c = withPadding({3, 3}, PaddingMode::Circular);
    c.input = {1, 2, 3, 3};
    EXPECT_FALSE(check(c));
}

TEST(Validate, replicatePaddingFarLargerThanInput_isAccepted)
{
    Case c = withPadding({10, 10}, PaddingMode::Replicate);
    c.input = {1, 2, 2, 2};
    EXPECT_FALSE(check(c));
}

TEST(Validate, paddingRescuesAKernelLargerThanTheInput)
{
    // 2x2 input padded by 1 is 4x4: a 3x3 kernel fits.
    Case c = withPadding({1, 1}, PaddingMode::Zeros);
    c.input = {1, 2, 2, 2};
    EXPECT_FALSE(check(c));
}

TEST(Validate, dilatedKernelLargerThanInput_reportsTheDilatedSize)
{
    // kernel 3 dilated by 4 spans 9 > 8
    Case c;
    c.p.dilation = {4, 1};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Kernel);
    EXPECT_TRUE(hasSubstr(e->message, "Kernel size: (9 x 3)"));
}

TEST(Validate, stridedConfigurations_areAccepted)
{
    Case c;
    c.p.stride = {3, 2};
    c.p.padding = {1, 0};
    EXPECT_FALSE(check(c));
}

TEST(Validate, emptyBatchUnbatchedAndDepthwise_areAccepted)
{
    Case c;
    c.input = {0, 2, 8, 8};
    EXPECT_FALSE(check(c));
    c.input = {2, 8, 8};
    EXPECT_FALSE(check(c));
    Case dw;
    dw.input = {1, 6, 5, 5};
    dw.weight = {12, 1, 3, 3};
    dw.bias.reset();
    dw.p.groups = 6;
    dw.p.paddingKind = PaddingKind::Same;
    dw.p.paddingMode = PaddingMode::Circular;
    EXPECT_FALSE(check(dw));
}

TEST(Validate, dilatedKernelBeyondIntRange_isRejectedBeforeAnyPaddingArithmetic)
{
    // dilation 2e9 * (3 - 1) + 1 does not fit an int; 'same' would overflow computing it.
    Case c;
    c.p.paddingKind = PaddingKind::Same;
    c.p.dilation = {2000000000, 1};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Dilation);
    EXPECT_TRUE(hasSubstr(e->message, "dilation 2000000000 and kernel_size 3"));
    c.p.paddingKind = PaddingKind::Explicit;
    c.p.dilation = {1, 1073741824}; // 2^30 * 2 + 1 > 2^31 - 1
    const auto w = check(c);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->field, Field::Dilation);
    EXPECT_TRUE(hasSubstr(w->message, "width"));
}

TEST(Validate, negativeInputDimension_isRejected)
{
    Case c;
    c.input = {1, 2, -8, 8};
    const auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Input);
}

// ---- the params-only overload (nn.Conv2d's constructor checks, then the forward checks) ----

TEST(ValidateModule, inChannelsNotDivisibleByGroups_namesBoth)
{
    const auto e = validate(module(5, 4, {3, 3}, 2), {1, 5, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_TRUE(hasSubstr(e->message, "in_channels must be divisible by groups"));
    EXPECT_TRUE(hasSubstr(e->message, "in_channels=5"));
    EXPECT_TRUE(hasSubstr(e->message, "groups=2"));
}

TEST(ValidateModule, outChannelsNotDivisibleByGroups_namesBoth)
{
    const auto e = validate(module(4, 5, {3, 3}, 2), {1, 4, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_TRUE(hasSubstr(e->message, "out_channels must be divisible by groups"));
    EXPECT_TRUE(hasSubstr(e->message, "out_channels=5"));
}

TEST(ValidateModule, zeroKernel_isRejectedAsKernel)
{
    const auto e = validate(module(2, 4, {3, 0}), {1, 2, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Kernel);
    EXPECT_TRUE(hasSubstr(e->message, "kernel_height: 3 kernel_width: 0"));
}

TEST(ValidateModule, nonPositiveChannels_markTheChannelField)
{
    auto e = validate(module(0, 4, {3, 3}), {1, 0, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::InChannels);
    EXPECT_TRUE(hasSubstr(e->message, "got 0"));
    e = validate(module(2, -1, {3, 3}), {1, 2, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::OutChannels);
    EXPECT_TRUE(hasSubstr(e->message, "got -1"));
}

TEST(ValidateModule, nonPositiveGroups_isRejectedBeforeDividing)
{
    const auto e = validate(module(4, 4, {3, 3}, 0), {1, 4, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
}

TEST(ValidateModule, inputChannelsDifferFromModule_isRejected)
{
    const auto e = validate(module(3, 4, {3, 3}), {1, 2, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Groups);
    EXPECT_TRUE(hasSubstr(e->message, "to have 3 channels, but got 2 channels instead"));
}

TEST(ValidateModule, kernelLargerThanInput_isRejected)
{
    const auto e = validate(module(2, 4, {5, 5}), {1, 2, 3, 3});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Kernel);
}

TEST(ValidateModule, sameWithStride_isRejected)
{
    Conv2dParams p = module(2, 4, {3, 3});
    p.paddingKind = PaddingKind::Same;
    p.stride = {2, 2};
    const auto e = validate(p, {1, 2, 8, 8});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Padding);
}

TEST(ValidateModule, validConfigurations_returnNullopt)
{
    EXPECT_FALSE(validate(module(40, 100, {3, 3}), {40, 40, 32, 32}));
    Conv2dParams dw = module(8, 16, {3, 3}, 8);
    dw.paddingKind = PaddingKind::Same;
    dw.paddingMode = PaddingMode::Reflect;
    dw.bias = false;
    EXPECT_FALSE(validate(dw, {2, 8, 5, 5}));
    EXPECT_FALSE(validate(module(3, 4, {1, 7}), {3, 1, 7}));
    EXPECT_FALSE(validate(module(3, 4, {3, 3}), {0, 3, 3, 3}));
}

TEST(ValidateSizeLimits, hugePadding_rejectedBeforeAllocation)
{
    Conv2dParams p;
    p.padding = {100000, 100000};
    const auto e = validate(p, Shape{1, 1, 8, 8}, Shape{1, 1, 3, 3}, nullptr);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->field, Field::Padding);
    EXPECT_NE(e->message.find("2^31 elements"), std::string::npos) << e->message;
}

TEST(ValidateSizeLimits, absurdInputShape_rejectedWithoutOverflow)
{
    Conv2dParams p;
    p.inChannels = 100000;
    p.outChannels = 1;
    const auto e = validate(p, Shape{100000, 100000, 100000, 100000});
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->field, Field::Input);
}

TEST(ValidateSizeLimits, largePhoto_accepted)
{
    Conv2dParams p;
    p.inChannels = 3;
    p.outChannels = 64;
    p.padding = {1, 1};
    EXPECT_FALSE(validate(p, Shape{1, 3, 2160, 3840}).has_value());
}

TEST(Validate, emptySpatialInput_isRejectedAsPyTorchDoes)
{
    // torch 1.13's messages: the convolution refuses an empty map unless the batch is empty;
    // replicate's F.pad refuses it even then. Reflect and circular refuse it as a padding
    // wider than the input.
    Case c = withPadding({2, 2}, PaddingMode::Zeros);
    c.input = {1, 2, 0, 8};
    auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Input);
    EXPECT_EQ(e->message, "Only zero batch or zero channel inputs are supported, but got input "
                          "shape: [1, 2, 0, 8]");
    c.input = {2, 8, 0}; // unbatched: PyTorch names the shape with its batch of one
    e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->message, "Only zero batch or zero channel inputs are supported, but got input "
                          "shape: [1, 2, 8, 0]");
    c.input = {0, 2, 0, 8}; // an empty batch is still fine
    EXPECT_FALSE(check(c));

    Case r = withPadding({1, 1}, PaddingMode::Replicate);
    for (const Shape &in : {Shape{1, 2, 0, 8}, Shape{1, 2, 8, 0}, Shape{0, 2, 0, 8}}) {
        r.input = in;
        e = check(r);
        ASSERT_TRUE(e) << formatShape(in);
        EXPECT_EQ(e->field, Field::Input);
        EXPECT_EQ(e->message, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                              "and other non-zero dimensions for input, but got: "
                                  + formatShape(in));
    }
    for (const PaddingMode m : {PaddingMode::Reflect, PaddingMode::Circular}) {
        Case q = withPadding({1, 1}, m);
        q.input = {1, 2, 0, 8};
        EXPECT_TRUE(check(q));
    }
}

TEST(ValidateSizeLimits, refusal_quotesTheExactElementCount)
{
    Conv2dParams p;
    p.padding = {100000, 100000};
    const auto e = validate(p, Shape{1, 1, 8, 8}, Shape{1, 1, 3, 3}, nullptr);
    ASSERT_TRUE(e);
    EXPECT_TRUE(hasSubstr(e->message, "[1, 1, 200008, 200008] would have 40003200064 elements"))
        << e->message;
}

TEST(ValidateSizeLimits, shapeBeyondInt64_isRefusedWithoutOverflow)
{
    // 2e27 input elements: the count used to go through a double and an out-of-range cast.
    Case c;
    c.input = {1000000000, 2, 1000000000, 1000000000};
    auto e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Input);
    EXPECT_TRUE(hasSubstr(e->message, "would have more than 9223372036854775807 elements"))
        << e->message;
    // A weight whose count does not fit an int64 either.
    c = Case{};
    c.weight = {std::int64_t{1} << 62, 2, 3, 3};
    c.bias.reset();
    e = check(c);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->field, Field::Weight);
    EXPECT_TRUE(hasSubstr(e->message, "weight of size [4611686018427387904, 2, 3, 3] would have "
                                      "more than 9223372036854775807 elements"))
        << e->message;
}
