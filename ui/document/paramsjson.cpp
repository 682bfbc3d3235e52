// SPDX-License-Identifier: GPL-3.0-or-later
#include "paramsjson.h"

#include <QJsonArray>

#include <cmath>

namespace convscope::ui {

using core::Conv2dParams;
using core::Hw;

namespace {

// "an integer", "an integer >= 1" or "an integer in 1..16".
QString integerText(limits::Range r)
{
    if (r.lo == INT_MIN && r.hi == INT_MAX)
        return QStringLiteral("an integer");
    if (r.hi == INT_MAX)
        return QStringLiteral("an integer >= %1").arg(r.lo);
    return QStringLiteral("an integer in %1..%2").arg(r.lo).arg(r.hi);
}

class Reader {
public:
    Reader(const QJsonObject &o, const ParamsReadOptions &options, ParamsJsonError *error)
        : m_o(o), m_options(options), m_error(error)
    {
    }

    bool lenient() const { return m_options.keys == ParamsKeys::Lenient; }

    // A key the lenient reader may leave out (its default stays).
    bool skip(const QString &key) const { return lenient() && !m_o.contains(key); }

    bool fail(const QString &field, const QString &expected, const QJsonValue &got) const
    {
        if (m_error)
            *m_error = {field, expected, got};
        return false;
    }

    // One integer in `r` (clamped into it when the options say so).
    bool integer(const QJsonValue &v, const QString &field, limits::Range r, int *out) const
    {
        const double d = v.toDouble();
        if (!v.isDouble() || d != std::floor(d))
            return fail(field, integerText(r), v);
        if (d < r.lo || d > r.hi) {
            if (m_options.outOfRange == OutOfRange::Reject)
                return fail(field, integerText(r), v);
            *out = d < r.lo ? r.lo : r.hi;
            return true;
        }
        *out = static_cast<int>(d);
        return true;
    }

    bool integer(const QString &key, limits::Range r, int *out) const
    {
        return skip(key) || integer(m_o.value(key), key, r, out);
    }

    // Strict: [h, w]. Lenient: [h, w] or one int for both sides.
    bool pair(const QJsonValue &v, const QString &key, limits::Range r, Hw *out) const
    {
        if (!lenient()) {
            QString expected = QStringLiteral("a list of 2 integers [h, w]");
            if (r.lo != INT_MIN || r.hi != INT_MAX)
                expected += QStringLiteral(" (each %1)").arg(integerText(r));
            const QJsonArray a = v.toArray();
            if (!v.isArray() || a.size() != 2)
                return fail(key, expected, v);
            Hw hw;
            if (!integer(a[0], key, r, &hw.h) || !integer(a[1], key, r, &hw.w))
                return fail(key, expected, v);
            *out = hw;
            return true;
        }
        if (v.isArray()) {
            const QJsonArray a = v.toArray();
            if (a.size() != 2)
                return fail(key, QStringLiteral("an integer or [h, w]"), v);
            return integer(a[0], key + QStringLiteral("[0]"), r, &out->h)
                   && integer(a[1], key + QStringLiteral("[1]"), r, &out->w);
        }
        if (!v.isDouble()) {
            const QString expected =
                r.lo == INT_MIN
                    ? QStringLiteral("an integer or [h, w] of integers")
                    : QStringLiteral("an integer >= %1 or [h, w] of integers >= %1").arg(r.lo);
            return fail(key, expected, v);
        }
        int n = 0;
        if (!integer(v, key, r, &n))
            return false;
        *out = {n, n};
        return true;
    }

    bool pair(const QString &key, limits::Range r, Hw *out, bool required = false) const
    {
        return (!required && skip(key)) || pair(m_o.value(key), key, r, out);
    }

    bool padding(Conv2dParams *p) const
    {
        const QString key = QStringLiteral("padding");
        if (skip(key))
            return true;
        const QJsonValue v = m_o.value(key);
        if (v == QJsonValue(QStringLiteral("same"))) {
            p->paddingKind = core::PaddingKind::Same;
            return true;
        }
        if (v == QJsonValue(QStringLiteral("valid"))) {
            p->paddingKind = core::PaddingKind::Valid;
            return true;
        }
        if (lenient() && v.isString())
            return fail(key,
                        QStringLiteral("an integer >= %1, [h, w], \"same\" or \"valid\"")
                            .arg(m_options.limits.padding.lo),
                        v);
        p->paddingKind = core::PaddingKind::Explicit;
        if (pair(v, key, m_options.limits.padding, &p->padding))
            return true;
        if (!lenient() && m_error)
            m_error->expected += QStringLiteral(" (or \"same\" / \"valid\")");
        return false;
    }

