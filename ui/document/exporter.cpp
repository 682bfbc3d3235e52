#include "exporter.h"

#include "npy.h"
#include "paramsjson.h"
#include "pytorchsnippet.h"
#include "shape.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontMetricsF>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSet>
#include <QTemporaryDir>

#ifdef CONVSCOPE_HAVE_SVG
#include <QSvgGenerator>
#endif

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#ifndef CONVSCOPE_VERSION
#define CONVSCOPE_VERSION "0.0.0"
#endif

namespace convscope::ui {

using core::Tensor;

namespace {

QJsonArray shapeJson(const core::Shape &s)
{
    QJsonArray a;
    for (auto d : s)
        a.append(static_cast<qint64>(d));
    return a;
}

QJsonArray rangeJson(ValueRange r)
{
    return QJsonArray{static_cast<double>(r.lo), static_cast<double>(r.hi)};
}

QString shapeText(const core::Shape &s)
{
    return QString::fromStdString(core::formatShape(s));
}

std::size_t mapSize(const Tensor &t)
{
    return static_cast<std::size_t>(t.dim(2) * t.dim(3));
}

const float *mapData(const Tensor &t, int n, int c)
{
    return t.data.data() + (static_cast<std::size_t>(n) * static_cast<std::size_t>(t.dim(1))
                            + static_cast<std::size_t>(c))
                               * mapSize(t);
}

// --- file names: one place, so plannedFiles() and the export agree ---

struct FileNames {
    QString base;
    int samples = 1;
    int channels = 1;

    QString map(int n, int c, const QString &suffix) const
    {
        // Zero-padded so that a file browser sorts out02 before out10.
        const int digits = std::max(2, static_cast<int>(QString::number(channels - 1).size()));
        const QString channel = QStringLiteral("out%1").arg(c, digits, 10, QLatin1Char('0'));
        const QString sample = samples > 1 ? QStringLiteral("n%1_").arg(n) : QString();
        return QStringLiteral("%1_%2%3%4").arg(base, sample, channel, suffix);
    }
    QString png(int n, int c) const { return map(n, c, QStringLiteral(".png")); }
    QString png16(int n, int c) const { return map(n, c, QStringLiteral("_raw16.png")); }
    QString npy() const { return base + QStringLiteral("_output.npy"); }
    QString sheet(const QString &ext) const { return base + QStringLiteral("_sheet.") + ext; }
    QString input() const { return base + QStringLiteral("_input.npy"); }
    QString weight(int i) const { return QStringLiteral("%1_layer%2_weight.npy").arg(base).arg(i); }
    QString bias(int i) const { return QStringLiteral("%1_layer%2_bias.npy").arg(base).arg(i); }
    QString script() const { return base + QStringLiteral("_pytorch.py"); }
    QString json() const { return base + QStringLiteral("_export.json"); }
};

FileNames namesFor(const ExportRequest &r)
{
    FileNames f;
    f.base = r.baseName;
    if (r.output.rank() == 4) {
        f.samples = static_cast<int>(r.output.dim(0));
        f.channels = static_cast<int>(r.output.dim(1));
    }
    return f;
}

QStringList fileNames(const ExportRequest &r, const ExportFormats &fm)
{
    const FileNames f = namesFor(r);
    QStringList names;
    for (int n = 0; n < f.samples; ++n)
        for (int c = 0; c < f.channels; ++c) {
            if (fm.png)
                names << f.png(n, c);
            if (fm.png16)
                names << f.png16(n, c);
        }
    if (fm.npy)
        names << f.npy();
    if (fm.sheet)
        names << f.sheet(QStringLiteral("png"));
    if (fm.pdf)
        names << f.sheet(QStringLiteral("pdf"));
    if (fm.svg)
        names << f.sheet(QStringLiteral("svg"));
    if (fm.pytorch) {
        names << f.input();
        for (int i = 0; i < static_cast<int>(r.layers.size()); ++i) {
            names << f.weight(i);
            if (r.layers[static_cast<std::size_t>(i)].params.bias)
                names << f.bias(i);
        }
        names << f.script();
    }
    if (fm.json)
        names << f.json();
    return names;
}

std::filesystem::path fsPath(const QString &path)
{
    return std::filesystem::path(QFile::encodeName(path).toStdString());
}

// The staging area of one export: files are written through QSaveFile into a hidden
// folder next to their destination (same file system, so the final rename is atomic) and
// moved into place only by commit(). Anything else -- cancel, error, exception -- ends in
// the destructor, which removes the staging folder and any folder this export created.
class Transaction {
public:
    Transaction(QString folder, bool overwrite) : m_folder(std::move(folder)), m_overwrite(overwrite) {}
    ~Transaction() { rollback(); }
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    bool begin(QString *error)
    {
        const QFileInfo info(m_folder);
        if (info.exists() && !info.isDir()) {
            *error = QStringLiteral("cannot export to '%1': it is a file, not a folder").arg(m_folder);
            return false;
        }
        // Remember which folders we create so that a failed export removes them again.
        QString missing = QDir::cleanPath(info.absoluteFilePath());
        while (!QFileInfo::exists(missing)) {
            m_createdDirs.prepend(missing);
            missing = QFileInfo(missing).absolutePath();
        }
        if (!QDir().mkpath(m_folder)) {
            *error = QStringLiteral("cannot create folder '%1' (is '%2' writable?)")
                         .arg(m_folder, missing);
            return false;
        }
        m_staging = std::make_unique<QTemporaryDir>(QDir(m_folder).filePath(".convscope-export-XXXXXX"));
        if (!m_staging->isValid()) {
            *error = QStringLiteral("cannot write to folder '%1': %2 (choose a folder you can write to)")
                         .arg(QDir::toNativeSeparators(m_folder), m_staging->errorString());
            m_staging.reset();
            return false;
        }
        return true;
    }

