// SPDX-License-Identifier: GPL-3.0-or-later
#include "npy.h"

#include "oserror.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

namespace convscope::core {

namespace {

[[noreturn]] void fail(const std::string &name, const std::string &what)
{
    throw NpyError(name + ": " + what);
}

std::string trim(const std::string &s)
{
    const auto b = s.find_first_not_of(" \t\n");
    const auto e = s.find_last_not_of(" \t\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Finds the value text of a key in the header dict, e.g. 'descr': '<f4'.
std::string dictValue(const std::string &header, const std::string &key, const std::string &name)
{
    const std::string k1 = "'" + key + "'";
    const std::string k2 = "\"" + key + "\"";
    auto pos = header.find(k1);
    std::size_t klen = k1.size();
    if (pos == std::string::npos) {
        pos = header.find(k2);
        klen = k2.size();
    }
    if (pos == std::string::npos)
        fail(name, "malformed .npy header: no '" + key + "' key in " + header);
    auto colon = header.find(':', pos + klen);
    if (colon == std::string::npos)
        fail(name, "malformed .npy header near '" + key + "'");
    std::size_t start = colon + 1;
    while (start < header.size() && header[start] == ' ')
        ++start;
    if (start >= header.size())
        fail(name, "malformed .npy header near '" + key + "'");
    std::size_t end;
    if (header[start] == '(') {
        end = header.find(')', start);
        if (end == std::string::npos)
            fail(name, "malformed .npy header: unterminated shape tuple");
        ++end;
    } else if (header[start] == '\'' || header[start] == '"') {
        end = header.find(header[start], start + 1);
        if (end == std::string::npos)
            fail(name, "malformed .npy header: unterminated string for '" + key + "'");
        ++end;
    } else {
        end = header.find_first_of(",}", start);
        if (end == std::string::npos)
            fail(name, "malformed .npy header near '" + key + "'");
    }
    return trim(header.substr(start, end - start));
}

Shape parseShape(const std::string &text, const std::string &name)
{
    if (text.size() < 2 || text.front() != '(' || text.back() != ')')
        fail(name, "malformed .npy shape " + text);
    Shape shape;
    std::string inner = text.substr(1, text.size() - 2);
    std::stringstream ss(inner);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item = trim(item);
        if (item.empty())
            continue; // "(3,)" has an empty tail
        if (item.find_first_not_of("0123456789") != std::string::npos || item.size() > 18)
            fail(name, "malformed .npy shape " + text);
        shape.push_back(std::stoll(item));
    }
    return shape;
}

} // namespace

Tensor parseNpy(const std::string &bytes, const std::string &name)
{
    static const char magic[] = "\x93NUMPY";
    if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, 6) != 0)
        fail(name, "not a .npy file (missing \\x93NUMPY magic)");
    const int major = static_cast<unsigned char>(bytes[6]);
    std::size_t headerLen = 0, offset = 0;
    if (major == 1) {
        headerLen =
            static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12)
            fail(name, "truncated .npy header");
        headerLen = 0;
        for (int i = 0; i < 4; ++i)
            headerLen |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i]))
                         << (8 * i);
        offset = 12;
    } else {
        fail(name,
             "unsupported .npy format version " + std::to_string(major) + " (expected 1, 2 or 3)");
    }
    if (bytes.size() < offset + headerLen)
        fail(name, "truncated .npy header: expected " + std::to_string(headerLen)
                       + " header bytes, file has " + std::to_string(bytes.size() - offset));
    const std::string header = bytes.substr(offset, headerLen);
    const std::size_t dataOffset = offset + headerLen;

    const std::string descr = dictValue(header, "descr", name);
    const std::string fortran = dictValue(header, "fortran_order", name);
    const Shape shape = parseShape(dictValue(header, "shape", name), name);

    if (fortran == "True")
        fail(name, "Fortran-order arrays are not supported: expected fortran_order False (save "
                   "with numpy.ascontiguousarray)");
    if (fortran != "False")
        fail(name, "malformed .npy header: fortran_order is " + fortran);
    std::string dt = descr;
    if (dt.size() >= 2 && (dt.front() == '\'' || dt.front() == '"'))
        dt = dt.substr(1, dt.size() - 2);
    std::size_t itemSize = 0;
    if (dt == "<f4")
        itemSize = 4;
    else if (dt == "<f8")
        itemSize = 8;
    else if (dt == ">f4" || dt == ">f8")
        fail(name,
             "big-endian dtype " + dt + " is not supported: expected little-endian <f4 or <f8");
    else
        fail(name, "unsupported dtype " + dt + ": expected float32 (<f4) or float64 (<f8)");

    std::int64_t count = 1;
    for (auto d : shape) {
        if (d != 0 && count > std::numeric_limits<std::int64_t>::max() / 16 / d)
            fail(name, "shape " + formatShape(shape) + " is too large");
        count *= d;
    }
    const std::size_t need = static_cast<std::size_t>(count) * itemSize;
    const std::size_t have = bytes.size() - dataOffset;
    if (have < need)
        fail(name, "truncated .npy data: shape " + formatShape(shape) + " needs "
                       + std::to_string(need) + " bytes, file has " + std::to_string(have));
    if (have > need)
        fail(name, "malformed .npy file: " + std::to_string(have - need)
                       + " unexpected bytes after the data of shape " + formatShape(shape));

    Tensor t;
    t.shape = shape;
    t.data.resize(static_cast<std::size_t>(count));
    const char *src = bytes.data() + dataOffset;
    if (count == 0) {
        // An empty vector's data() may be null, and memcpy with a null pointer is undefined
        // even for 0 bytes (UBSan aborts on it): nothing to copy for a 0-size array.
    } else if (itemSize == 4) {
        std::memcpy(t.data.data(), src, need);
    } else {
        for (std::int64_t i = 0; i < count; ++i) {
            double v;
            std::memcpy(&v, src + i * 8, 8);
            t.data[static_cast<std::size_t>(i)] = static_cast<float>(v);
        }
    }
    return t;
}

