// SPDX-License-Identifier: GPL-3.0-or-later
#include "torchprint.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace convscope::core {

namespace {

// Thrown inside the parser only; parseTorchPrint() turns it into the result's error.
struct Failure {
    TorchPrintError error;
};

[[noreturn]] void fail(std::size_t line, std::size_t column, std::string message)
{
    throw Failure{TorchPrintError{line, column, std::move(message)}};
}

// A value of a repr's argument list: an int, a float, True/False/None, a bare name
// (padding=same, padding_mode=reflect, inf), a quoted string (approximate='none') or a tuple.
struct Value {
    enum class Kind { Int, Float, Bool, None, Name, String, Tuple };
    Kind kind = Kind::None;
    std::int64_t i = 0;
    double f = 0.0;
    bool b = false;
    std::string s;
    std::vector<Value> items;
    std::size_t column = 1;
    std::string source; // the value as written, for messages
};

struct Arg {
    std::string name; // empty for a positional argument
    Value value;
    std::size_t column = 1;
};

bool isNameStart(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool isNameChar(char c)
{
    return isNameStart(c) || (c >= '0' && c <= '9');
}

std::string describeAt(std::string_view s, std::size_t pos)
{
    if (pos >= s.size())
        return "end of line";
    const std::string_view rest = s.substr(pos, 12);
    return "'" + std::string(rest) + (s.size() - pos > 12 ? "...'" : "'");
}

// Reads the argument list of one module's repr on one line, from just after its '('.
class ArgReader {
public:
    ArgReader(std::string_view line, std::size_t pos, std::size_t lineNo, std::string kind)
        : m_s(line), m_pos(pos), m_line(lineNo), m_kind(std::move(kind))
    {
    }

    // Up to and including the closing ')'.
    std::vector<Arg> args()
    {
        std::vector<Arg> out;
        skipSpace();
        if (peek() == ')') {
            ++m_pos;
            return out;
        }
        for (;;) {
            Arg a;
            skipSpace();
            a.column = m_pos + 1;
            // name=value, or a positional value.
            std::size_t p = m_pos;
            while (p < m_s.size() && isNameChar(m_s[p]))
                ++p;
            if (p > m_pos && isNameStart(m_s[m_pos]) && p < m_s.size() && m_s[p] == '=') {
                a.name = std::string(m_s.substr(m_pos, p - m_pos));
                m_pos = p + 1;
                for (const Arg &seen : out)
                    if (seen.name == a.name)
                        fail(m_line, a.column,
                             m_kind + ": argument '" + a.name + "' is given twice");
            } else if (!out.empty() && !out.back().name.empty()) {
                fail(m_line, a.column,
                     m_kind + ": expected name=value after a keyword argument, found "
                         + describeAt(m_s, m_pos));
            }
            a.value = value(0);
            out.push_back(std::move(a));
            skipSpace();
            if (peek() == ',') {
                ++m_pos;
                continue;
            }
            if (peek() == ')') {
                ++m_pos;
                return out;
            }
            fail(m_line, m_pos + 1,
                 "expected ',' or ')' in the arguments of " + m_kind + "(, found "
                     + describeAt(m_s, m_pos));
        }
    }

    std::size_t pos() const { return m_pos; }

private:
    char peek() const { return m_pos < m_s.size() ? m_s[m_pos] : '\0'; }
    void skipSpace()
    {
        while (m_pos < m_s.size() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\t'))
            ++m_pos;
    }

    Value value(int depth)
    {
        skipSpace();
        Value v;
        v.column = m_pos + 1;
        const std::size_t start = m_pos;
        const char c = peek();
        if (c == '(') {
            // Tuples nest no deeper than a repr's (1-tuples, pairs, 4-tuples); a bound keeps
            // garbage from recursing.
            if (depth >= 4)
                fail(m_line, v.column, m_kind + ": tuples nested deeper than 4 levels");
            ++m_pos;
            v.kind = Value::Kind::Tuple;
            skipSpace();
            if (peek() == ')') {
                ++m_pos;
            } else {
                for (;;) {
                    v.items.push_back(value(depth + 1));
                    skipSpace();
                    if (peek() == ',') {
                        ++m_pos;
                        skipSpace();
                        if (peek() == ')') { // (5,)
                            ++m_pos;
                            break;
                        }
                        continue;
                    }
                    if (peek() == ')') {
                        ++m_pos;
                        break;
                    }
                    fail(m_line, m_pos + 1,
                         m_kind + ": expected ',' or ')' in a tuple, found "
                             + describeAt(m_s, m_pos));
                }
            }
        } else if (c == '\'' || c == '"') {
            const std::size_t close = m_s.find(c, m_pos + 1);
            if (close == std::string_view::npos)
                fail(m_line, v.column, m_kind + ": unterminated string");
            v.kind = Value::Kind::String;
            v.s = std::string(m_s.substr(m_pos + 1, close - m_pos - 1));
            m_pos = close + 1;
        } else if (isNameStart(c)) {
            while (m_pos < m_s.size() && isNameChar(m_s[m_pos]))
                ++m_pos;
            v.s = std::string(m_s.substr(start, m_pos - start));
            if (v.s == "True" || v.s == "False") {
                v.kind = Value::Kind::Bool;
                v.b = v.s == "True";
            } else if (v.s == "None") {
                v.kind = Value::Kind::None;
            } else {
                v.kind = Value::Kind::Name;
            }
        } else if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
            number(v);
        } else {
            fail(m_line, v.column, m_kind + ": expected a value, found " + describeAt(m_s, m_pos));
        }
        v.source = std::string(m_s.substr(start, m_pos - start));
        return v;
    }

    void number(Value &v)
    {
        const std::size_t start = m_pos;
        bool isFloat = false;
        if (peek() == '-' || peek() == '+')
            ++m_pos;
        if (m_s.substr(m_pos, 3) == "inf" || m_s.substr(m_pos, 3) == "nan") {
            const bool inf = m_s[m_pos] == 'i';
            m_pos += 3;
            v.kind = Value::Kind::Float;
            v.f = inf ? std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::quiet_NaN();
            if (m_s[start] == '-')
                v.f = -v.f;
            return;
        }
        while (m_pos < m_s.size()) {
            const char c = m_s[m_pos];
            if (c >= '0' && c <= '9') {
                ++m_pos;
            } else if (c == '.') {
                isFloat = true;
                ++m_pos;
            } else if ((c == 'e' || c == 'E') && m_pos > start) {
                isFloat = true;
                ++m_pos;
                if (peek() == '-' || peek() == '+')
                    ++m_pos;
            } else {
                break;
            }
        }
        // from_chars takes no leading '+'.
        std::string_view digits = m_s.substr(start, m_pos - start);
        if (!digits.empty() && digits[0] == '+')
            digits.remove_prefix(1);
        const char *first = digits.data();
        const char *last = digits.data() + digits.size();
        if (isFloat) {
            v.kind = Value::Kind::Float;
            const auto r = std::from_chars(first, last, v.f);
            if (r.ec != std::errc() || r.ptr != last)
                fail(m_line, start + 1, m_kind + ": '" + std::string(digits) + "' is not a number");
        } else {
            v.kind = Value::Kind::Int;
            const auto r = std::from_chars(first, last, v.i);
            if (r.ec == std::errc::result_out_of_range)
                fail(m_line, start + 1,
                     m_kind + ": integer " + std::string(digits) + " is out of range");
            if (r.ec != std::errc() || r.ptr != last)
                fail(m_line, start + 1, m_kind + ": '" + std::string(digits) + "' is not a number");
        }
    }

    std::string_view m_s;
    std::size_t m_pos;
    std::size_t m_line;
    std::string m_kind;
};

// The arguments of one module with the converters its kinds need; every argument must be
// taken by the kind, so a misspelt or unexpected one is refused rather than ignored.
class Args {
public:
    Args(std::vector<Arg> args, std::string kind, std::size_t line)
        : m_args(std::move(args)), m_used(m_args.size(), false), m_kind(std::move(kind)),
          m_line(line)
    {
    }

    // The argument at positional `index` (-1: keyword only) or named `name`.
    const Value *get(int index, const std::string &name)
    {
        const Value *found = nullptr;
        for (std::size_t i = 0; i < m_args.size(); ++i) {
            const Arg &a = m_args[i];
            const bool match = a.name.empty() ? (index >= 0 && i == static_cast<std::size_t>(index))
                                              : a.name == name;
            if (!match)
                continue;
            if (found)
                fail(m_line, a.column, m_kind + ": argument '" + name + "' is given twice");
            found = &a.value;
            m_used[i] = true;
        }
        return found;
    }
    const Value &require(int index, const std::string &name)
    {
        const Value *v = get(index, name);
        if (!v)
            fail(m_line, m_args.empty() ? 1 : m_args.back().column,
                 m_kind + ": missing argument '" + name + "'");
        return *v;
    }

    // Refuses every argument no getter took.
    void finish() const
    {
        for (std::size_t i = 0; i < m_args.size(); ++i)
            if (!m_used[i]) {
                const Arg &a = m_args[i];
                fail(m_line, a.column,
                     a.name.empty() ? m_kind + ": unexpected positional argument " + a.value.source
                                    : m_kind + " has no argument '" + a.name + "'");
            }
    }

    [[noreturn]] void bad(const Value &v, const std::string &what,
                          const std::string &expected) const
    {
        fail(m_line, v.column,
             m_kind + ": expected " + what + " to be " + expected + ", found " + v.source);
    }

    int toInt(const Value &v, const std::string &what) const
    {
        if (v.kind != Value::Kind::Int)
            bad(v, what, "an integer");
        if (v.i < std::numeric_limits<int>::min() || v.i > std::numeric_limits<int>::max())
            fail(m_line, v.column,
                 m_kind + ": " + what + "=" + v.source + " does not fit a 32-bit integer");
        return static_cast<int>(v.i);
    }
    double toDouble(const Value &v, const std::string &what) const
    {
        if (v.kind == Value::Kind::Int)
            return static_cast<double>(v.i);
        if (v.kind != Value::Kind::Float)
            bad(v, what, "a number");
        return v.f;
    }
    bool toBool(const Value &v, const std::string &what) const
    {
        if (v.kind != Value::Kind::Bool)
            bad(v, what, "True or False");
        return v.b;
    }
    // An int (square) or a pair.
    Hw toHw(const Value &v, const std::string &what) const
    {
        if (v.kind == Value::Kind::Int) {
            const int n = toInt(v, what);
            return {n, n};
        }
        if (v.kind == Value::Kind::Tuple && v.items.size() == 2)
            return {toInt(v.items[0], what), toInt(v.items[1], what)};
        bad(v, what, "an integer or a pair of integers");
    }
    // An int (every side) or (left, right, top, bottom).
    SidePadding toSides(const Value &v, const std::string &what) const
    {
        SidePadding p;
        if (v.kind == Value::Kind::Int) {
            p.left = p.right = p.top = p.bottom = toInt(v, what);
            return p;
        }
        if (v.kind == Value::Kind::Tuple && v.items.size() == 4) {
            p.left = toInt(v.items[0], what);
            p.right = toInt(v.items[1], what);
            p.top = toInt(v.items[2], what);
            p.bottom = toInt(v.items[3], what);
            return p;
        }
        bad(v, what, "an integer or (left, right, top, bottom)");
    }

    // Optional arguments.
    Hw hwOr(int index, const std::string &name, Hw fallback)
    {
        const Value *v = get(index, name);
        return v ? toHw(*v, name) : fallback;
    }
    bool boolOr(const std::string &name, bool fallback)
    {
        const Value *v = get(-1, name);
        return v ? toBool(*v, name) : fallback;
    }
    const std::string &kind() const { return m_kind; }
    std::size_t line() const { return m_line; }

private:
    std::vector<Arg> m_args;
    std::vector<bool> m_used;
    std::string m_kind;
    std::size_t m_line;
};

// The eval no-ops: left out of the network.
bool skipped(const std::string &kind)
{
    static const char *const kinds[] = {"Dropout",   "Dropout1d",    "Dropout2d",
                                        "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
                                        "Identity"};
    return std::any_of(std::begin(kinds), std::end(kinds),
                       [&](const char *k) { return kind == k; });
}

const char *const kSupported =
    "Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, ReLU, "
    "LeakyReLU, ReLU6, GELU, SiLU, Sigmoid, Tanh, ZeroPad2d, ConstantPad2d, ReflectionPad2d, "
    "ReplicationPad2d; Dropout and Identity are skipped";

// The layer a leaf module's arguments describe, with the suffixes of its state_dict keys.
// Appends to `notes` what the repr cannot show.
std::optional<Layer> makeLayer(Args &a, std::vector<std::string> &keys,
                               std::vector<std::string> &notes)
{
    const std::string &kind = a.kind();
    const auto inplace = [&] { (void)a.boolOr("inplace", false); };
    if (kind == "Conv2d" || kind == "ConvTranspose2d") {
        const bool transposed = kind == "ConvTranspose2d";
        const int in = a.toInt(a.require(0, "in_channels"), "in_channels");
        const int out = a.toInt(a.require(1, "out_channels"), "out_channels");
        const Hw kernel = a.toHw(a.require(2, "kernel_size"), "kernel_size");
        const Hw stride = a.hwOr(3, "stride", {1, 1});
        const Value *padding = a.get(4, "padding");
        const Hw dilation = a.hwOr(-1, "dilation", {1, 1});
        const Value *groupsValue = a.get(-1, "groups");
        const int groups = groupsValue ? a.toInt(*groupsValue, "groups") : 1;
        const bool bias = a.boolOr("bias", true);
        const Value *mode = a.get(-1, "padding_mode");
        if (mode && mode->kind != Value::Kind::Name && mode->kind != Value::Kind::String)
            a.bad(*mode, "padding_mode", "zeros, reflect, replicate or circular");
        keys = {"weight"};
        if (bias)
            keys.emplace_back("bias");
        if (transposed) {
            ConvTranspose2dLayer l;
            ConvTranspose2dParams &p = l.params;
            p.inChannels = in;
            p.outChannels = out;
            p.kernel = kernel;
            p.stride = stride;
            p.padding = padding ? a.toHw(*padding, "padding") : Hw{0, 0};
            p.outputPadding = a.hwOr(-1, "output_padding", {0, 0});
            p.dilation = dilation;
            p.groups = groups;
            p.bias = bias;
            if (mode && mode->s != "zeros")
                fail(a.line(), mode->column,
                     "ConvTranspose2d: only padding_mode=zeros exists, found " + mode->source);
            a.finish();
            return l;
        }
        Conv2dParams p;
        p.inChannels = in;
        p.outChannels = out;
        p.kernel = kernel;
        p.stride = stride;
        // padding='same' prints as padding=same; a hand-written text may quote it.
        if (padding && (padding->kind == Value::Kind::Name || padding->kind == Value::Kind::String)
            && (padding->s == "same" || padding->s == "valid"))
            p.paddingKind = padding->s == "same" ? PaddingKind::Same : PaddingKind::Valid;
        else if (padding)
            p.padding = a.toHw(*padding, "padding");
        p.dilation = dilation;
        p.groups = groups;
        p.bias = bias;
        if (mode) {
            const auto m = parsePaddingMode(mode->s);
            if (!m)
                a.bad(*mode, "padding_mode", "zeros, reflect, replicate or circular");
            p.paddingMode = *m;
        }
        a.finish();
        return Conv2dLayer{p, nullptr, nullptr};
    }
    if (kind == "MaxPool2d") {
        MaxPool2dLayer l;
        l.kernel = a.toHw(a.require(0, "kernel_size"), "kernel_size");
        if (const Value *s = a.get(1, "stride"); s && s->kind != Value::Kind::None)
            l.stride = a.toHw(*s, "stride");
        l.padding = a.hwOr(2, "padding", {0, 0});
        l.dilation = a.hwOr(3, "dilation", {1, 1});
        (void)a.boolOr("return_indices", false);
        l.ceilMode = a.boolOr("ceil_mode", false);
        a.finish();
        return l;
    }
    if (kind == "AvgPool2d") {
        AvgPool2dLayer l;
        l.kernel = a.toHw(a.require(0, "kernel_size"), "kernel_size");
        if (const Value *s = a.get(1, "stride"); s && s->kind != Value::Kind::None)
            l.stride = a.toHw(*s, "stride");
        l.padding = a.hwOr(2, "padding", {0, 0});
        // AvgPool2d.extra_repr prints the three above only: the others are read when a
        // hand-written text gives them, and otherwise taken as PyTorch's defaults.
        const Value *ceil = a.get(-1, "ceil_mode");
        const Value *include = a.get(-1, "count_include_pad");
        const Value *divisor = a.get(-1, "divisor_override");
        if (ceil)
            l.ceilMode = a.toBool(*ceil, "ceil_mode");
        if (include)
            l.countIncludePad = a.toBool(*include, "count_include_pad");
        if (divisor && divisor->kind != Value::Kind::None)
            l.divisorOverride = a.toInt(*divisor, "divisor_override");
        if (!ceil || !include || !divisor)
            notes.push_back("line " + std::to_string(a.line())
                            + ": AvgPool2d's repr does not show ceil_mode, count_include_pad or "
                              "divisor_override; PyTorch's defaults (False, True, None) are "
                              "assumed");
        a.finish();
        return l;
    }
    if (kind == "AdaptiveAvgPool2d") {
        const Value &v = a.require(0, "output_size");
        if (v.kind == Value::Kind::None
            || (v.kind == Value::Kind::Tuple
                && std::any_of(v.items.begin(), v.items.end(),
                               [](const Value &i) { return i.kind == Value::Kind::None; })))
            fail(a.line(), v.column,
                 "AdaptiveAvgPool2d: output_size with None (keep the input's size) is not "
                 "supported, found "
                     + v.source);
        AdaptiveAvgPool2dLayer l{a.toHw(v, "output_size")};
        a.finish();
        return l;
    }
    if (kind == "BatchNorm2d") {
        BatchNorm2dLayer l;
        l.numFeatures = a.toInt(a.require(0, "num_features"), "num_features");
        if (const Value *v = a.get(1, "eps"))
            l.eps = a.toDouble(*v, "eps");
        if (const Value *v = a.get(2, "momentum")) {
            if (v->kind == Value::Kind::None)
                notes.push_back("line " + std::to_string(a.line())
                                + ": BatchNorm2d momentum=None only matters in training; it is "
                                  "kept as 0.1");
            else
                l.momentum = a.toDouble(*v, "momentum");
        }
        l.affine = a.boolOr("affine", true);
        const Value *track = a.get(-1, "track_running_stats");
        if (track && !a.toBool(*track, "track_running_stats"))
            fail(a.line(), track->column,
                 "BatchNorm2d: track_running_stats=False normalises with the batch's own "
                 "statistics even in eval mode; only running statistics are supported");
        a.finish();
        keys.clear();
        if (l.affine)
            keys = {"weight", "bias"};
        keys.insert(keys.end(), {"running_mean", "running_var", "num_batches_tracked"});
        return l;
    }
    if (kind == "ReLU" || kind == "ReLU6" || kind == "SiLU" || kind == "Sigmoid"
        || kind == "Tanh") {
        if (kind != "Sigmoid" && kind != "Tanh")
            inplace();
        a.finish();
        if (kind == "ReLU")
            return ReluLayer{};
        if (kind == "ReLU6")
            return Relu6Layer{};
        if (kind == "SiLU")
            return SiluLayer{};
        if (kind == "Sigmoid")
            return SigmoidLayer{};
        return TanhLayer{};
    }
    if (kind == "LeakyReLU") {
        LeakyReluLayer l;
        if (const Value *v = a.get(0, "negative_slope"))
            l.negativeSlope = a.toDouble(*v, "negative_slope");
        inplace();
        a.finish();
        return l;
    }
    if (kind == "GELU") {
        if (const Value *v = a.get(0, "approximate")) {
            if (v->kind != Value::Kind::String && v->kind != Value::Kind::Name)
                a.bad(*v, "approximate", "'none'");
            if (v->s != "none")
                fail(a.line(), v->column,
                     "GELU: only approximate='none' (the exact erf form) is supported, found "
                         + v->source);
        }
        a.finish();
        return GeluLayer{};
    }
    if (kind == "ZeroPad2d" || kind == "ReflectionPad2d" || kind == "ReplicationPad2d") {
        const SidePadding p = a.toSides(a.require(0, "padding"), "padding");
        a.finish();
        if (kind == "ZeroPad2d")
            return ZeroPad2dLayer{p};
        if (kind == "ReflectionPad2d")
            return ReflectionPad2dLayer{p};
        return ReplicationPad2dLayer{p};
    }
    if (kind == "ConstantPad2d") {
        ConstantPad2dLayer l;
        l.padding = a.toSides(a.require(0, "padding"), "padding");
        l.value = a.toDouble(a.require(1, "value"), "value");
        a.finish();
        return l;
    }
    return std::nullopt;
}

std::string_view trimRight(std::string_view s)
{
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::size_t indentOf(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
        ++i;
    return i;
}

struct Container {
    std::string path; // prefix of its children's paths ("", "features.")
    std::size_t line;
};

class Parser {
public:
    explicit Parser(std::string_view text) : m_text(text) {}

    TorchPrintModel run()
    {
        if (m_text.size() > kTorchPrintMaxBytes)
            fail(1, 1,
                 "the text is " + std::to_string(m_text.size()) + " bytes; the limit is "
                     + std::to_string(kTorchPrintMaxBytes) + " bytes (4 MiB)");
        if (m_text.find('\0') != std::string_view::npos) {
            const auto [line, column] = position(m_text.find('\0'));
            fail(line, column, "the text holds a NUL byte: not the output of print(model)");
        }
        std::size_t lineNo = 0;
        std::size_t start = 0;
        bool done = false;  // the top-level module is complete
        bool began = false; // the top-level module has started
        std::size_t doneLine = 0;
        while (start <= m_text.size()) {
            const std::size_t end = std::min(m_text.find('\n', start), m_text.size());
            const std::string_view line = trimRight(m_text.substr(start, end - start));
            ++lineNo;
            start = end + 1;
            const std::size_t indent = indentOf(line);
            if (indent == line.size())
                continue; // blank
            if (done)
                fail(lineNo, indent + 1,
                     "expected the end of the text after the model closed on line "
                         + std::to_string(doneLine) + ", found " + describeAt(line, indent));
            if (!began) {
                began = true;
                module(line, indent, lineNo, "");
            } else if (line.substr(indent) == ")") {
                m_stack.pop_back();
            } else {
                child(line, indent, lineNo);
            }
            if (m_stack.empty()) {
                done = true;
                doneLine = lineNo;
            }
        }
        if (!began)
            fail(1, 1, "expected a module such as Sequential( or Conv2d(...), found an empty text");
        if (!m_stack.empty())
            fail(lineNo, 1,
                 "expected ')' to close the Sequential( opened on line "
                     + std::to_string(m_stack.back().line) + ", found the end of the text");

        if (const auto e = validateModules(m_model.network)) {
            const std::size_t i = e->layer - 1;
            fail(m_model.layers[i].line, m_columns[i], e->kind + ": " + e->error.message);
        }
        return std::move(m_model);
    }

private:
    std::pair<std::size_t, std::size_t> position(std::size_t offset) const
    {
        std::size_t line = 1, lineStart = 0;
        for (std::size_t i = 0; i < offset; ++i)
            if (m_text[i] == '\n') {
                ++line;
                lineStart = i + 1;
            }
        return {line, offset - lineStart + 1};
    }

    // "(key): Module..." inside a Sequential.
    void child(std::string_view line, std::size_t pos, std::size_t lineNo)
    {
        if (line[pos] != '(')
            fail(lineNo, pos + 1,
                 "expected '(name): module' or ')' inside the Sequential( opened on line "
                     + std::to_string(m_stack.back().line) + ", found " + describeAt(line, pos));
        const std::size_t close = line.find("): ", pos);
        if (close == std::string_view::npos)
            fail(lineNo, pos + 1,
                 "expected '(name): ' before the module, found " + describeAt(line, pos));
        const std::string_view key = line.substr(pos + 1, close - pos - 1);
        if (key.empty()
            || !std::all_of(key.begin(), key.end(), [](char c) { return isNameChar(c); }))
            fail(lineNo, pos + 2,
                 "expected a child name of letters, digits and '_' in '(name): ', found '"
                     + std::string(key) + "'");
        module(line, close + 3, lineNo, m_stack.back().path + std::string(key));
    }

    // A module starting at `pos`: "Name(" opening a container, or "Name(args)".
    void module(std::string_view line, std::size_t pos, std::size_t lineNo, const std::string &path)
    {
        std::size_t p = pos;
        while (p < line.size() && isNameChar(line[p]))
            ++p;
        if (p == pos || !isNameStart(line[pos]))
            fail(lineNo, pos + 1, "expected a module name, found " + describeAt(line, pos));
        const std::string kind(line.substr(pos, p - pos));
        if (p >= line.size() || line[p] != '(')
            fail(lineNo, p + 1, "expected '(' after " + kind + ", found " + describeAt(line, p));
        if (p + 1 == line.size()) {
            // A container: its children follow, one a line, up to a line holding ')'.
            if (kind != "Sequential")
                fail(lineNo, pos + 1,
                     "unknown container " + kind
                         + "(: only nn.Sequential is read (its children run in order)");
            if (static_cast<int>(m_stack.size()) >= kTorchPrintMaxDepth)
                fail(lineNo, pos + 1,
                     "Sequential nesting depth " + std::to_string(m_stack.size() + 1)
                         + " exceeds the limit of " + std::to_string(kTorchPrintMaxDepth));
            m_stack.push_back({path.empty() ? std::string() : path + ".", lineNo});
            return;
        }
        ArgReader reader(line, p + 1, lineNo, kind);
        std::vector<Arg> args = reader.args();
        if (reader.pos() != line.size())
            fail(lineNo, reader.pos() + 1,
                 "expected the end of the line after " + kind + "(...), found "
                     + describeAt(line, reader.pos()));
        if (++m_modules > kTorchPrintMaxLayers)
            fail(lineNo, pos + 1,
                 "module " + std::to_string(m_modules) + " exceeds the limit of "
                     + std::to_string(kTorchPrintMaxLayers) + " layers");
        const std::string text(line.substr(pos));
        if (kind == "Sequential") {
            if (!args.empty())
                fail(lineNo, p + 2, "Sequential( takes its children on the lines below");
            return; // "Sequential()": no layers, at the top or nested
        }
        if (skipped(kind)) {
            m_model.notes.push_back("line " + std::to_string(lineNo) + ": " + text
                                    + " skipped: a no-op in eval mode");
            return;
        }
        Args a(std::move(args), kind, lineNo);
        std::vector<std::string> keys;
        std::optional<Layer> layer = makeLayer(a, keys, m_model.notes);
        if (!layer)
            fail(lineNo, pos + 1,
                 "unknown module " + kind + ": convscope's network has no such layer (it reads "
                     + kSupported + ")");
        TorchPrintLayer info;
        info.path = path;
        info.line = lineNo;
        info.text = text;
        for (const std::string &k : keys)
            info.keys.push_back(path.empty() ? k : std::string(path).append(".").append(k));
        m_model.network.layers.push_back(std::move(*layer));
        m_model.layers.push_back(std::move(info));
        m_columns.push_back(pos + 1);
    }

    std::string_view m_text;
    std::vector<Container> m_stack;
    std::size_t m_modules = 0;
    TorchPrintModel m_model;
    std::vector<std::size_t> m_columns; // of each layer's module name
};

} // namespace

std::vector<std::string> TorchPrintModel::stateDictKeys() const
{
    std::vector<std::string> keys;
    for (const TorchPrintLayer &l : layers)
        keys.insert(keys.end(), l.keys.begin(), l.keys.end());
    return keys;
}

std::string TorchPrintError::text() const
{
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

TorchPrintResult parseTorchPrint(std::string_view text)
{
    TorchPrintResult r;
    try {
        r.model = Parser(text).run();
    } catch (const Failure &f) {
        r.error = f.error;
    } catch (const std::bad_alloc &) {
        r.error = TorchPrintError{1, 1, "out of memory while reading the text"};
    }
    return r;
}

} // namespace convscope::core