    // `writer` fills the file; false from it (with *error set) aborts.
    bool write(const QString &name, const std::function<bool(QIODevice *, QString *)> &writer,
               QString *error)
    {
        QSaveFile file(m_staging->filePath(name));
        if (!file.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("cannot write '%1' in folder '%2': %3")
                         .arg(name, m_folder, file.errorString());
            return false;
        }
        QString why;
        if (!writer(&file, &why) || !file.commit()) {
            file.cancelWriting();
            *error = QStringLiteral("cannot write '%1' in folder '%2': %3")
                         .arg(name, m_folder, why.isEmpty() ? file.errorString() : why);
            return false;
        }
        m_names << name;
        return true;
    }

    bool writeBytes(const QString &name, const QByteArray &bytes, QString *error)
    {
        return write(
            name,
            [&bytes](QIODevice *d, QString *) { return d->write(bytes) == bytes.size(); },
            error);
    }

    bool commit(QString *error)
    {
        const QString backups = m_staging->filePath(".replaced");
        QDir().mkpath(backups);
        struct Done {
            std::filesystem::path target, backup;
            bool replaced;
        };
        std::vector<Done> done;
        std::error_code ec;
        for (const QString &name : std::as_const(m_names)) {
            const auto target = fsPath(QDir(m_folder).filePath(name));
            const auto backup = fsPath(QDir(backups).filePath(name));
            const bool exists = std::filesystem::exists(target, ec);
            bool ok = !exists || m_overwrite;
            // Keep the old file until every new one is in place, so a failure can restore it.
            if (ok && exists)
                std::filesystem::rename(target, backup, ec), ok = !ec;
            if (ok)
                std::filesystem::rename(fsPath(m_staging->filePath(name)), target, ec), ok = !ec;
            if (!ok) {
                if (exists && !m_overwrite)
                    *error = QStringLiteral("'%1' appeared in folder '%2' during the export; "
                                            "nothing was written")
                                 .arg(name, m_folder);
                else
                    *error = QStringLiteral("cannot move '%1' into folder '%2': %3; nothing was "
                                            "written")
                                 .arg(name, m_folder, QString::fromStdString(ec.message()));
                if (exists && m_overwrite && std::filesystem::exists(backup))
                    std::filesystem::rename(backup, target, ec);
                for (auto it = done.rbegin(); it != done.rend(); ++it) {
                    std::filesystem::remove(it->target, ec);
                    if (it->replaced)
                        std::filesystem::rename(it->backup, it->target, ec);
                }
                return false;
            }
            done.push_back({target, backup, exists});
        }
        m_committed = true;
        rollback(); // removes the staging folder (and the replaced files' backups)
        return true;
    }

private:
    void rollback()
    {
        m_staging.reset(); // QTemporaryDir removes itself and everything in it
        if (!m_committed)
            for (auto it = m_createdDirs.crbegin(); it != m_createdDirs.crend(); ++it)
                QDir().rmdir(*it); // only succeeds when empty, i.e. when we left nothing
        m_createdDirs.clear();
    }

