// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// "Why this number?": for the selected output out[n, c, y, x], the arithmetic that made it,
// laid out like the kernel: for each input channel of the output's group, the value under
// every tap times its weight, the product, the channel's subtotal; then the bias and the
// total, checked against the value the feature map shows. Padded taps say which padding
// mode filled them and, for reflect/replicate/circular, which pixel they copy.
// The numbers come from core::explainOutput; this widget only lays them out.
#include "explain.h"

#include <QWidget>

#include <optional>

class QLabel;
class QTextBrowser;

namespace convscope::ui {

struct ComputeResult;

class ExplainPanel : public QWidget {
    Q_OBJECT
public:
    explicit ExplainPanel(QWidget *parent = nullptr);

    // Explains out[0, channel, y, x] of a finished result (its input, weights, bias and
    // parameters: the numbers match the map even while the user edits on). `layer` (0-based)
    // is only shown. Returns false, and shows why, when the position is not in the output.
    bool explain(const ComputeResult &result, int layer, int channel, int y, int x);
    // Shows an explanation; `mapValue` is what the feature map displays at that position.
    void setExplanation(const core::Explanation &e, float mapValue, int layer = 0);
    void clear();

    const std::optional<core::Explanation> &explanation() const { return m_explanation; }
    float mapValue() const { return m_mapValue; }
    // The total as printed (same formatting as every number in the panel).
    QString totalText() const;
    // Whether the total equals the map value: bit-exact against the reference order, or
    // within the engine's summation-order rounding (a few ulps of the largest partial sum).
    bool matchesMap() const;
    bool exactMatch() const;
    // Everything as shown, as HTML and as plain text (tests, copy to clipboard).
    QString html() const;
    QString plainText() const;

    // Channels laid out tap by tap; beyond this only their subtotals are listed, so a
    // 256-channel layer stays responsive (the count of hidden tables is said in the panel).
    static constexpr int kDetailedChannels = 16;

    // How every number in the panel is written.
    static QString formatNumber(double v);

protected:
    void changeEvent(QEvent *event) override;

private:
    void render();

    QLabel *m_header;
    QTextBrowser *m_body;
    std::optional<core::Explanation> m_explanation;
    float m_mapValue = 0.0f;
    int m_layer = 0;
};

} // namespace convscope::ui