Tensor readNpy(const std::string &path)
{
    // An ifstream opens a folder and reads nothing from it; ask the system first so the
    // message says "is a directory" or "permission denied" instead of "not a .npy file".
    if (const std::string why = unreadableFileReason(path); !why.empty())
        fail(path, "cannot open file for reading: " + why);
    std::ifstream f(path, std::ios::binary);
    if (!f)
        fail(path, "cannot open file for reading: " + osErrorText(errno));
    std::ostringstream ss;
    ss << f.rdbuf();
    if (f.bad())
        fail(path, "read error: " + osErrorText(errno));
    return parseNpy(ss.str(), path);
}

std::string npyHeader(const Shape &shape, const std::string &descr)
{
    std::string dims = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "")
                + (i + 1 < shape.size() ? " " : "");
    dims += ")";
    std::string header =
        "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
    // Pad with spaces so the data starts on a 64-byte boundary, ending in '\n'.
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    out += char(1);
    out += char(0);
    out += char(header.size() & 0xff);
    out += char((header.size() >> 8) & 0xff);
    out += header;
    return out;
}

bool writeNpyTo(const Tensor &t, const NpySink &sink)
{
    const std::string header = npyHeader(t.shape);
    if (!sink(header.data(), header.size()))
        return false;
    const char *data = reinterpret_cast<const char *>(t.data.data());
    const std::size_t bytes = t.data.size() * sizeof(float);
    for (std::size_t done = 0; done < bytes; done += kNpyChunkBytes)
        if (!sink(data + done, std::min(kNpyChunkBytes, bytes - done)))
            return false;
    return true;
}

std::string serializeNpy(const Tensor &t)
{
    std::string out;
    out.reserve(npyHeader(t.shape).size() + t.data.size() * sizeof(float));
    writeNpyTo(t, [&out](const char *p, std::size_t n) {
        out.append(p, n);
        return true;
    });
    return out;
}

std::string serializeNpyInt64(const Shape &shape, const std::vector<std::int64_t> &data)
{
    static_assert(std::endian::native == std::endian::little, "'<i8' is written as stored");
    std::string out = npyHeader(shape, "<i8");
    out.append(reinterpret_cast<const char *>(data.data()), data.size() * sizeof(std::int64_t));
    return out;
}

namespace {

// Streams `produce`'s bytes to `path` through a temporary file in the same folder and a
// rename, so an error never leaves a partial file there. A device or FIFO at `path` (e.g.
// /dev/stdout) is written directly: it cannot be replaced by a rename, nor should it be.
void writeAtomically(const std::string &path, const std::function<bool(const NpySink &)> &produce)
{
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        fail(path, "cannot write: " + osErrorText(EISDIR));
    const bool direct = exists && !S_ISREG(st.st_mode);
    std::string tmp = path;
    int fd = -1;
    if (direct) {
        fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    } else {
        std::random_device rd;
        for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
            tmp = path + ".tmp" + std::to_string(rd() % 1000000);
            fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd < 0 && errno != EEXIST)
                break;
        }
    }
    if (fd < 0)
        fail(path, "cannot write: " + osErrorText(errno));
    int err = 0;
    const auto sink = [&](const char *p, std::size_t n) {
        while (n > 0) {
            const ssize_t w = ::write(fd, p, n);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                err = errno;
                return false;
            }
            p += w;
            n -= static_cast<std::size_t>(w);
        }
        return true;
    };
    bool ok = produce(sink);
    if (::close(fd) != 0 && ok) {
        err = errno;
        ok = false;
    }
    if (!ok) {
        if (!direct)
            ::unlink(tmp.c_str());
        fail(path, "cannot write: " + osErrorText(err));
    }
    if (!direct && ::rename(tmp.c_str(), path.c_str()) != 0) {
        err = errno;
        ::unlink(tmp.c_str());
        fail(path, "cannot replace the file: " + osErrorText(err));
    }
}

} // namespace

void writeFileAtomically(const std::string &path, const std::string &bytes)
{
    writeAtomically(path,
                    [&bytes](const NpySink &sink) { return sink(bytes.data(), bytes.size()); });
}

void writeNpy(const std::string &path, const Tensor &t)
{
    writeAtomically(path, [&t](const NpySink &sink) { return writeNpyTo(t, sink); });
}

} // namespace convscope::core
