// SPDX-License-Identifier: GPL-3.0-or-later
// The command line, driven in-process through convscope::cli::runCli: exit codes (0 ok,
// 1 bad value, 2 usage error), what is printed, and that `conv` never leaves an output file
// behind when it fails.
#include "cli/cli.h"
#include "npy.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace convscope;
using convscope::test::hasSubstr;
using convscope::test::TempDir;

namespace {

struct Result {
    int code;
    std::string out;
    std::string err;
};

Result runArgs(const std::vector<std::string> &args)
{
    std::ostringstream out, err;
    const int code = cli::runCli(args, out, err);
    return {code, out.str(), err.str()};
}

std::string firstLine(const std::string &text)
{
    return text.substr(0, text.find('\n'));
}

const std::vector<std::string> kTutorial{
    "shape", "--input-shape", "40,40,32,32", "--out-channels", "100", "--kernel",
    "3",     "--stride",      "2",           "--padding",      "3"};

std::vector<std::string> tutorialWith(std::initializer_list<std::string> extra)
{
    std::vector<std::string> args = kTutorial;
    args.insert(args.end(), extra);
    return args;
}

// A conv job in a temporary folder: 1..9 as [1, 1, 3, 3] and a 3x3 ones kernel.
struct ConvJob {
    TempDir dir;
    std::string input = dir.file("x.npy");
    std::string weight = dir.file("w.npy");
    std::string output = dir.file("out.npy");

