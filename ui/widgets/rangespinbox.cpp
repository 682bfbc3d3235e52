// SPDX-License-Identifier: GPL-3.0-or-later
#include "rangespinbox.h"

#include <QKeyEvent>
#include <QLineEdit>

namespace convscope::ui {

namespace {

// The whole number in the box's text without prefix and suffix, if it is one.
std::optional<qlonglong> typedNumber(const QString &clean)
{
    bool ok = false;
    const qlonglong v = clean.trimmed().toLongLong(&ok);
    return ok ? std::optional<qlonglong>(v) : std::nullopt;
}

} // namespace

QValidator::State RangeSpinBox::validate(QString &input, int &pos) const
{
    const QValidator::State state = QSpinBox::validate(input, pos);
    if (state != QValidator::Invalid)
        return state;
    QString clean = input;
    if (clean.startsWith(prefix()))
        clean.remove(0, prefix().size());
    if (!suffix().isEmpty() && clean.endsWith(suffix()))
        clean.chop(suffix().size());
    // A number past the range may be typed (Intermediate: not taken as the value).
    return typedNumber(clean) ? QValidator::Intermediate : QValidator::Invalid;
}

void RangeSpinBox::reportTypedValue()
{
    const auto v = typedNumber(cleanText());
    if (v && (*v < minimum() || *v > maximum()))
        emit outOfRange(*v);
}

void RangeSpinBox::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter)
        reportTypedValue();
    QSpinBox::keyPressEvent(event);
}

void RangeSpinBox::focusOutEvent(QFocusEvent *event)
{
    reportTypedValue();
    QSpinBox::focusOutEvent(event);
}

} // namespace convscope::ui
