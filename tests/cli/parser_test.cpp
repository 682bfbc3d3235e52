// SPDX-License-Identifier: GPL-3.0-or-later
// The CLI parser rejects what cannot reach Conv2dParams, in PyTorch's words.
#include "cli/args.h"
#include "cli/cli.h"
#include "conv2dparams.h"
#include "test_util.h"

#include <gtest/gtest.h>

using namespace convscope::core;
using convscope::test::hasSubstr;

TEST(ParserConformance, strideWithThreeValues_isRejectedByTheParserInTorchsWords)
{
    // A 3-value stride cannot reach Conv2dParams (it holds a pair): the CLI parser rejects it.
    try {
        convscope::cli::parsePair("1,2,3", "stride");
        FAIL() << "parsePair accepted three values";
    } catch (const convscope::cli::ValueError &e) {
        EXPECT_TRUE(hasSubstr(e.what(), "expected stride to be a single integer value or a list "
                                        "of 2 values to match the convolution dimensions, but "
                                        "got stride=[1, 2, 3]"));
    }
}

TEST(ParserConformance, unknownPaddingString_isRejectedByTheParser)
{
    // 'full' cannot reach Conv2dParams (PaddingKind has no such value): the CLI rejects it.
    const auto args =
        convscope::cli::parseArgs({"--padding", "full"}, convscope::cli::convOptionSpecs(), "conv");
    Conv2dParams p;
    try {
        convscope::cli::applyConvOptions(args, p);
        FAIL() << "padding 'full' accepted";
    } catch (const convscope::cli::ValueError &e) {
        EXPECT_TRUE(hasSubstr(e.what(), "Invalid padding string: 'full'"));
    }
}

TEST(ParserConformance, unknownPaddingMode_isRejectedByTheParser)
{
    EXPECT_FALSE(parsePaddingMode("foo").has_value());
    const auto args = convscope::cli::parseArgs({"--padding-mode", "foo"},
                                                convscope::cli::convOptionSpecs(), "conv");
    Conv2dParams p;
    try {
        convscope::cli::applyConvOptions(args, p);
        FAIL() << "padding mode 'foo' accepted";
    } catch (const convscope::cli::ValueError &e) {
        EXPECT_TRUE(hasSubstr(e.what(), "padding mode 'foo'"));
    }
}