    QString m_folder;
    bool m_overwrite = false;
    bool m_committed = false;
    std::unique_ptr<QTemporaryDir> m_staging;
    QStringList m_names;
    QStringList m_createdDirs;
};

bool writeImage(QIODevice *d, const QImage &image, QString *error)
{
    if (!image.save(d, "PNG")) {
        *error = QStringLiteral("PNG encoding failed");
        return false;
    }
    return true;
}

// --- contact sheet layout ---

struct SheetLayout {
    double width = 0, height = 0, margin = 0, gap = 0;
    QFont titleFont, textFont, labelFont, smallFont;
    QStringList titleLines;
    double titleLineHeight = 0, titleHeight = 0;
    int cols = 1, rows = 1, channels = 0;
    double cellW = 0, mapW = 0, mapH = 0, labelH = 0, rowH = 0, gridTop = 0;
    double barTop = 0, barH = 0, tickH = 0;
};

QFont pixelFont(double px, bool bold = false)
{
    QFont f(QStringLiteral("DejaVu Sans"));
    f.setPixelSize(std::max(1, static_cast<int>(std::lround(px))));
    f.setBold(bold);
    return f;
}

QString layerLine(const LayerState &l)
{
    QString s = QString::fromStdString(core::torchRepr(l.params));
    if (l.relu)
        s += QStringLiteral(" \u2192 ReLU");
    return s;
}

SheetLayout layoutSheet(const ExportRequest &r, int width)
{
    SheetLayout L;
    L.width = width;
    L.margin = width * 0.025;
    L.gap = width * 0.012;
    const double inner = width - 2 * L.margin;

    L.titleLines << QStringLiteral("convscope \u2014 %1").arg(r.inputName.isEmpty() ? r.baseName : r.inputName);
    for (const LayerState &l : r.layers)
        L.titleLines << layerLine(l);
    L.titleLines << QStringLiteral("input %1 \u2192 output %2    colour map: %3, range: %4")
                        .arg(shapeText(r.input.shape), shapeText(r.output.shape),
                             gradientName(r.view.gradient), rangeModeName(r.view.rangeMode));
    // The longest line decides the title size, so a long repr still fits the page.
    double titlePx = std::clamp(width / 55.0, 9.0, 48.0);
    for (const QString &line : std::as_const(L.titleLines)) {
        const double w = QFontMetricsF(pixelFont(titlePx)).horizontalAdvance(line);
        if (w > inner)
            titlePx = std::max(6.0, titlePx * inner / w);
    }
    L.titleFont = pixelFont(titlePx * 1.15, true);
    L.textFont = pixelFont(titlePx);
    L.titleLineHeight = titlePx * 1.5;
    L.titleHeight = L.titleLineHeight * L.titleLines.size();

    L.channels = static_cast<int>(r.output.dim(1));
    const double h = static_cast<double>(r.output.dim(2));
    const double w = static_cast<double>(r.output.dim(3));
    // Roughly square grid in pixels: tall maps get more columns, wide maps fewer.
    L.cols = std::clamp(static_cast<int>(std::ceil(std::sqrt(L.channels * h / w))), 1, L.channels);
    L.rows = (L.channels + L.cols - 1) / L.cols;
    L.cellW = (inner - (L.cols - 1) * L.gap) / L.cols;
    L.mapW = L.cellW;
    L.mapH = L.cellW * h / w;
    if (L.mapH > 2 * L.cellW) { // very tall maps: keep the sheet from becoming a ribbon
        L.mapH = 2 * L.cellW;
        L.mapW = L.mapH * w / h;
    }
    // Labels scale with the maps but never outgrow the title text.
    const double labelPx = std::clamp(L.cellW / 9.0, std::min(7.0, titlePx), titlePx);
    L.labelFont = pixelFont(labelPx);
    L.smallFont = pixelFont(labelPx * 0.8);
    const bool perMap = !isGlobal(r.view.rangeMode);
    L.labelH = labelPx * 1.5 + (perMap ? labelPx * 1.2 : 0.0);
    L.rowH = L.mapH + L.labelH + L.gap * 0.5;
    L.gridTop = L.margin + L.titleHeight + L.gap;
    L.barTop = L.gridTop + L.rows * L.rowH + L.gap;
    L.barH = std::clamp(width / 45.0, 8.0, 40.0);
    L.tickH = titlePx * 1.8;
    L.height = std::ceil(L.barTop + L.barH + L.tickH + L.titleLineHeight + L.margin);
    return L;
}

// "Nice" tick values (1, 2, 5 x 10^k steps) inside [lo, hi].
std::vector<double> niceTicks(double lo, double hi)
{
    const double span = hi - lo;
    if (!(span > 0) || !std::isfinite(span))
        return {lo};
    const double raw = span / 4.0;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double step = (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
    std::vector<double> ticks;
    for (double v = std::ceil(lo / step) * step; v <= hi + span * 1e-9; v += step)
        ticks.push_back(std::fabs(v) < step * 1e-6 ? 0.0 : v);
    return ticks;
}

QString number(double v)
{
    return QString::number(v, 'g', 4);
}

} // namespace

// --- formats ---

QStringList formatNames()
{
    return {"png", "png16", "npy", "sheet", "pdf", "svg", "json", "pytorch"};
}

bool svgSupported()
{
#ifdef CONVSCOPE_HAVE_SVG
    return true;
#else
    return false;
#endif
}

QString formatsToString(const ExportFormats &f)
{
    QStringList s;
    const bool on[] = {f.png, f.png16, f.npy, f.sheet, f.pdf, f.svg, f.json, f.pytorch};
    const QStringList names = formatNames();
    for (qsizetype i = 0; i < names.size(); ++i)
        if (on[i])
            s << names[i];
    return s.join(',');
}

bool parseFormats(const QString &text, ExportFormats *out, QString *error)
{
    ExportFormats f;
    bool *fields[] = {&f.png, &f.png16, &f.npy, &f.sheet, &f.pdf, &f.svg, &f.json, &f.pytorch};
    const QStringList names = formatNames();
    for (const QString &raw : text.split(',')) {
        const QString name = raw.trimmed().toLower();
        const qsizetype i = names.indexOf(name);
        if (i < 0) {
            *error = QStringLiteral("unknown format '%1': expected a comma-separated list of %2")
                         .arg(raw.trimmed(), names.join(", "));
            return false;
        }
        *fields[i] = true;
    }
    if (f.svg && !svgSupported()) {
        *error = QStringLiteral("this convscope was built without Qt Svg, so 'svg' is not "
                                "available (use 'pdf' for vector output)");
        return false;
    }
    *out = f;
    return true;
}

// --- building blocks ---

ValueRange mapRange(const Tensor &output, int n, int c)
{
    return rangeOf(mapData(output, n, c), mapSize(output));
}

ValueRange outputRange(const Tensor &output)
{
    return rangeOf(output.data.data(), output.data.size());
}

QImage renderChannel(const Tensor &output, int n, int c, const ViewSettings &view)
{
    const ValueRange range = colourRange(view.rangeMode, view.gradient, mapRange(output, n, c), outputRange(output));
    return renderMap(mapData(output, n, c), static_cast<int>(output.dim(3)),
                     static_cast<int>(output.dim(2)), range, view.gradient);
}

Png16 encodePng16(const float *data, int width, int height)
{
    Png16 p;
    const ValueRange r = rangeOf(data, static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
    p.offset = r.lo;
    p.scale = (static_cast<double>(r.hi) - r.lo) / 65535.0;
    p.image = QImage(width, height, QImage::Format_Grayscale16);
    for (int y = 0; y < height; ++y) {
        auto *line = reinterpret_cast<quint16 *>(p.image.scanLine(y));
        const float *row = data + static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
        for (int x = 0; x < width; ++x) {
            const double v = row[x];
            double q = p.scale > 0 && std::isfinite(v) ? std::round((v - p.offset) / p.scale) : 0.0;
            line[x] = static_cast<quint16>(std::clamp(q, 0.0, 65535.0));
        }
    }
    // Also inside the PNG, so the file alone is enough to recover the values.
    p.image.setText(QStringLiteral("convscope:formula"), QStringLiteral("value = offset + pixel * scale"));
    p.image.setText(QStringLiteral("convscope:offset"), QString::number(p.offset, 'g', 17));
    p.image.setText(QStringLiteral("convscope:scale"), QString::number(p.scale, 'g', 17));
    return p;
}

QSizeF contactSheetSize(const ExportRequest &r, int width)
{
    const SheetLayout L = layoutSheet(r, width);
    return {L.width, L.height};
}

void paintContactSheet(QPainter &p, const ExportRequest &r, int width)
{
    const SheetLayout L = layoutSheet(r, width);
    p.save();
    p.fillRect(QRectF(0, 0, L.width, L.height), Qt::white);
    p.setPen(Qt::black);
    // Pixels stay pixels: a 7x7 map scaled up must show its 49 cells, not a blur.
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setRenderHint(QPainter::TextAntialiasing, true);

    double y = L.margin;
    for (qsizetype i = 0; i < L.titleLines.size(); ++i) {
        p.setFont(i == 0 ? L.titleFont : L.textFont);
        p.drawText(QRectF(L.margin, y, L.width - 2 * L.margin, L.titleLineHeight),
                   Qt::AlignLeft | Qt::AlignVCenter, L.titleLines[i]);
        y += L.titleLineHeight;
    }

    const ValueRange all = outputRange(r.output);
    const bool perMap = !isGlobal(r.view.rangeMode);
    for (int c = 0; c < L.channels; ++c) {
        const int row = c / L.cols;
        const int col = c % L.cols;
        const double x0 = L.margin + col * (L.cellW + L.gap);
        const double y0 = L.gridTop + row * L.rowH;
        const QRectF target(x0 + (L.cellW - L.mapW) / 2, y0, L.mapW, L.mapH);
        p.drawImage(target, renderChannel(r.output, 0, c, r.view));
        p.setPen(QPen(QColor(160, 160, 160), 0));
        p.drawRect(target);
        p.setPen(Qt::black);
        p.setFont(L.labelFont);
        const double labelPx = L.labelFont.pixelSize();
        p.drawText(QRectF(x0, y0 + L.mapH, L.cellW, labelPx * 1.5), Qt::AlignCenter,
                   QStringLiteral("out[%1]").arg(c));
        if (perMap) {
            const ValueRange cr = colourRange(r.view.rangeMode, r.view.gradient, mapRange(r.output, 0, c), all);
            p.setFont(L.smallFont);
            p.drawText(QRectF(x0, y0 + L.mapH + labelPx * 1.4, L.cellW, labelPx * 1.2), Qt::AlignCenter,
                       QStringLiteral("[%1, %2]").arg(number(cr.lo), number(cr.hi)));
        }
    }

    // Colour bar: the gradient's 256 entries as one strip, ticks in data units (global
    // ranges) or relative to each map's own range (per-map ranges).
    const double barW = L.width - 2 * L.margin;
    QImage strip(256, 1, QImage::Format_ARGB32);
    const Lut &table = lut(r.view.gradient);
    for (int i = 0; i < 256; ++i)
        strip.setPixel(i, 0, table[static_cast<std::size_t>(i)]);
    const QRectF bar(L.margin, L.barTop, barW, L.barH);
    p.drawImage(bar, strip);
    p.setPen(QPen(Qt::black, 0));
    p.drawRect(bar);
    p.setFont(L.textFont);
    const auto tick = [&](double t, const QString &text) {
        const double x = L.margin + t * barW;
        p.drawLine(QPointF(x, L.barTop + L.barH), QPointF(x, L.barTop + L.barH + L.barH * 0.35));
        const double tw = QFontMetricsF(L.textFont).horizontalAdvance(text) + 4;
        const double left = std::clamp(x - tw / 2, L.margin - 2, L.width - L.margin - tw + 2);
        p.drawText(QRectF(left, L.barTop + L.barH * 1.35, tw, L.tickH), Qt::AlignHCenter | Qt::AlignTop, text);
    };
    QString caption;
    if (!perMap) {
        const ValueRange cr = colourRange(r.view.rangeMode, r.view.gradient, all, all);
        const double span = static_cast<double>(cr.hi) - cr.lo;
        for (double v : niceTicks(cr.lo, cr.hi))
            tick(span > 0 ? (v - cr.lo) / span : 0.5, number(v));
        caption = QStringLiteral("colour scale shared by all maps: [%1, %2]; output values in [%3, %4]")
                      .arg(number(cr.lo), number(cr.hi), number(all.lo), number(all.hi));
    } else if (r.view.gradient == Gradient::Diverging) {
        tick(0.0, QStringLiteral("\u2212max|v|"));
        tick(0.5, QStringLiteral("0"));
        tick(1.0, QStringLiteral("+max|v|"));
        caption = QStringLiteral("each map has its own symmetric scale (shown under it)");
    } else {
        tick(0.0, QStringLiteral("map min"));
        tick(1.0, QStringLiteral("map max"));
        caption = QStringLiteral("each map has its own scale (shown under it)");
    }
    p.setFont(L.smallFont);
    p.drawText(QRectF(L.margin, L.barTop + L.barH + L.tickH, barW, L.titleLineHeight),
               Qt::AlignLeft | Qt::AlignVCenter, caption);
    p.restore();
}

QImage renderContactSheet(const ExportRequest &r, int width)
{
    const QSizeF size = contactSheetSize(r, width);
    QImage image(size.toSize(), QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    paintContactSheet(p, r, width);
    p.end();
    return image;
}

QByteArray contactSheetPdf(const ExportRequest &r, int width)
{
    const QSizeF size = contactSheetSize(r, width);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter pdf(&buffer);
        const int dpi = 150;
        pdf.setResolution(dpi);
        pdf.setCreator(QStringLiteral("convscope " CONVSCOPE_VERSION));
        pdf.setTitle(QString::fromStdString(r.layers.empty() ? std::string() : core::torchRepr(r.layers.front().params)));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setPageSize(QPageSize(QSizeF(size.width() / dpi, size.height() / dpi), QPageSize::Inch,
                                  QString(), QPageSize::ExactMatch));
        QPainter p(&pdf);
        // The page is the sheet's size up to rounding to points; scale to fit exactly.
        p.scale(pdf.width() / size.width(), pdf.height() / size.height());
        paintContactSheet(p, r, width);
        p.end();
    }
    return bytes;
}

QByteArray contactSheetSvg([[maybe_unused]] const ExportRequest &r, [[maybe_unused]] int width)
{
#ifdef CONVSCOPE_HAVE_SVG
    const QSizeF size = contactSheetSize(r, width);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(size.toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), size));
    svg.setTitle(QStringLiteral("convscope contact sheet"));
    QPainter p(&svg);
    paintContactSheet(p, r, width);
    p.end();
    return bytes;
#else
    return {};
#endif
}

QByteArray sha256OfFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return {};
    return hash.result().toHex();
}