    bool paddingMode(Conv2dParams *p) const
    {
        const QString key = QStringLiteral("padding_mode");
        if (skip(key))
            return true;
        const QJsonValue v = m_o.value(key);
        const auto mode =
            v.isString() ? core::parsePaddingMode(v.toString().toStdString()) : std::nullopt;
        if (!mode)
            return fail(
                key, QStringLiteral("one of \"zeros\", \"reflect\", \"replicate\", \"circular\""),
                v);
        p->paddingMode = *mode;
        return true;
    }

    bool boolean(const QString &key, bool *out) const
    {
        if (skip(key))
            return true;
        const QJsonValue v = m_o.value(key);
        if (!v.isBool())
            return fail(key, QStringLiteral("true or false"), v);
        *out = v.toBool();
        return true;
    }

    const ParamsLimits &limits() const { return m_options.limits; }

private:
    const QJsonObject &m_o;
    const ParamsReadOptions &m_options;
    ParamsJsonError *m_error;
};

} // namespace

QJsonValue pairToJson(Hw v, PairStyle style)
{
    if (style == PairStyle::SquareAsInt && v.h == v.w)
        return v.h;
    return QJsonArray{v.h, v.w};
}

QJsonObject paramsToJson(const Conv2dParams &p, PairStyle pairs)
{
    QJsonObject o;
    o[QStringLiteral("in_channels")] = p.inChannels;
    o[QStringLiteral("out_channels")] = p.outChannels;
    o[QStringLiteral("kernel_size")] = pairToJson(p.kernel, pairs);
    o[QStringLiteral("stride")] = pairToJson(p.stride, pairs);
    switch (p.paddingKind) {
    case core::PaddingKind::Same: o[QStringLiteral("padding")] = QStringLiteral("same"); break;
    case core::PaddingKind::Valid: o[QStringLiteral("padding")] = QStringLiteral("valid"); break;
    case core::PaddingKind::Explicit:
        o[QStringLiteral("padding")] = pairToJson(p.padding, pairs);
        break;
    }
    o[QStringLiteral("padding_mode")] = QString::fromStdString(core::toString(p.paddingMode));
    o[QStringLiteral("dilation")] = pairToJson(p.dilation, pairs);
    o[QStringLiteral("groups")] = p.groups;
    o[QStringLiteral("bias")] = p.bias;
    return o;
}

const QStringList &paramsJsonKeys()
{
    static const QStringList keys{QStringLiteral("in_channels"), QStringLiteral("out_channels"),
                                  QStringLiteral("kernel_size"), QStringLiteral("stride"),
                                  QStringLiteral("padding"),     QStringLiteral("padding_mode"),
                                  QStringLiteral("dilation"),    QStringLiteral("groups"),
                                  QStringLiteral("bias")};
    return keys;
}

QString ParamsJsonError::message() const
{
    if (got.isUndefined())
        return QStringLiteral("missing field '%1'").arg(field);
    return QStringLiteral("field '%1' must be %2").arg(field, expected);
}

std::optional<Conv2dParams> paramsFromJson(const QJsonObject &o, const ParamsReadOptions &options,
                                           ParamsJsonError *error)
{
    const Reader r(o, options, error);
    const ParamsLimits &lim = r.limits();
    Conv2dParams p;
    // The order of the checks is the order of the messages a user fixing a file sees.
    if (!r.integer(QStringLiteral("in_channels"), lim.inChannels, &p.inChannels)
        || !r.integer(QStringLiteral("out_channels"), lim.outChannels, &p.outChannels)
        || !r.pair(QStringLiteral("kernel_size"), lim.kernel, &p.kernel, /*required=*/true)
        || !r.pair(QStringLiteral("stride"), lim.stride, &p.stride)
        || !r.pair(QStringLiteral("dilation"), lim.dilation, &p.dilation)
        || !r.integer(QStringLiteral("groups"), lim.groups, &p.groups) || !r.padding(&p)
        || !r.paddingMode(&p) || !r.boolean(QStringLiteral("bias"), &p.bias))
        return std::nullopt;
    return p;
}

std::optional<Conv2dParams> paramsFromJson(const QJsonObject &o, QString *error)
{
    ParamsJsonError e;
    auto p = paramsFromJson(o, kSessionParams, &e);
    if (!p && error)
        *error = QStringLiteral("parameters: %1").arg(e.message());
    return p;
}

} // namespace convscope::ui
