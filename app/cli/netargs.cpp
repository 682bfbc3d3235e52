// SPDX-License-Identifier: GPL-3.0-or-later
#include "netargs.h"

#include "npyargs.h"
#include "statedict.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace convscope::cli {

using namespace convscope::core;

namespace {

ImageReader &imageReader()
{
    static ImageReader reader;
    return reader;
}

HeatMapWriter &heatMapWriter()
{
    static HeatMapWriter writer;
    return writer;
}

bool endsWith(const std::string &s, const std::string &suffix)
{
    if (s.size() < suffix.size())
        return false;
    for (std::size_t i = 0; i < suffix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
            return false;
    return true;
}

} // namespace

TorchPrintModel readNetworkFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ValueError(path + ": cannot open: " + std::strerror(errno));
    // One byte past the parser's limit is enough for it to refuse the file by size.
    std::string buf(kTorchPrintMaxBytes + 1, '\0');
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<std::size_t>(in.gcount()));
    TorchPrintResult parsed = parseTorchPrint(buf);
    if (parsed.error)
        throw ValueError(path + ": " + parsed.error->text());
    if (parsed.model->network.empty())
        throw ValueError(path + ": the network has no layer");
    return std::move(*parsed.model);
}

std::size_t parseLayer(const std::string &text, std::size_t layers)
{
    const int v = parseInt(text, "layer");
    if (v < 1 || static_cast<std::size_t>(v) > layers)
        throw ValueError("invalid layer '" + text + "': expected 1 to " + std::to_string(layers)
                         + " (the network's layers)");
    return static_cast<std::size_t>(v);
}

Network networkTensors(const TorchPrintModel &model, const ParsedArgs &a)
{
    if (auto w = a.value("weights")) {
        if (a.has("seed"))
            throw UsageError("--seed draws default weights; it cannot go with --weights");
        return loadStateDict(model, readStateDict(*w));
    }
    return withDefaultTensors(model.network, parseSeed(a));
}

std::uint64_t parseSeed(const ParsedArgs &a)
{
    const auto s = a.value("seed");
    if (!s)
        return 0;
    const auto v = parseIntList(*s, "seed");
    if (v.size() != 1 || v[0] < 0)
        throw ValueError("invalid seed '" + *s + "': expected one non-negative integer");
    return static_cast<std::uint64_t>(v[0]);
}

namespace {

std::string notNumbers(const std::string &spec, const std::string &what, const std::string &item)
{
    return "invalid normalize '" + spec + "': expected " + what
           + " to be comma-separated numbers, but got '" + item + "'";
}

// "0.5,1e-3,-2" -> {0.5, 0.001, -2}; ValueError naming `what` and the text otherwise.
std::vector<double> parseFloatList(const std::string &text, const std::string &what,
                                   const std::string &spec)
{
    std::vector<double> values;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        const std::string item = text.substr(start, comma - start);
        char *end = nullptr;
        errno = 0;
        const double v = item.empty() ? 0.0 : std::strtod(item.c_str(), &end);
        if (item.empty() || end != item.c_str() + item.size() || errno == ERANGE
            || std::isspace(static_cast<unsigned char>(item[0])))
            throw ValueError(notNumbers(spec, what, item));
        values.push_back(v);
        if (comma == std::string::npos)
            return values;
        start = comma + 1;
    }
}

} // namespace

std::optional<InputNormalization> parseNormalize(const ParsedArgs &a)
{
    const auto spec = a.value("normalize");
    if (!spec)
        return std::nullopt;
    InputNormalization n;
    if (*spec == "imagenet") {
        n = imagenetNormalization();
    } else {
        const std::size_t colon = spec->find(':');
        const std::string meanPart = spec->substr(0, colon);
        const std::string stdPart = colon == std::string::npos ? "" : spec->substr(colon + 1);
        if (meanPart.rfind("mean=", 0) != 0 || stdPart.rfind("std=", 0) != 0)
            throw ValueError("invalid normalize '" + *spec
                             + "': expected imagenet or mean=A,B,C:std=D,E,F");
        n.mean = parseFloatList(meanPart.substr(5), "mean", *spec);
        n.stdDev = parseFloatList(stdPart.substr(4), "std", *spec);
    }
    if (auto e = validate(n))
        throw ValueError("invalid normalize '" + *spec + "': " + e->message);
    return n;
}

void setImageReader(ImageReader reader)
{
    imageReader() = std::move(reader);
}

void setHeatMapWriter(HeatMapWriter writer)
{
    heatMapWriter() = std::move(writer);
}

void requireHeatMapWriter()
{
    if (!heatMapWriter())
        throw ValueError("--png: this build writes no images");
}

void writeHeatMap(const std::string &path, const std::vector<double> &map, std::int64_t h,
                  std::int64_t w)
{
    requireHeatMapWriter();
    heatMapWriter()(path, map, h, w);
}

Tensor readInputArgument(const std::string &path, int channels, std::istream &in)
{
    if (path == "-" || endsWith(path, ".npy"))
        return readNpyArgument(path, in);
    if (!imageReader())
        throw ValueError(path + ": expected a .npy file (this build reads no images)");
    if (channels != 1 && channels != 3)
        throw ValueError(path
                         + ": an image gives 1 (grey) or 3 (RGB) channels, but the network "
                           "expects "
                         + std::to_string(channels) + "; pass a .npy input");
    return imageReader()(path, channels);
}

} // namespace convscope::cli