    ConvJob()
    {
        core::writeNpy(input, core::Tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
        core::writeNpy(weight, core::Tensor({1, 1, 3, 3}, 1.0f));
    }
    std::vector<std::string> args(std::initializer_list<std::string> extra) const
    {
        std::vector<std::string> a{"conv", "--input",  input, "--weight",
                                   weight, "--output", output};
        a.insert(a.end(), extra);
        return a;
    }
    bool outputExists() const { return std::filesystem::exists(output); }
};

} // namespace

// ---- top level ----

TEST(Cli, help_exitsZeroAndListsCommands)
{
    const Result r = runArgs({"--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_TRUE(hasSubstr(r.out, "conv"));
    EXPECT_TRUE(hasSubstr(r.out, "shape"));
}

TEST(Cli, version_exitsZeroAndPrintsTheName)
{
    const Result r = runArgs({"--version"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out.rfind("convscope ", 0), 0u) << r.out;
}

TEST(Cli, noArguments_asksForTheGui)
{
    EXPECT_EQ(runArgs({}).code, cli::kOpenGui);
}

TEST(Cli, unknownTopLevelOption_exitsTwoWithHint)
{
    const Result r = runArgs({"--frobnicate"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "unknown option '--frobnicate'"));
    EXPECT_TRUE(hasSubstr(r.err, "Try 'convscope --help'"));
}

TEST(Cli, mistypedCommand_exitsTwoWithTheNearestCommand)
{
    const Result r = runArgs({"shpae"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "unknown command 'shpae'; did you mean 'shape'?")) << r.err;
    EXPECT_EQ(runArgs({"cnov", "--help"}).code, 2); // never the GUI, whatever follows
}

TEST(Cli, unknownWord_exitsTwoListingTheCommands)
{
    const Result r = runArgs({"frobnicate"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "unknown command 'frobnicate' (commands: ")) << r.err;
    EXPECT_TRUE(hasSubstr(r.err, "shape")) << r.err;
}

TEST(Cli, existingFileWithoutExtension_opensTheGui)
{
    const TempDir dir;
    const std::string path = (dir.path() / "photo").string();
    std::ofstream(path) << "x";
    EXPECT_EQ(runArgs({path}).code, cli::kOpenGui);
    EXPECT_EQ(runArgs({"missing.png"}).code, cli::kOpenGui); // the window says what is wrong
}

TEST(Cli, helpCommand_printsThatCommandsUsageOrSuggests)
{
    const Result conv = runArgs({"help", "conv"});
    EXPECT_EQ(conv.code, 0);
    EXPECT_EQ(conv.out, runArgs({"conv", "--help"}).out);
    EXPECT_TRUE(hasSubstr(conv.out, "usage: convscope conv"));
    const Result typo = runArgs({"help", "cnov"});
    EXPECT_EQ(typo.code, 2);
    EXPECT_TRUE(hasSubstr(typo.err, "unknown command 'cnov'; did you mean 'conv'?"));
    EXPECT_TRUE(hasSubstr(runArgs({"help"}).out, "convscope help <command>"));
}

TEST(Cli, versionOnEveryCommand_exitsZeroWithTheVersion)
{
    for (const char *cmd : {"conv", "shape", "forward", "rf", "bench"}) {
        const Result r = runArgs({cmd, "--version"});
        EXPECT_EQ(r.code, 0) << cmd;
        EXPECT_EQ(firstLine(r.out), "convscope " + cli::version()) << cmd;
    }
    // After "--" it is an argument, not the option.
    EXPECT_EQ(runArgs({"conv", "--", "--version"}).code, 2);
}

TEST(Cli, doubleDash_endsTheOptions)
{
    EXPECT_EQ(runArgs({"--", "-odd-name.png"}).code, cli::kOpenGui);
    EXPECT_EQ(runArgs({"--", "a.png", "b.png"}).code, 2);
    const Result r = runArgs({"shape", "--input-shape", "1,1,8,8", "--out-channels", "1",
                              "--kernel", "3", "--", "--help"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "unexpected argument '--help'")) << r.err;
}

TEST(Cli, qtOptions_areLeftToQApplication)
{
    std::vector<std::string> args{"-style",   "fusion",        "--platform=offscreen",
                                  "-reverse", "-qwindowtitle", "Lecture 3",
                                  "photo.png"};
    cli::dropLeadingQtOptions(args);
    EXPECT_EQ(args, (std::vector<std::string>{"photo.png"}));
    std::vector<std::string> command{"conv", "-style", "fusion"};
    cli::dropLeadingQtOptions(command); // only leading ones: a command's arguments stay
    EXPECT_EQ(command.size(), 3u);
    std::vector<std::string> only{"-platform", "offscreen"};
    cli::dropLeadingQtOptions(only);
    EXPECT_TRUE(only.empty());
    EXPECT_EQ(runArgs(only).code, cli::kOpenGui);
}

TEST(Cli, subcommandHelp_exitsZeroWithUsage)
{
    for (const char *cmd : {"conv", "shape"}) {
        const Result r = runArgs({cmd, "--help"});
        EXPECT_EQ(r.code, 0) << cmd;
        EXPECT_TRUE(hasSubstr(r.out, std::string("usage: convscope ") + cmd));
    }
}

// ---- shape ----

TEST(CliShape, tutorialExample_printsTorchSizeFirst)
{
    const Result r = runArgs(kTutorial);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(firstLine(r.out), "torch.Size([40, 100, 18, 18])");
    EXPECT_TRUE(r.err.empty());
}

TEST(CliShape, tutorialExample_printsReprPaddingParametersAndMacs)
{
    const Result r = runArgs(kTutorial);
    // repr as torch prints it; 100*40*9 + 100 parameters; 40*100*18*18 outputs * 360 taps
    EXPECT_TRUE(
        hasSubstr(r.out, "Conv2d(40, 100, kernel_size=(3, 3), stride=(2, 2), padding=(3, 3))\n"));
    EXPECT_TRUE(hasSubstr(r.out, "top 3, bottom 3, left 3, right 3\n"));
    EXPECT_TRUE(hasSubstr(r.out, "parameters: 36100\n"));
    EXPECT_TRUE(hasSubstr(r.out, "MACs:       466560000\n"));
}

TEST(CliShape, sameEvenKernel_printsTheExtraPixelBottomRight)
{
    const Result r = runArgs({"shape", "--input-shape", "1,3,7,9", "--out-channels", "2",
                              "--kernel", "4,2", "--padding", "same"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(firstLine(r.out), "torch.Size([1, 2, 7, 9])");
    EXPECT_TRUE(hasSubstr(r.out, "top 1, bottom 2, left 0, right 1\n"));
}

TEST(CliShape, unbatchedInput_printsA3dSize)
{
    const Result r =
        runArgs({"shape", "--input-shape", "3,8,8", "--out-channels", "4", "--kernel", "3"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(firstLine(r.out), "torch.Size([4, 6, 6])");
}

TEST(CliShape, negativeDilation_isABadValueNotAnUnknownOption)
{
    const Result r = runArgs(tutorialWith({"--dilation", "-1,1"}));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "dilation should be greater than zero, but got [-1, 1]"));
    EXPECT_FALSE(hasSubstr(r.err, "unknown option"));
    EXPECT_TRUE(r.out.empty());
}

TEST(CliShape, unknownOption_exitsTwoWithUsageHint)
{
    const Result r = runArgs(tutorialWith({"--bogus", "1"}));
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "unknown option '--bogus'"));
    EXPECT_TRUE(hasSubstr(r.err, "Try 'convscope shape --help' for usage."));
}

TEST(CliShape, singleDashOption_isUnknown)
{
    EXPECT_EQ(runArgs(tutorialWith({"-x"})).code, 2);
}

TEST(CliShape, missingValue_exitsTwo)
{
    const Result r = runArgs({"shape", "--input-shape"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "needs a value"));
}

TEST(CliShape, missingRequiredOption_exitsTwo)
{
    const Result r = runArgs({"shape", "--input-shape", "1,3,8,8", "--kernel", "3"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "--out-channels"));
}

TEST(CliShape, repeatedOption_exitsTwo)
{
    EXPECT_EQ(runArgs(tutorialWith({"--stride", "1"})).code, 2);
}

TEST(CliShape, strayPositionalArgument_exitsTwo)
{
    EXPECT_EQ(runArgs(tutorialWith({"extra"})).code, 2);
}

TEST(CliShape, badValues_exitOneNamingTheValue)
{
    struct {
        std::vector<std::string> extra;
        std::string expect;
    } cases[] = {
        {{"--groups", "7"}, "divisible by groups"},
        {{"--padding", "full"}, "Invalid padding string: 'full'"},
        {{"--padding-mode", "foo"}, "'foo'"},
        {{"--stride", "1,2,3"}, "but got stride=[1, 2, 3]"},
        {{"--groups", "two"}, "'two'"},
        {{"--padding", "-1"}, "negative padding"},
    };
    for (const auto &c : cases) {
        std::vector<std::string> args = kTutorial;
        // replace a tutorial option rather than repeating it
        for (std::size_t i = 0; i + 1 < args.size(); ++i)
            if (args[i] == c.extra[0]) {
                args.erase(args.begin() + long(i), args.begin() + long(i) + 2);
                break;
            }
        args.insert(args.end(), c.extra.begin(), c.extra.end());
        const Result r = runArgs(args);
        EXPECT_EQ(r.code, 1) << c.extra[0] << " " << c.extra[1] << ": " << r.err;
        EXPECT_TRUE(hasSubstr(r.err, c.expect));
    }
}

TEST(CliShape, channelCountBeyondIntRange_exitsOneNamingTheCount)
{
    const Result r = runArgs(
        {"shape", "--input-shape", "1,3000000000,8,8", "--out-channels", "4", "--kernel", "3"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "3000000000 channels"));
}

TEST(CliShape, hugeSameDilation_exitsOneInsteadOfOverflowing)
{
    const Result r = runArgs({"shape", "--input-shape", "1,1,8,8", "--out-channels", "1",
                              "--kernel", "3", "--padding", "same", "--dilation", "2000000000"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "dilated kernel height is too large"));
}

TEST(CliConv, emptyBatch_writesAnEmptyOutputOfTheRightShape)
{
    ConvJob job;
    core::writeNpy(job.input, core::Tensor({0, 1, 3, 3}));
    const Result r = runArgs(job.args({"--padding", "1"}));
    ASSERT_EQ(r.code, 0) << r.err;
    const core::Tensor out = core::readNpy(job.output);
    EXPECT_EQ(out.shape, (core::Shape{0, 1, 3, 3}));
    EXPECT_TRUE(out.data.empty());
}

TEST(CliShape, inputShapeWithWrongRank_exitsOne)
{
    const Result r =
        runArgs({"shape", "--input-shape", "8,8", "--out-channels", "4", "--kernel", "3"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "8,8"));
}

// ---- conv ----

TEST(CliConv, zerosPadding_writesHandComputedSums)
{
    ConvJob job;
    const Result r = runArgs(job.args({"--padding", "1"}));
    ASSERT_EQ(r.code, 0) << r.err;
    // zero-padded 3x3 neighbourhood sums of 1..9
    EXPECT_EQ(core::readNpy(job.output),
              core::Tensor({1, 1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28}));
}

TEST(CliConv, biasFile_isAddedAndPresenceTurnsBiasOn)
{
    ConvJob job;
    const std::string bias = job.dir.file("b.npy");
    core::writeNpy(bias, core::Tensor({1}, {0.5f}));
    const Result r = runArgs(job.args({"--bias", bias, "--padding", "valid"}));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(core::readNpy(job.output), core::Tensor({1, 1, 1, 1}, {45.5f}));
}

TEST(CliConv, badDilation_exitsOneAndWritesNothing)
{
    ConvJob job;
    const Result r = runArgs(job.args({"--dilation", "-1,1"}));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "dilation"));
    EXPECT_FALSE(hasSubstr(r.err, "unknown option"));
    EXPECT_FALSE(job.outputExists());
}

TEST(CliConv, channelMismatch_exitsOneAndWritesNothing)
{
    ConvJob job;
    core::writeNpy(job.weight, core::Tensor({2, 3, 3, 3}, 1.0f));
    const Result r = runArgs(job.args({}));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "to have 3 channels, but got 1 channels instead"));
    EXPECT_FALSE(job.outputExists());
    EXPECT_EQ(job.dir.entryCount(), 2); // x.npy, w.npy: no temporary file either
}

