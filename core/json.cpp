// SPDX-License-Identifier: GPL-3.0-or-later
#include "json.h"

#include <cctype>
#include <cstring>

namespace convscope::core {

namespace {

class JsonReader {
public:
    explicit JsonReader(const std::string &text) : m_text(text) {}

    JsonValue document()
    {
        JsonValue v = value(0);
        skipSpace();
        if (m_pos != m_text.size())
            fail("unexpected text after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string &what) const
    {
        throw JsonError("malformed JSON at byte " + std::to_string(m_pos) + ": " + what);
    }
    void skipSpace()
    {
        while (m_pos < m_text.size()
               && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\t'
                   || m_text[m_pos] == '\r'))
            ++m_pos;
    }
    void expect(char c)
    {
        skipSpace();
        if (m_pos >= m_text.size() || m_text[m_pos] != c)
            fail(std::string("expected '") + c + "'");
        ++m_pos;
    }
    JsonValue value(int depth)
    {
        if (depth > 64)
            fail("nested too deeply");
        skipSpace();
        if (m_pos >= m_text.size())
            fail("unexpected end of input");
        const char c = m_text[m_pos];
        if (c == '{')
            return object(depth);
        if (c == '[')
            return array(depth);
        if (c == '"')
            return {string()};
        if (c == '-' || (c >= '0' && c <= '9'))
            return {number()};
        for (const char *word : {"true", "false", "null"})
            if (m_text.compare(m_pos, std::strlen(word), word) == 0) {
                m_pos += std::strlen(word);
                if (word[0] == 'n')
                    return {nullptr};
                return {word[0] == 't'};
            }
        fail(std::string("unexpected character '") + c + "'");
    }
    JsonValue object(int depth)
    {
        auto obj = std::make_shared<JsonObject>();
        expect('{');
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == '}') {
            ++m_pos;
            return {obj};
        }
        for (;;) {
            skipSpace();
            if (m_pos >= m_text.size() || m_text[m_pos] != '"')
                fail("expected a string key");
            std::string key = string();
            expect(':');
            (*obj)[key] = value(depth + 1);
            skipSpace();
            if (m_pos < m_text.size() && m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            expect('}');
            return {obj};
        }
    }
    JsonValue array(int depth)
    {
        auto arr = std::make_shared<JsonArray>();
        expect('[');
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == ']') {
            ++m_pos;
            return {arr};
        }
        for (;;) {
            arr->push_back(value(depth + 1));
            skipSpace();
            if (m_pos < m_text.size() && m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            expect(']');
            return {arr};
        }
    }
    std::string string()
    {
        ++m_pos; // opening quote
        std::string s;
        while (m_pos < m_text.size() && m_text[m_pos] != '"') {
            char c = m_text[m_pos++];
            if (static_cast<unsigned char>(c) < 0x20)
                fail("control character in a string");
            if (c == '\\') {
                if (m_pos >= m_text.size())
                    break;
                const char e = m_text[m_pos++];
                switch (e) {
                case '"':
                case '\\':
                case '/': c = e; break;
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                default: fail("unsupported escape in a string");
                }
            }
            s += c;
        }
        if (m_pos >= m_text.size())
            fail("unterminated string");
        ++m_pos;
        return s;
    }
    double number()
    {
        const std::size_t start = m_pos;
        if (m_text[m_pos] == '-')
            ++m_pos;
        while (m_pos < m_text.size()
               && (std::isdigit(static_cast<unsigned char>(m_text[m_pos])) || m_text[m_pos] == '.'
                   || m_text[m_pos] == 'e' || m_text[m_pos] == 'E' || m_text[m_pos] == '+'
                   || m_text[m_pos] == '-'))
            ++m_pos;
        const std::string token = m_text.substr(start, m_pos - start);
        std::size_t used = 0;
        double d = 0;
        try {
            d = std::stod(token, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != token.size() || token.empty()) {
            m_pos = start;
            fail("bad number '" + token + "'");
        }
        return d;
    }

    const std::string &m_text;
    std::size_t m_pos = 0;
};

} // namespace

JsonValue parseJson(const std::string &text)
{
    return JsonReader(text).document();
}

} // namespace convscope::core
