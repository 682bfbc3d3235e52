// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A deliberately small JSON reader for the Qt-free layers: bench's configs.json and the
// header of a .safetensors file only need objects, arrays, strings, numbers and the three
// literals (no JSON library needed); errors name the byte offset.
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace convscope::core {

class JsonError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct JsonValue;
using JsonObject = std::map<std::string, JsonValue>;
using JsonArray = std::vector<JsonValue>;
struct JsonValue {
    std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<JsonArray>,
                 std::shared_ptr<JsonObject>>
        v;
};

// The one JSON value `text` holds; throws JsonError ("malformed JSON at byte N: ...") when
// it is not exactly one value (surrounding white space allowed), or nests deeper than 64.
JsonValue parseJson(const std::string &text);

} // namespace convscope::core
