// SPDX-License-Identifier: GPL-3.0-or-later
// `convscope bench`: the configs.json reader and the JSON output compare.py parses.
#include "cli/args.h"
#include "cli/bench.h"
#include "cli/cli.h"

#include "isa.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

using namespace convscope::cli;

namespace {

const char *kOneConfig = R"({"note": "x", "configs": [
  {"name": "tiny", "N": 1, "C_in": 3, "H": 20, "W": 24, "C_out": 4, "k": 3, "stride": 1,
   "padding": 1, "dilation": 1, "groups": 1}]})";

std::string errorOf(const std::string &json)
{
    try {
        parseBenchConfigs(json);
    } catch (const ValueError &e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(Bench, parsesTheSharedConfigFormat)
{
    const auto configs = parseBenchConfigs(kOneConfig);
    ASSERT_EQ(configs.size(), 1u);
    EXPECT_EQ(configs[0].name, "tiny");
    EXPECT_EQ(configs[0].inChannels, 3);
    EXPECT_EQ(configs[0].width, 24);
    EXPECT_EQ(configs[0].kernel, 3);
    EXPECT_EQ(configs[0].padding, 1);
}

TEST(Bench, rejectsMalformedFilesWithAClearMessage)
{
    EXPECT_NE(errorOf(R"({"configs": [)").find("malformed JSON at byte"), std::string::npos);
    EXPECT_NE(errorOf(R"({"configs": []} x)").find("unexpected text after"), std::string::npos);
    EXPECT_NE(errorOf(R"({"configs": [{"name": "a"}]})").find("missing field \"N\""),
              std::string::npos);
    EXPECT_NE(errorOf(R"([1, 2])").find("\"configs\" array"), std::string::npos);
    const std::string frac = R"({"configs": [{"name": "a", "N": 1.5, "C_in": 3, "H": 8, "W": 8,
        "C_out": 4, "k": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 1}]})";
    EXPECT_NE(errorOf(frac).find("\"N\" must be an integer"), std::string::npos);
    const std::string badGroups = R"({"configs": [{"name": "a", "N": 1, "C_in": 3, "H": 8, "W": 8,
        "C_out": 4, "k": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 2}]})";
    EXPECT_NE(errorOf(badGroups).find("groups"), std::string::npos);
}

TEST(Bench, jsonOutputNamesEveryResult)
{
    // The pid keeps two test runs at once (two build trees) off each other's file.
    const std::string path =
        ::testing::TempDir() + "convscope_bench_test_" + std::to_string(getpid()) + ".json";
    std::ofstream(path) << kOneConfig;
    std::ostringstream out, err;
    const int code = runCli(
        {"bench", "--config-file", path, "--only", "tiny", "--threads", "1", "--json"}, out, err);
    EXPECT_EQ(code, 0) << err.str();
    const std::string s = out.str();
    // The path that ran comes first, so a comparison knows which instruction set it timed.
    EXPECT_EQ(s.rfind("{\"isa\": \"" + convscope::core::isaName(convscope::core::activeIsa())
                          + "\", \"results\": [{\"name\": \"tiny\", \"median_ms\": ",
                      0),
              0u)
        << s;
    EXPECT_NE(s.find("\"runs\": "), std::string::npos) << s;
    std::ostringstream out2, err2;
    EXPECT_EQ(runCli({"bench", "--config-file", path, "--only", "nope"}, out2, err2), 1);
    EXPECT_NE(err2.str().find("no configuration named 'nope'"), std::string::npos) << err2.str();
    std::remove(path.c_str());
}

TEST(Bench, withoutAConfigFile_runsTheStandardConfigurations)
{
    std::ostringstream out, err;
    ASSERT_EQ(runCli({"bench", "--only", "tiny", "--threads", "1", "--json"}, out, err), 0)
        << err.str();
    EXPECT_NE(out.str().find("{\"name\": \"tiny\", \"median_ms\": "), std::string::npos);
    std::ostringstream out2, err2;
    EXPECT_EQ(runCli({"bench", "--only", "nope"}, out2, err2), 1);
    EXPECT_NE(err2.str().find("no configuration named 'nope' in the standard configurations"),
              std::string::npos)
        << err2.str();
}

