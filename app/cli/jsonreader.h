// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A deliberately small JSON reader for the CLI: configs.json only needs objects, arrays,
// strings, numbers and the three literals. Hand-written so that the CLI stays Qt-free (and
// needs no JSON library); errors name the byte offset.
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace convscope::cli {

struct JsonValue;
using JsonObject = std::map<std::string, JsonValue>;
using JsonArray = std::vector<JsonValue>;
struct JsonValue {
    std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<JsonArray>,
                 std::shared_ptr<JsonObject>>
        v;
};

// The one JSON value `text` holds; throws ValueError ("malformed JSON at byte N: ...") when
// it is not exactly one value (surrounding white space allowed), or nests deeper than 64.
JsonValue parseJson(const std::string &text);

} // namespace convscope::cli
