// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A small, strict command-line parser for the subcommands. Values are always the next
// argv token, even when they start with '-' ("--dilation -1,1" is a bad dilation, not an
// unknown option). Qt-free so that the CLI is testable without a process.
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace convscope::cli {

// A usage error: exit code 2 and a usage hint.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A bad value: exit code 1 and a message naming the value and the expectation.
class ValueError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name; // without the leading "--"
    bool takesValue = true;
    bool repeatable = false;
};

class ParsedArgs {
public:
    bool has(const std::string &name) const { return m_values.count(name) > 0; }
    std::optional<std::string> value(const std::string &name) const;
    std::vector<std::string> values(const std::string &name) const;
    const std::vector<std::string> &positional() const { return m_positional; }

    std::map<std::string, std::vector<std::string>> m_values;
    std::vector<std::string> m_positional;
};

// Throws UsageError for unknown options, missing values and repeated single options. A "--"
// ends the options: every argument after it is positional.
ParsedArgs parseArgs(const std::vector<std::string> &args, const std::vector<OptionSpec> &specs,
                     const std::string &command);

// Whether the arguments ask for a command's help (--help or -h anywhere).
bool wantsHelp(const std::vector<std::string> &args);

// The prologue every subcommand shares: no positional arguments ("unexpected argument 'x'")
// and each of `names` given ("missing required option '--name'"), both as UsageError.
void rejectPositional(const ParsedArgs &a);
void requireOptions(const ParsedArgs &a, std::initializer_list<const char *> names);

// "3" -> {3, 3}; "3,5" -> {3, 5}. Anything else is a ValueError naming `what`:
// "expected stride to be a single integer value or a list of 2 values ..., but got stride=[1, 2,
// 3]".
std::pair<int, int> parsePair(const std::string &text, const std::string &what);

// A single integer, e.g. for --groups. ValueError when malformed or out of range.
int parseInt(const std::string &text, const std::string &what);

// A comma-separated list of non-negative 64-bit integers, e.g. "1,3,224,224".
std::vector<long long> parseIntList(const std::string &text, const std::string &what);

// --threads: 0 (every core) or a positive count; 0 when absent.
int parseThreads(const ParsedArgs &a);

} // namespace convscope::cli