TEST(Bench, standardConfigurations_areTheSharedKitsWhenItIsThere)
{
    const std::string shared =
        std::string(CONVSCOPE_TEST_DATA) + "/../../../shared/bench/configs.json";
    std::ifstream f(shared, std::ios::binary);
    if (!f)
        GTEST_SKIP() << "no " << shared
                     << " (the shared kit is beside the project only on the "
                        "developers' machines)";
    std::ostringstream text;
    text << f.rdbuf();
    const std::vector<BenchConfig> kit = parseBenchConfigs(text.str());
    const std::vector<BenchConfig> &ours = standardBenchConfigs();
    ASSERT_EQ(kit.size(), ours.size());
    for (std::size_t i = 0; i < kit.size(); ++i) {
        SCOPED_TRACE(kit[i].name);
        EXPECT_EQ(ours[i].name, kit[i].name);
        EXPECT_EQ(
            std::vector<std::int64_t>({ours[i].n, ours[i].inChannels, ours[i].height, ours[i].width,
                                       ours[i].outChannels, ours[i].kernel, ours[i].stride,
                                       ours[i].padding, ours[i].dilation, ours[i].groups}),
            std::vector<std::int64_t>({kit[i].n, kit[i].inChannels, kit[i].height, kit[i].width,
                                       kit[i].outChannels, kit[i].kernel, kit[i].stride,
                                       kit[i].padding, kit[i].dilation, kit[i].groups}));
    }
}

TEST(Bench, network_timesTheWholeForwardAndSaysWhatRan)
{
    const std::string net =
        std::string(CONVSCOPE_TEST_DATA) + "/fixtures/gradients/vgg_like_centre/net.txt";
    std::ostringstream out, err;
    ASSERT_EQ(runCli({"bench", "--network", net, "--input-shape", "1,3,16,16", "--threads", "1",
                      "--seed", "3", "--json"},
                     out, err),
              0)
        << err.str();
    const std::string s = out.str();
    EXPECT_EQ(s.rfind("{\"isa\": \"" + convscope::core::isaName(convscope::core::activeIsa())
                          + "\", \"threads\": 1, \"input_shape\": [1, 3, 16, 16], \"normalize\": "
                            "null, \"results\": "
                            "[{\"name\": \"net\", \"median_ms\": ",
                      0),
              0u)
        << s;
    EXPECT_NE(s.find("\"runs\": "), std::string::npos) << s;

    std::ostringstream text, err2;
    ASSERT_EQ(runCli({"bench", "--network", net, "--input-shape", "3,16,16", "--threads", "1",
                      "--normalize", "imagenet"},
                     text, err2),
              0)
        << err2.str();
    EXPECT_NE(text.str().find("normalize: Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, "
                              "0.224, 0.225])\n"),
              std::string::npos)
        << text.str();
    EXPECT_NE(text.str().find("input [1, 3, 16, 16], output [1, 4, 8, 8]"), std::string::npos)
        << text.str();
    EXPECT_NE(text.str().find(" runs\n"), std::string::npos) << text.str();
}

TEST(Bench, network_refusesBadArgumentsBeforeAnyWork)
{
    const std::string net =
        std::string(CONVSCOPE_TEST_DATA) + "/fixtures/gradients/vgg_like_centre/net.txt";
    const auto run = [](std::vector<std::string> args, std::string &err) {
        args.insert(args.begin(), "bench");
        std::ostringstream o, e;
        const int code = runCli(args, o, e);
        err = e.str();
        return code;
    };
    std::string e;
    EXPECT_EQ(run({"--network", net}, e), 2);
    EXPECT_NE(e.find("--input-shape"), std::string::npos) << e;
    EXPECT_EQ(run({"--network", net, "--input-shape", "1,3,8,8", "--only", "tiny"}, e), 2);
    EXPECT_NE(e.find("cannot go with --network"), std::string::npos) << e;
    EXPECT_EQ(run({"--input-shape", "1,3,8,8"}, e), 2);
    EXPECT_NE(e.find("--input-shape goes with --network"), std::string::npos) << e;
    EXPECT_EQ(run({"--network", net, "--input-shape", "1,3,0,8"}, e), 1);
    EXPECT_NE(e.find("invalid input-shape '1,3,0,8'"), std::string::npos) << e;
    EXPECT_EQ(run({"--network", net, "--input-shape", "1,2,8,8"}, e), 1);
    EXPECT_NE(e.find("layer 1 (Conv2d)"), std::string::npos) << e;
    EXPECT_EQ(
        run({"--network", net, "--input-shape", "1,3,8,8", "--seed", "1", "--weights", "w.npz"}, e),
        2);
    EXPECT_EQ(run({"--network", net, "--input-shape", "1,3,8,8", "--normalize", "mean=0:std=1"}, e),
              1);
    EXPECT_NE(e.find("--normalize: expected one mean and one std value per input channel (3)"),
              std::string::npos)
        << e;
    EXPECT_EQ(run({"--network", "/nonexistent/net.txt", "--input-shape", "1,3,8,8"}, e), 1);
    EXPECT_NE(e.find("/nonexistent/net.txt"), std::string::npos) << e;
}