TEST(CliConv, missingInputFile_exitsOneAndWritesNothing)
{
    ConvJob job;
    std::filesystem::remove(job.input);
    const Result r = runArgs(job.args({}));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, job.input));
    EXPECT_FALSE(job.outputExists());
}

TEST(CliConv, malformedWeightFile_exitsOneAndWritesNothing)
{
    ConvJob job;
    {
        std::ofstream f(job.weight, std::ios::binary | std::ios::trunc);
        f << "not numpy";
    }
    const Result r = runArgs(job.args({}));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(hasSubstr(r.err, "not a .npy file"));
    EXPECT_FALSE(job.outputExists());
}

TEST(CliConv, failedRun_leavesAnExistingOutputUntouched)
{
    ConvJob job;
    {
        std::ofstream f(job.output, std::ios::binary);
        f << "previous";
    }
    EXPECT_EQ(runArgs(job.args({"--stride", "0"})).code, 1);
    std::ifstream f(job.output, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "previous");
}

TEST(CliConv, existingOutput_isReplacedOnlyWithForce)
{
    ConvJob job;
    ASSERT_EQ(runArgs(job.args({})).code, 0);
    const Result again = runArgs(job.args({}));
    EXPECT_EQ(again.code, 1);
    EXPECT_TRUE(hasSubstr(again.err, "refusing to overwrite '" + job.output
                                         + "': it exists (--force replaces it)"))
        << again.err;
    EXPECT_EQ(runArgs(job.args({"--force", "--padding", "1"})).code, 0);
    EXPECT_EQ(core::readNpy(job.output).shape, (core::Shape{1, 1, 3, 3}));
}

