// SPDX-License-Identifier: GPL-3.0-or-later
#include "quiz.h"

#include "backward.h"
#include "padding.h"
#include "shape.h"
#include "validate.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <stdexcept>

namespace convscope::core {

namespace {

std::string str(std::int64_t v)
{
    return std::to_string(v);
}

// Uniform integer in [lo, hi] from a fully specified generator: std::mt19937_64 is the same
// everywhere, std::uniform_int_distribution is not, so a class sees the same question on
// every machine for the same seed.
std::int64_t pick(std::mt19937_64 &rng, std::int64_t lo, std::int64_t hi)
{
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(rng() % span);
}

std::string pixelList(const std::vector<Pixel> &pixels)
{
    std::string s;
    for (std::size_t i = 0; i < pixels.size(); ++i) {
        if (i)
            s += ", ";
        s += "(" + str(pixels[i].y) + ", " + str(pixels[i].x) + ")";
    }
    return s;
}

std::vector<Pixel> normalised(std::vector<Pixel> pixels)
{
    std::sort(pixels.begin(), pixels.end());
    pixels.erase(std::unique(pixels.begin(), pixels.end()), pixels.end());
    return pixels;
}

std::string modeName(PaddingMode mode)
{
    return "'" + toString(mode) + "'";
}

// The question's padding for PaddedValue: the layer's own when it pads with copies of
// pixels; otherwise a stated hypothetical one (zeros padding copies nothing to ask about).
void choosePadding(Question &q)
{
    const Conv2dParams &p = q.setup.params;
    SidePadding pad = effectivePadding(p);
    const bool pads = pad.top + pad.bottom + pad.left + pad.right > 0;
    if (pads && p.paddingMode != PaddingMode::Zeros) {
        q.mode = p.paddingMode;
        q.padding = pad;
        return;
    }
    // Reflect needs padding < size, so a 1-pixel-wide axis can only be replicated.
    q.mode = (q.setup.input.h >= 2 && q.setup.input.w >= 2) ? PaddingMode::Reflect
                                                            : PaddingMode::Replicate;
    if (!pads)
        pad = {1, 1, 1, 1};
    if (q.mode == PaddingMode::Reflect) {
        const auto clampTo = [](int v, std::int64_t size) {
            return static_cast<int>(std::min<std::int64_t>(v, size - 1));
        };
        pad = {clampTo(pad.top, q.setup.input.h), clampTo(pad.bottom, q.setup.input.h),
               clampTo(pad.left, q.setup.input.w), clampTo(pad.right, q.setup.input.w)};
    }
    q.padding = pad;
}

// Explains how one axis coordinate of the padded input maps to a source index.
std::string axisMapping(const char *axis, std::int64_t i, std::int64_t size, PaddingMode mode,
                        const char *sizeName)
{
    const std::string a = axis;
    const std::int64_t s = sourceIndex(i, size, mode);
    if (i >= 0 && i < size)
        return a + " " + str(i) + " is inside the image, so it stays " + str(i) + ".";
    const bool before = i < 0;
    switch (mode) {
    case PaddingMode::Zeros: return a + " " + str(i) + " is zero padding: it reads 0.";
    case PaddingMode::Reflect:
        if (before)
            return a + " " + str(i) + " mirrors about " + a + " 0 without repeating it: -(" + str(i)
                   + ") = " + str(s) + ".";
        return a + " " + str(i) + " mirrors about " + a + " " + str(size - 1)
               + " without repeating it: 2*(" + sizeName + "-1) - " + str(i) + " = 2*"
               + str(size - 1) + " - " + str(i) + " = " + str(s) + ".";
    case PaddingMode::Replicate:
        return a + " " + str(i) + " copies the nearest edge " + a + ": " + str(s) + ".";
    case PaddingMode::Circular:
        return a + " " + str(i) + " wraps around: " + str(i) + " mod " + str(size) + " = " + str(s)
               + ".";
    }
    return {};
}

// "y*s - pad + {0, d, 2d} = {...}" for one axis of a window.
std::string windowAxis(const char *axis, std::int64_t pos, int stride, int padBefore, int kernel,
                       int dilation, std::vector<std::int64_t> &coords)
{
    std::string offsets, values;
    coords.clear();
    for (int k = 0; k < kernel; ++k) {
        const std::int64_t c = pos * stride - padBefore + static_cast<std::int64_t>(k) * dilation;
        coords.push_back(c);
        offsets += (k ? ", " : "") + str(static_cast<std::int64_t>(k) * dilation);
        values += (k ? ", " : "") + str(c);
    }
    return std::string(axis) + ": " + str(pos) + "*" + str(stride) + " - " + str(padBefore) + " + {"
           + offsets + "} = {" + values + "}";
}

std::string outputSizeExplanation(const Question &q)
{
    const Conv2dParams &p = q.setup.params;
    const bool h = q.kind == QuizKind::OutputHeight;
    const SidePadding pad = effectivePadding(p);
    const std::int64_t in = h ? q.setup.input.h : q.setup.input.w;
    const int before = h ? pad.top : pad.left, after = h ? pad.bottom : pad.right;
    const int k = h ? p.kernel.h : p.kernel.w, s = h ? p.stride.h : p.stride.w,
              d = h ? p.dilation.h : p.dilation.w;
    const std::string X = h ? "H" : "W";
    const std::string beforeName = h ? "pad_top" : "pad_left";
    const std::string afterName = h ? "pad_bottom" : "pad_right";
    const std::int64_t out = outputSize(in, before, after, k, s, d);
    const std::int64_t numerator = in + before + after - effectiveKernel(k, d);
    std::string text = X + "_out = floor((" + X + " + " + beforeName + " + " + afterName
                       + " - dilation*(k - 1) - 1) / stride) + 1 = floor((" + str(in) + " + "
                       + str(before) + " + " + str(after) + " - " + str(d) + "*(" + str(k)
                       + " - 1) - 1) / " + str(s) + ") + 1 = floor(" + str(numerator) + " / "
                       + str(s) + ") + 1 = " + str(out) + ".";
    if (p.paddingKind == PaddingKind::Same)
        text += " padding='same' pads dilation*(k - 1) = " + str(before + after) + " in total: "
                + str(before) + " before and " + str(after) + " after (the odd pixel goes after).";
    else if (p.paddingKind == PaddingKind::Valid)
        text += " padding='valid' means no padding.";
    const std::int64_t tail = unreachedTail(in, before, after, k, s, d);
    if (tail > 0)
        text += " The floor drops " + str(tail) + (h ? " padded row" : " padded column")
                + (tail > 1 ? "s" : "") + " at the " + (h ? "bottom" : "right")
                + " that no window reaches.";
    return text;
}

std::string parameterExplanation(const Conv2dParams &p)
{
    const std::int64_t perGroup = p.inChannels / p.groups;
    const std::int64_t weights = numel(weightShape(p));
    std::string text = "weight [C_out, C_in/groups, kH, kW] = [" + str(p.outChannels) + ", "
                       + str(p.inChannels) + "/" + str(p.groups) + ", " + str(p.kernel.h) + ", "
                       + str(p.kernel.w) + "]: " + str(p.outChannels) + " * " + str(perGroup)
                       + " * " + str(p.kernel.h) + " * " + str(p.kernel.w) + " = " + str(weights)
                       + ".";
    if (p.bias)
        text += " bias [C_out]: " + str(p.outChannels) + ". Total " + str(weights) + " + "
                + str(p.outChannels) + " = " + str(parameterCount(p)) + ".";
    else
        text += " bias=False: no bias. Total " + str(parameterCount(p)) + ".";
    if (p.groups > 1)
        text += " With groups=" + str(p.groups) + " each filter sees only " + str(perGroup)
                + " of the " + str(p.inChannels) + " input channels, so there are " + str(p.groups)
                + "x fewer weights than a dense layer.";
    return text;
}

std::string readPixelsExplanation(const Question &q, const Answer &answer)
{
    const Conv2dParams &p = q.setup.params;
    const SidePadding pad = effectivePadding(p);
    std::vector<std::int64_t> rows, cols;
    std::string text =
        "The window (y*stride - pad + k*dilation) covers "
        + windowAxis("rows", q.y, p.stride.h, pad.top, p.kernel.h, p.dilation.h, rows) + "; "
        + windowAxis("columns", q.x, p.stride.w, pad.left, p.kernel.w, p.dilation.w, cols) + ".";
    // Explain each coordinate that falls in the padding once per axis.
    for (std::int64_t r : rows)
        if (r < 0 || r >= q.setup.input.h)
            text += " " + axisMapping("Row", r, q.setup.input.h, p.paddingMode, "H");
    for (std::int64_t c : cols)
        if (c < 0 || c >= q.setup.input.w)
            text += " " + axisMapping("Column", c, q.setup.input.w, p.paddingMode, "W");
    text += " So it reads " + str(static_cast<std::int64_t>(answer.pixels.size())) + " pixel"
            + (answer.pixels.size() == 1 ? "" : "s") + ": " + pixelList(answer.pixels) + ".";
    const std::int64_t perGroup = p.inChannels / p.groups;
    const std::int64_t first = q.channel / (p.outChannels / p.groups) * perGroup;
    if (p.inChannels > 1) {
        if (perGroup == p.inChannels)
            text += " It reads them in every input channel (groups=1).";
        else
            text += " It reads them only in input channel" + std::string(perGroup > 1 ? "s " : " ")
                    + str(first) + (perGroup > 1 ? ".." + str(first + perGroup - 1) : "")
                    + " (its group).";
    }
    return text;
}

// How often the question's layer reads each input pixel (core::layerCoverage).
Coverage coverageOf(const QuizSetup &setup)
{
    return layerCoverage(geometryNetwork({setup.params}),
                         Shape{setup.batch, setup.params.inChannels, setup.input.h, setup.input.w},
                         1);
}

// |d out / d in| of the asked output of the question's layer, over the input, with its box.
struct EffectiveField {
    std::vector<double> magnitude;
    Box box;
    MassStats stats;
};

EffectiveField effectiveField(const Question &q)
{
    const Conv2dParams &p = q.setup.params;
    Network net;
    net.layers.push_back(makeConv2d(p, *q.setup.weight, Tensor(Shape{p.outChannels}, 0.0f)));
    // A convolution is linear: its gradient does not depend on the input's values.
    const Tensor input(Shape{1, p.inChannels, q.setup.input.h, q.setup.input.w}, 0.0f);
    const GradientTarget t = GradientTarget::at(1, static_cast<int>(q.channel), q.y, q.x);
    Tensor grad;
    inputGradient(net, input, t, grad);
    EffectiveField f;
    f.magnitude = channelMagnitude(grad);
    f.box = theoreticalBox(net, input.shape, t);
    f.stats = massStats(f.magnitude, q.setup.input.h, q.setup.input.w, f.box);
    return f;
}

// Three significant digits.
std::string number3(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

} // namespace

const std::vector<QuizKind> &allQuizKinds()
{
    static const std::vector<QuizKind> kinds{QuizKind::OutputHeight,   QuizKind::OutputWidth,
                                             QuizKind::ParameterCount, QuizKind::ReadPixels,
                                             QuizKind::PaddedValue,    QuizKind::CoverageCount,
                                             QuizKind::UnreadPixels,   QuizKind::EffectivePixels};
    return kinds;
}

std::string identifier(QuizKind kind)
{
    switch (kind) {
    case QuizKind::OutputHeight: return "output-height";
    case QuizKind::OutputWidth: return "output-width";
    case QuizKind::ParameterCount: return "parameter-count";
    case QuizKind::ReadPixels: return "read-pixels";
    case QuizKind::PaddedValue: return "padded-value";
    case QuizKind::CoverageCount: return "coverage-count";
    case QuizKind::UnreadPixels: return "unread-pixels";
    case QuizKind::EffectivePixels: return "effective-pixels";
    }
    return {};
}

std::optional<QuizKind> parseQuizKind(const std::string &text)
{
    for (QuizKind k : allQuizKinds())
        if (identifier(k) == text)
            return k;
    return std::nullopt;
}

bool expectsNumber(QuizKind kind)
{
    return kind == QuizKind::OutputHeight || kind == QuizKind::OutputWidth
           || kind == QuizKind::ParameterCount || kind == QuizKind::CoverageCount
           || kind == QuizKind::EffectivePixels;
}

Question makeQuestion(QuizKind kind, const QuizSetup &setup, std::uint64_t seed)
{
    const Conv2dParams &p = setup.params;
    const Shape inShape{setup.batch, p.inChannels, setup.input.h, setup.input.w};
    if (auto error = validate(p, inShape))
        throw std::invalid_argument("cannot ask about this configuration: " + error->message);
    if (setup.batch < 1 || setup.input.h < 1 || setup.input.w < 1)
        throw std::invalid_argument("cannot ask about an empty input " + formatShape(inShape));

    Question q;
    q.kind = kind;
    q.setup = setup;
    std::mt19937_64 rng(seed);
    const std::string layer =
        torchRepr(p)
        + (p.paddingMode == PaddingMode::Zeros ? std::string()
                                               : " with padding_mode=" + modeName(p.paddingMode));
    const std::string input =
        "an input of " + str(setup.input.h) + " x " + str(setup.input.w) + " (H x W)";
    switch (kind) {
    case QuizKind::OutputHeight:
        q.prompt = "What is H_out for " + layer + " on " + input + "?";
        break;
    case QuizKind::OutputWidth:
        q.prompt = "What is W_out for " + layer + " on " + input + "?";
        break;
    case QuizKind::ParameterCount:
        q.prompt = "How many learnable parameters does " + layer + " have?";
        break;
    case QuizKind::ReadPixels: {
        const Shape out = outputShape(p, inShape);
        q.channel = pick(rng, 0, out[1] - 1);
        q.y = pick(rng, 0, out[2] - 1);
        q.x = pick(rng, 0, out[3] - 1);
        q.prompt = "Which input pixels does out[0, " + str(q.channel) + ", " + str(q.y) + ", "
                   + str(q.x)
                   + "] read? Click every one (padding copies count as the pixel "
                     "they copy; zero padding reads no pixel).";
        break;
    }
    case QuizKind::CoverageCount:
        q.py = pick(rng, 0, setup.input.h - 1);
        q.px = pick(rng, 0, setup.input.w - 1);
        q.prompt = "How many times do the windows of " + layer + " on " + input
                   + " read input pixel (row " + str(q.py) + ", column " + str(q.px)
                   + ")? A window that covers it reads it once, and once more for each "
                     "padding copy of it inside the window.";
        break;
    case QuizKind::EffectivePixels: {
        if (!setup.weight || setup.weight->shape != weightShape(p))
            throw std::invalid_argument("cannot ask about the effective field without the "
                                        "layer's weights of shape "
                                        + formatShape(weightShape(p)));
        const Shape out = outputShape(p, inShape);
        q.channel = pick(rng, 0, out[1] - 1);
        q.y = pick(rng, 0, out[2] - 1);
        q.x = pick(rng, 0, out[3] - 1);
        q.prompt = "out[0, " + str(q.channel) + ", " + str(q.y) + ", " + str(q.x)
                   + "] can depend on every pixel of its receptive field. How few of those "
                     "pixels carry half of |d out / d in| (summed over input channels)? Count "
                     "the fewest pixels whose gradient magnitudes add up to at least half.";
        break;
    }
    case QuizKind::UnreadPixels:
        q.prompt = "Which input pixels does no output of " + layer + " on " + input
                   + " read? Click every one (none at all is a possible answer: then just "
                     "reveal).";
        break;
    case QuizKind::PaddedValue: {
        choosePadding(q);
        const SidePadding &pad = q.padding;
        // Draw padded positions until one lies in the padding (there is always one: the
        // padding is at least one pixel on some side).
        const std::int64_t rowsTotal = setup.input.h + pad.top + pad.bottom;
        const std::int64_t colsTotal = setup.input.w + pad.left + pad.right;
        do {
            q.py = pick(rng, 0, rowsTotal - 1) - pad.top;
            q.px = pick(rng, 0, colsTotal - 1) - pad.left;
        } while (q.py >= 0 && q.py < setup.input.h && q.px >= 0 && q.px < setup.input.w);
        const bool own = q.mode == p.paddingMode && pad == effectivePadding(p);
        q.prompt = std::string(own ? "This layer pads" : "Suppose the input were padded")
                   + " with padding_mode=" + modeName(q.mode) + " (top " + str(pad.top)
                   + ", bottom " + str(pad.bottom) + ", left " + str(pad.left) + ", right "
                   + str(pad.right) + "). Which input pixel does padded position (row " + str(q.py)
                   + ", column " + str(q.px)
                   + ") copy? Rows and columns count from the image's top-left pixel (0, 0); "
                     "negative means above or left of the image.";
        break;
    }
    }
    return q;
}

Answer correctAnswer(const Question &q)
{
    const Conv2dParams &p = q.setup.params;
    const SidePadding pad = effectivePadding(p);
    Answer a;
    switch (q.kind) {
    case QuizKind::OutputHeight:
        a.number =
            outputSize(q.setup.input.h, pad.top, pad.bottom, p.kernel.h, p.stride.h, p.dilation.h);
        break;
    case QuizKind::OutputWidth:
        a.number =
            outputSize(q.setup.input.w, pad.left, pad.right, p.kernel.w, p.stride.w, p.dilation.w);
        break;
    case QuizKind::ParameterCount: a.number = parameterCount(p); break;
    case QuizKind::ReadPixels:
        for (const Tap &t : layerTaps(p, q.setup.input, q.y, q.x))
            if (!t.readsZero())
                a.pixels.push_back({t.sy, t.sx});
        a.pixels = normalised(std::move(a.pixels));
        break;
    case QuizKind::PaddedValue:
        a.pixels = {{sourceIndex(q.py, q.setup.input.h, q.mode),
                     sourceIndex(q.px, q.setup.input.w, q.mode)}};
        break;
    case QuizKind::CoverageCount: {
        const Coverage c = coverageOf(q.setup);
        a.number = c.rows[static_cast<std::size_t>(q.py)] * c.cols[static_cast<std::size_t>(q.px)];
        break;
    }
    case QuizKind::EffectivePixels: a.number = effectiveField(q).stats.pixels50; break;
    case QuizKind::UnreadPixels: {
        const Coverage c = coverageOf(q.setup);
        for (std::int64_t y = 0; y < q.setup.input.h; ++y)
            for (std::int64_t x = 0; x < q.setup.input.w; ++x)
                if (c.rows[static_cast<std::size_t>(y)] * c.cols[static_cast<std::size_t>(x)] == 0)
                    a.pixels.push_back({y, x});
        break;
    }
    }
    return a;
}

Verdict check(const Question &q, const Answer &given)
{
    Verdict v;
    v.expected = correctAnswer(q);
    if (expectsNumber(q.kind))
        v.correct = given.number.has_value() && given.number == v.expected.number;
    else
        v.correct = normalised(given.pixels) == v.expected.pixels;
    switch (q.kind) {
    case QuizKind::OutputHeight:
    case QuizKind::OutputWidth: v.explanation = outputSizeExplanation(q); break;
    case QuizKind::ParameterCount: v.explanation = parameterExplanation(q.setup.params); break;
    case QuizKind::ReadPixels: v.explanation = readPixelsExplanation(q, v.expected); break;
    case QuizKind::CoverageCount: {
        const Coverage c = coverageOf(q.setup);
        const std::int64_t r = c.rows[static_cast<std::size_t>(q.py)];
        const std::int64_t k = c.cols[static_cast<std::size_t>(q.px)];
        v.explanation = "A window is a row pattern times a column pattern: the windows down "
                        "the rows read row "
                        + str(q.py) + " " + str(r) + " time" + (r == 1 ? "" : "s")
                        + ", those across the columns read column " + str(q.px) + " " + str(k)
                        + " time" + (k == 1 ? "" : "s") + ", so " + str(r) + " x " + str(k) + " = "
                        + str(r * k) + " reads of the pixel.";
        break;
    }
    case QuizKind::EffectivePixels: {
        const EffectiveField f = effectiveField(q);
        std::vector<double> inside;
        for (std::int64_t y = std::max<std::int64_t>(f.box.y0, 0);
             y < std::min<std::int64_t>(f.box.y1, q.setup.input.h); ++y)
            for (std::int64_t x = std::max<std::int64_t>(f.box.x0, 0);
                 x < std::min<std::int64_t>(f.box.x1, q.setup.input.w); ++x)
                inside.push_back(f.magnitude[static_cast<std::size_t>(y * q.setup.input.w + x)]);
        std::sort(inside.begin(), inside.end(), std::greater<>());
        std::string largest;
        double acc = 0.0;
        for (std::int64_t i = 0; i < f.stats.pixels50; ++i) {
            acc += inside[static_cast<std::size_t>(i)];
            largest += (i ? " + " : "") + number3(inside[static_cast<std::size_t>(i)]);
        }
        v.explanation = "The gradient of a convolution with respect to a pixel is the weight of "
                        "the tap that reads it (summed over input channels, and over taps that "
                        "read the same pixel). Of the total "
                        + number3(f.stats.total) + ", the largest " + str(f.stats.pixels50)
                        + " make " + largest + " = " + number3(acc)
                        + ", at least half: " + str(f.stats.pixels50) + " of the "
                        + str(f.stats.boxPixels) + " pixels of the box carry half the influence.";
        break;
    }
    case QuizKind::UnreadPixels: {
        const Coverage c = coverageOf(q.setup);
        const auto zeros = [](const std::vector<std::int64_t> &counts) {
            std::string list;
            for (std::size_t i = 0; i < counts.size(); ++i)
                if (counts[i] == 0)
                    list += (list.empty() ? "" : ", ") + std::to_string(i);
            return list.empty() ? std::string("none") : list;
        };
        v.explanation = "Rows no window reads: " + zeros(c.rows) + "; columns: " + zeros(c.cols)
                        + ". A pixel in one of them is never read: a stride longer than the "
                          "window skips rows between windows, and the floor of the output size "
                          "drops the rows too few for another window.";
        break;
    }
    case QuizKind::PaddedValue:
        v.explanation = axisMapping("Row", q.py, q.setup.input.h, q.mode, "H") + " "
                        + axisMapping("Column", q.px, q.setup.input.w, q.mode, "W")
                        + " So it copies pixel " + pixelList(v.expected.pixels) + ".";
        break;
    }
    return v;
}

} // namespace convscope::core
