// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the session reader on any bytes (JSON first, as loadSession reads a
// file), then what opening a session does with what it accepts: the network checks and a
// save of the same state, which must read back to the same network and image.
#include "sessionfile.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace convscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return 0;
    QString error;
    // No session folder: a relative image path stays a name, nothing on disk is read.
    const auto state = ui::sessionFromJson(doc.object(), QString(), &error);
    if (!state) {
        if (error.isEmpty())
            std::abort();                          // a refusal always says why
        if (std::getenv("CONVSCOPE_FUZZ_VERBOSE")) // why a seed is refused
            std::fprintf(stderr, "%s\n", qPrintable(error));
        return 0;
    }
    if (ui::checkNetwork(state->network))
        return 0;
    const auto again = ui::sessionFromJson(ui::sessionToJson(*state, QString()), QString(), &error);
    if (!again || !(again->network == state->network) || again->imagePng != state->imagePng)
        std::abort();
    return 0;
}