TEST(CliConv, nonRegularOutput_isRefusedAndLeftAlone)
{
    ConvJob job;
    for (const std::string &path : {std::string("/dev/null"), job.dir.path().string()}) {
        const Result r = runArgs(
            {"conv", "--input", job.input, "--weight", job.weight, "--output", path, "--force"});
        EXPECT_EQ(r.code, 1) << path;
        EXPECT_TRUE(hasSubstr(r.err, "it is not a regular file")) << r.err;
        EXPECT_TRUE(hasSubstr(r.err, "'-' writes to standard output")) << r.err;
    }
    EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}

TEST(CliConv, dash_readsStandardInputAndWritesStandardOutput)
{
    ConvJob job;
    std::istringstream in(core::serializeNpy(core::readNpy(job.input)));
    std::streambuf *saved = std::cin.rdbuf(in.rdbuf());
    const Result r = runArgs({"conv", "--input", "-", "--weight", job.weight, "--output", "-"});
    std::cin.rdbuf(saved);
    ASSERT_EQ(r.code, 0) << r.err;
    const core::Tensor y = core::parseNpy(r.out, "stdout");
    EXPECT_EQ(y.shape, (core::Shape{1, 1, 1, 1}));
    EXPECT_EQ(y.data[0], 45.0f); // 1 + ... + 9 under a ones kernel
    EXPECT_FALSE(job.outputExists());
}

TEST(CliConv, outputIntoMissingFolder_exitsOne)
{
    ConvJob job;
    const Result r = runArgs({"conv", "--input", job.input, "--weight", job.weight, "--output",
                              job.dir.file("missing/out.npy")});
    EXPECT_EQ(r.code, 1);
    EXPECT_FALSE(std::filesystem::exists(job.dir.path() / "missing"));
}

TEST(CliConv, missingRequiredOption_exitsTwoAndWritesNothing)
{
    ConvJob job;
    const Result r = runArgs({"conv", "--input", job.input, "--output", job.output});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "--weight"));
    EXPECT_FALSE(job.outputExists());
}

TEST(CliConv, unknownOption_exitsTwoAndWritesNothing)
{
    ConvJob job;
    const Result r = runArgs(job.args({"--colour", "red"}));
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(hasSubstr(r.err, "Try 'convscope conv --help'"));
    EXPECT_FALSE(job.outputExists());
}

TEST(CliConv, negativeThreads_exitsOne)
{
    ConvJob job;
    EXPECT_EQ(runArgs(job.args({"--threads", "-1"})).code, 1);
    EXPECT_FALSE(job.outputExists());
}
