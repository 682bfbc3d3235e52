// SPDX-License-Identifier: GPL-3.0-or-later
#include "args.h"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace convscope::cli {

std::optional<std::string> ParsedArgs::value(const std::string &name) const
{
    auto it = m_values.find(name);
    if (it == m_values.end() || it->second.empty())
        return std::nullopt;
    return it->second.back();
}

std::vector<std::string> ParsedArgs::values(const std::string &name) const
{
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

ParsedArgs parseArgs(const std::vector<std::string> &args, const std::vector<OptionSpec> &specs,
                     const std::string &command)
{
    ParsedArgs parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        if (a == "--") { // the end of the options: the rest is positional, however it looks
            parsed.m_positional.insert(parsed.m_positional.end(),
                                       args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                       args.end());
            break;
        }
        if (a.size() > 2 && a.rfind("--", 0) == 0) {
            std::string name = a.substr(2);
            std::optional<std::string> inlineValue;
            if (auto eq = name.find('='); eq != std::string::npos) {
                inlineValue = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            const OptionSpec *spec = nullptr;
            for (const auto &s : specs)
                if (s.name == name)
                    spec = &s;
            if (!spec)
                throw UsageError(std::string("unknown option '--")
                                     .append(name)
                                     .append("' for '")
                                     .append(command)
                                     .append("'"));
            if (parsed.has(name) && !spec->repeatable)
                throw UsageError("option '--" + name + "' given more than once");
            if (!spec->takesValue) {
                if (inlineValue)
                    throw UsageError("option '--" + name + "' takes no value");
                parsed.m_values[name].push_back("");
                continue;
            }
            if (inlineValue) {
                parsed.m_values[name].push_back(*inlineValue);
            } else {
                if (i + 1 >= args.size())
                    throw UsageError("option '--" + name + "' needs a value");
                parsed.m_values[name].push_back(args[++i]);
            }
        } else if (a.size() > 1 && a[0] == '-' && a != "-") {
            throw UsageError(std::string("unknown option '")
                                 .append(a)
                                 .append("' for '")
                                 .append(command)
                                 .append("'"));
        } else {
            parsed.m_positional.push_back(a);
        }
    }
    return parsed;
}

void rejectPositional(const ParsedArgs &a)
{
    if (!a.positional().empty())
        throw UsageError("unexpected argument '" + a.positional().front() + "'");
}

void requireOptions(const ParsedArgs &a, std::initializer_list<const char *> names)
{
    for (const char *name : names)
        if (!a.has(name))
            throw UsageError(std::string("missing required option '--") + name + "'");
}

namespace {

bool toLong(const std::string &t, long long &out)
{
    if (t.empty())
        return false;
    char *end = nullptr;
    errno = 0;
    out = std::strtoll(t.c_str(), &end, 10);
    return errno == 0 && end && *end == '\0' && t.find_first_of(" \t") == std::string::npos;
}

std::vector<std::string> split(const std::string &text)
{
    std::vector<std::string> parts;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        parts.push_back(item);
    if (!text.empty() && text.back() == ',')
        parts.push_back("");
    return parts;
}

} // namespace

int parseInt(const std::string &text, const std::string &what)
{
    long long v;
    if (!toLong(text, v) || v < std::numeric_limits<int>::min()
        || v > std::numeric_limits<int>::max())
        throw ValueError("invalid " + what + " '" + text + "': expected an integer");
    return static_cast<int>(v);
}

std::pair<int, int> parsePair(const std::string &text, const std::string &what)
{
    const auto parts = split(text);
    std::vector<int> values;
    for (const auto &p : parts) {
        long long v;
        if (!toLong(p, v) || v < std::numeric_limits<int>::min()
            || v > std::numeric_limits<int>::max())
            throw ValueError(std::string("invalid ")
                                 .append(what)
                                 .append(" '")
                                 .append(text)
                                 .append("': expected a single integer value or a list of 2 "
                                         "comma-separated integers"));
        values.push_back(static_cast<int>(v));
    }
    if (values.size() == 1)
        return {values[0], values[0]};
    if (values.size() == 2)
        return {values[0], values[1]};
    std::string list = "[";
    for (std::size_t i = 0; i < values.size(); ++i)
        list += (i ? ", " : "") + std::to_string(values[i]);
    list += "]";
    throw ValueError("expected " + what
                     + " to be a single integer value or a list of 2 values to match the "
                       "convolution dimensions, but got "
                     + what + "=" + list);
}

std::vector<long long> parseIntList(const std::string &text, const std::string &what)
{
    std::vector<long long> values;
    for (const auto &p : split(text)) {
        long long v;
        if (!toLong(p, v) || v < 0)
            throw ValueError(std::string("invalid ")
                                 .append(what)
                                 .append(" '")
                                 .append(text)
                                 .append("': expected comma-separated non-negative integers"));
        values.push_back(v);
    }
    return values;
}

bool wantsHelp(const std::vector<std::string> &args)
{
    for (const auto &a : args) {
        if (a == "--")
            return false;
        if (a == "--help" || a == "-h")
            return true;
    }
    return false;
}

int parseThreads(const ParsedArgs &a)
{
    const auto t = a.value("threads");
    if (!t)
        return 0;
    const int v = parseInt(*t, "threads");
    if (v < 0)
        throw ValueError("invalid threads '" + *t
                         + "': expected 0 (all cores) or a positive count");
    return v;
}

} // namespace convscope::cli
