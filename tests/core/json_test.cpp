// SPDX-License-Identifier: GPL-3.0-or-later
// The Qt-free JSON reader: the subset configs.json and .safetensors headers need, and errors that
// name the byte.
#include "json.h"
#include "test_util.h"

#include <gtest/gtest.h>

using namespace convscope::core;
using convscope::test::hasSubstr;

namespace {

std::string errorOf(const std::string &text)
{
    try {
        parseJson(text);
    } catch (const JsonError &e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST(JsonReader, objectWithEveryKindOfValue_isReadBack)
{
    const JsonValue doc = parseJson(
        R"( {"n": -1.5e1, "s": "a\"b\n", "t": true, "f": false, "z": null, "a": [1, []]} )");
    const auto *root = std::get_if<std::shared_ptr<JsonObject>>(&doc.v);
    ASSERT_NE(root, nullptr);
    const JsonObject &o = **root;
    EXPECT_EQ(std::get<double>(o.at("n").v), -15.0);
    EXPECT_EQ(std::get<std::string>(o.at("s").v), "a\"b\n");
    EXPECT_EQ(std::get<bool>(o.at("t").v), true);
    EXPECT_EQ(std::get<bool>(o.at("f").v), false);
    EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(o.at("z").v));
    const auto &a = *std::get<std::shared_ptr<JsonArray>>(o.at("a").v);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(std::get<double>(a[0].v), 1.0);
    EXPECT_TRUE(std::get<std::shared_ptr<JsonArray>>(a[1].v)->empty());
}

TEST(JsonReader, malformedText_namesTheByteAndTheProblem)
{
    EXPECT_TRUE(hasSubstr(errorOf("[1, 2"), "malformed JSON at byte 5: expected ']'"));
    EXPECT_TRUE(hasSubstr(errorOf("{} x"), "unexpected text after the JSON value"));
    EXPECT_TRUE(hasSubstr(errorOf(R"({"a": 1e})"), "bad number '1e'"));
    EXPECT_TRUE(hasSubstr(errorOf(R"("abc)"), "unterminated string"));
    EXPECT_TRUE(hasSubstr(errorOf(R"("\u0041")"), "unsupported escape"));
    EXPECT_TRUE(hasSubstr(errorOf(std::string(70, '[')), "nested too deeply"));
    EXPECT_TRUE(hasSubstr(errorOf("nul"), "unexpected character 'n'"));
}