// --- the export ---

QStringList plannedFiles(const std::vector<ExportRequest> &requests, const ExportOptions &options)
{
    QStringList paths;
    const QDir dir(options.folder);
    for (const ExportRequest &r : requests)
        for (const QString &name : fileNames(r, options.formats))
            paths << QDir::cleanPath(dir.absoluteFilePath(name));
    return paths;
}

QString checkRequests(const std::vector<ExportRequest> &requests, const ExportOptions &options)
{
    if (requests.empty())
        return QStringLiteral("nothing to export");
    if (!options.formats.any())
        return QStringLiteral("choose at least one format (%1)").arg(formatNames().join(", "));
    if (options.formats.svg && !svgSupported())
        return QStringLiteral("SVG export needs Qt Svg, which this build does not have");
    if (options.folder.isEmpty())
        return QStringLiteral("choose a folder to export to");
    if ((options.formats.sheet || options.formats.pdf || options.formats.svg)
        && (options.sheetWidth < 200 || options.sheetWidth > 20000))
        return QStringLiteral("contact sheet width must be between 200 and 20000 pixels, got %1")
            .arg(options.sheetWidth);
    QSet<QString> seen;
    for (const ExportRequest &r : requests) {
        if (r.baseName.isEmpty() || r.baseName.contains('/') || r.baseName.contains('\\')
            || r.baseName.startsWith('.'))
            return QStringLiteral("invalid file name prefix '%1'").arg(r.baseName);
        if (r.output.rank() != 4 || r.output.size() == 0
            || r.output.size() != core::numel(r.output.shape))
            return QStringLiteral("'%1': the output %2 is not a non-empty [N, C, H, W] tensor")
                .arg(r.baseName, shapeText(r.output.shape));
        if (r.output.dim(2) > 32767 || r.output.dim(3) > 32767)
            return QStringLiteral("'%1': maps of %2 x %3 are too large for PNG export")
                .arg(r.baseName)
                .arg(r.output.dim(3))
                .arg(r.output.dim(2));
        if ((options.formats.pytorch || options.formats.json) && r.layers.empty())
            return QStringLiteral("'%1': the sidecar and the PyTorch script need the layers").arg(r.baseName);
        if (options.formats.pytorch && r.input.rank() != 4)
            return QStringLiteral("'%1': the input %2 is not an [N, C, H, W] tensor")
                .arg(r.baseName, shapeText(r.input.shape));
        if (QString e = checkLayers(r.layers); !e.isEmpty())
            return QStringLiteral("'%1': %2").arg(r.baseName, e);
        for (const QString &name : fileNames(r, options.formats)) {
            if (seen.contains(name))
                return QStringLiteral("two inputs would both write '%1'; give them different names")
                    .arg(name);
            seen.insert(name);
        }
    }
    for (const QString &path : plannedFiles(requests, options))
        if (QFileInfo(path).isDir())
            return QStringLiteral("'%1' is a folder; it cannot be replaced by an export file").arg(path);
    return {};
}

ExportResult exportResults(const std::vector<ExportRequest> &requests, const ExportOptions &options,
                           const ExportProgress &progress)
{
    ExportResult result;
    if (QString e = checkRequests(requests, options); !e.isEmpty()) {
        result.message = e;
        return result;
    }
    const QStringList planned = plannedFiles(requests, options);
    if (!options.overwrite) {
        for (const QString &path : planned)
            if (QFileInfo::exists(path))
                result.files << path;
        if (!result.files.isEmpty()) {
            result.status = ExportResult::Status::ExistingFiles;
            result.message = QStringLiteral("%1 file(s) already exist in '%2' (for example '%3'); "
                                            "nothing was written")
                                 .arg(result.files.size())
                                 .arg(options.folder, QFileInfo(result.files.front()).fileName());
            return result;
        }
    }

    Transaction tx(options.folder, options.overwrite);
    QString error;
    if (!tx.begin(&error)) {
        result.message = error;
        return result;
    }
    const double total = planned.size() + 1.0; // +1: moving the files into place
    int step = 0;
    const auto next = [&](const QString &name) {
        if (progress && !progress(step / total, name))
            return false;
        ++step;
        return true;
    };
    const auto cancelled = [&] {
        result.status = ExportResult::Status::Cancelled;
        result.message = QStringLiteral("export cancelled; nothing was written");
        return result;
    };
    const auto failed = [&] {
        result.status = ExportResult::Status::Failed;
        result.message = error;
        return result;
    };

    const QString created = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    for (const ExportRequest &r : requests) {
        const FileNames f = namesFor(r);
        const ExportFormats &fm = options.formats;
        const ValueRange all = outputRange(r.output);
        const int width = static_cast<int>(r.output.dim(3));
        const int height = static_cast<int>(r.output.dim(2));
        QJsonArray png16Maps, mapRanges;
        for (int n = 0; n < f.samples; ++n) {
            for (int c = 0; c < f.channels; ++c) {
                const ValueRange own = mapRange(r.output, n, c);
                mapRanges.append(QJsonObject{
                    {"sample", n},
                    {"channel", c},
                    {"range", rangeJson(own)},
                    {"colour_range", rangeJson(colourRange(r.view.rangeMode, r.view.gradient, own, all))}});
                if (fm.png) {
                    if (!next(f.png(n, c)))
                        return cancelled();
                    const QImage image = renderChannel(r.output, n, c, r.view);
                    if (!tx.write(f.png(n, c), [&](QIODevice *d, QString *e) { return writeImage(d, image, e); }, &error))
                        return failed();
                }
                if (fm.png16) {
                    if (!next(f.png16(n, c)))
                        return cancelled();
                    const Png16 p16 = encodePng16(mapData(r.output, n, c), width, height);
                    if (!tx.write(f.png16(n, c), [&](QIODevice *d, QString *e) { return writeImage(d, p16.image, e); }, &error))
                        return failed();
                    png16Maps.append(QJsonObject{{"file", f.png16(n, c)},
                                                 {"sample", n},
                                                 {"channel", c},
                                                 {"offset", p16.offset},
                                                 {"scale", p16.scale}});
                }
            }
        }
        if (fm.npy) {
            if (!next(f.npy()))
                return cancelled();
            if (!tx.writeBytes(f.npy(), QByteArray::fromStdString(core::serializeNpy(r.output)), &error))
                return failed();
        }
        if (fm.sheet) {
            if (!next(f.sheet("png")))
                return cancelled();
            const QImage sheet = renderContactSheet(r, options.sheetWidth);
            if (!tx.write(f.sheet("png"), [&](QIODevice *d, QString *e) { return writeImage(d, sheet, e); }, &error))
                return failed();
        }
        if (fm.pdf) {
            if (!next(f.sheet("pdf")))
                return cancelled();
            if (!tx.writeBytes(f.sheet("pdf"), contactSheetPdf(r, options.sheetWidth), &error))
                return failed();
        }
        if (fm.svg) {
            if (!next(f.sheet("svg")))
                return cancelled();
            if (!tx.writeBytes(f.sheet("svg"), contactSheetSvg(r, options.sheetWidth), &error))
                return failed();
        }
        if (fm.pytorch) {
            SnippetFiles sf;
            sf.folder = QDir(options.folder).absolutePath();
            sf.inputNpy = f.input();
            if (fm.npy)
                sf.outputNpy = f.npy();
            if (!next(f.input()))
                return cancelled();
            if (!tx.writeBytes(f.input(), QByteArray::fromStdString(core::serializeNpy(r.input)), &error))
                return failed();
            for (int i = 0; i < static_cast<int>(r.layers.size()); ++i) {
                const LayerState &l = r.layers[static_cast<std::size_t>(i)];
                if (!next(f.weight(i)))
                    return cancelled();
                if (!tx.writeBytes(f.weight(i), QByteArray::fromStdString(core::serializeNpy(l.weight)), &error))
                    return failed();
                sf.weightNpy << f.weight(i);
                sf.biasNpy << (l.params.bias ? f.bias(i) : QString());
                if (l.params.bias) {
                    if (!next(f.bias(i)))
                        return cancelled();
                    if (!tx.writeBytes(f.bias(i), QByteArray::fromStdString(core::serializeNpy(l.bias)), &error))
                        return failed();
                }
            }
            if (!next(f.script()))
                return cancelled();
            if (!tx.writeBytes(f.script(), pytorchSnippet(r.layers, sf).toUtf8(), &error))
                return failed();
        }
        if (fm.json) {
            if (!next(f.json()))
                return cancelled();
            QJsonObject o;
            o["convscope_version"] = CONVSCOPE_VERSION;
            o["created"] = created;
            o["input"] = QJsonObject{{"file", r.inputName},
                                     {"sha256", QString::fromLatin1(r.inputSha256)},
                                     {"mode", inputModeName(r.inputMode)},
                                     {"shape", shapeJson(r.input.shape)},
                                     {"range", rangeJson(rangeOf(r.input.data.data(), r.input.data.size()))},
                                     {"scaling", "pixel / 255 (torchvision ToTensor); grayscale = "
                                                 "0.299 R + 0.587 G + 0.114 B"}};
            QJsonArray layers;
            QStringList reprs;
            for (const LayerState &l : r.layers) {
                reprs << QString::fromStdString(core::torchRepr(l.params));
                if (l.relu)
                    reprs << QStringLiteral("ReLU()");
                layers.append(QJsonObject{
                    {"torch", QString::fromStdString(core::torchRepr(l.params))},
                    {"params", paramsToJson(l.params)},
                    {"relu", l.relu},
                    {"weight_shape", shapeJson(l.weight.shape)},
                    {"weight_range", rangeJson(rangeOf(l.weight.data.data(), l.weight.data.size()))},
                    {"bias_shape", l.params.bias ? QJsonValue(shapeJson(l.bias.shape)) : QJsonValue()}});
            }
            o["torch"] = reprs.size() == 1 ? reprs.front()
                                           : QStringLiteral("Sequential(%1)").arg(reprs.join(", "));
            o["layers"] = layers;
            // Which resolution the maps are at: a preview export must not pass for the image.
            const auto rank = r.input.shape.size();
            const QSize computed = rank >= 2 ? QSize(static_cast<int>(r.input.shape[rank - 1]),
                                                     static_cast<int>(r.input.shape[rank - 2]))
                                             : QSize();
            const QSize image = r.downscaledFrom.isEmpty() ? computed : r.downscaledFrom;
            const auto sizeJson = [](QSize s) {
                return QJsonObject{{"width", s.width()}, {"height", s.height()}};
            };
            o["resolution"] = QJsonObject{{"image", sizeJson(image)},
                                          {"computed", sizeJson(computed)},
                                          {"full_resolution", r.downscaledFrom.isEmpty()}};
            o["output"] = QJsonObject{{"shape", shapeJson(r.output.shape)},
                                      {"dtype", "float32"},
                                      {"range", rangeJson(all)},
                                      {"maps", mapRanges}};
            o["view"] = QJsonObject{{"colormap", gradientName(r.view.gradient)},
                                    {"range_mode", rangeModeName(r.view.rangeMode)}};
            if (fm.png16)
                o["png16"] = QJsonObject{{"formula", "value = offset + pixel * scale"},
                                         {"bit_depth", 16},
                                         {"maps", png16Maps}};
            if (fm.sheet || fm.pdf || fm.svg)
                o["contact_sheet"] = QJsonObject{{"width_px", options.sheetWidth}};
            o["files"] = QJsonArray::fromStringList(fileNames(r, fm));
            if (!tx.writeBytes(f.json(), QJsonDocument(o).toJson(QJsonDocument::Indented), &error))
                return failed();
        }
    }
    if (!next(QStringLiteral("moving files into place")))
        return cancelled();
    if (!tx.commit(&error))
        return failed();
    if (progress)
        progress(1.0, QStringLiteral("done"));
    result.status = ExportResult::Status::Ok;
    result.files = planned;
    result.message = QStringLiteral("wrote %1 file(s) to '%2'").arg(planned.size()).arg(options.folder);
    return result;
}

} // namespace convscope::ui
