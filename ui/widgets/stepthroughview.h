// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The step-through animation's canvas: a small padded input (numbers readable on a
// projector), the kernel window and its dilated taps, the per-channel products and sums,
// the bias, and the output grid filling in. Paints one core::StepFrame of a core::Stepper;
// it computes nothing itself. Clicks on input pixels are reported for the quiz.
#include "quiz.h"
#include "stepper.h"

#include <QColor>
#include <QList>
#include <QRect>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

namespace convscope::ui {

class StepThroughView : public QWidget {
    Q_OBJECT
public:
    explicit StepThroughView(QWidget *parent = nullptr);

    // The stepper to draw (shared with the teaching panel, which moves it); nullptr clears.
    void setStepper(std::shared_ptr<const core::Stepper> stepper);
    const core::Stepper *stepper() const { return m_stepper.get(); }
    // Redraws for the stepper's current index.
    void refresh();
    const std::optional<core::StepFrame> &frame() const { return m_frame; }

    // The text written in the current output cell (what the class reads as "the sum").
    QString displayedSum() const;
    // How a number is written: whole numbers without decimals, others with `decimals`
    // decimals (trailing zeros dropped; a tiny value keeps one significant digit rather than
    // reading as a signed zero); nullopt: every significant digit of the value.
    static QString formatValue(double v, std::optional<int> decimals = 2);
    // How this view writes a number now: with the decimals of decimals().
    QString formatted(double v) const { return formatValue(v, m_decimals); }
    // The decimals of every number drawn for the current position: the fewest at which the
    // printed products agree with the printed inputs and weights (core::agreeingDecimals), so
    // a class can check them by hand; 3 when no few decimals do (the products are then
    // joined by "≈", not "="); nullopt (every digit) on demand (setExact).
    std::optional<int> decimals() const { return m_decimals; }
    bool productsAgree() const { return m_agree; }
    void setExact(bool on);
    bool isExact() const { return m_exact; }

    // Predict-then-reveal: while an answer is hidden the window, the products and the
    // output grid are not drawn (they would give the answer away).
    void setAnswerHidden(bool hidden);
    bool isAnswerHidden() const { return m_answerHidden; }
    // Pixels the student clicked (drawn marked) and the revealed right answer.
    void setSelection(const std::vector<core::Pixel> &pixels);
    void setRevealed(const std::vector<core::Pixel> &pixels);
    // A padded position a question asks about (relative to the unpadded origin).
    void setQuestionMarker(std::optional<core::Pixel> padded);
    // Projector mode: bigger numbers, thicker lines, high-contrast colour-blind-safe colours.
    void setPresentation(bool on);

    // Where input pixel (y, x) of input channel c (padded coordinates allowed) is drawn;
    // an empty rect when that channel is not shown. For tests and the quiz.
    QRect cellRect(std::int64_t channel, std::int64_t y, std::int64_t x) const;

    QSize sizeHint() const override { return {1000, 640}; }
    QSize minimumSizeHint() const override { return {480, 320}; }

signals:
    // An input pixel inside the image was clicked (padding clicks are ignored).
    void pixelClicked(std::int64_t channel, std::int64_t y, std::int64_t x);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Palette {
        QColor background, text, faint, gridLine, padding, paddingText, tapFill, tapBorder, outFill,
            outBorder, visitedFill, select, reveal, question, groupFill;
    };
    // One drawn input grid (one channel of the current output's group).
    struct InputGrid {
        std::int64_t channel = 0;
        QRect rect; // the padded grid's cells
        int cell = 0;
        std::int64_t rowFirst = 0; // padded coordinate of the first row / column
        std::int64_t colFirst = 0;
        std::int64_t rows = 0;
        std::int64_t cols = 0;
    };
    void relayout();
    void paintInputGrid(QPainter &p, const InputGrid &g);
    void paintOutputGrid(QPainter &p);
    void paintMath(QPainter &p);
    void paintChannelStrip(QPainter &p);
    void paintSmallGrid(QPainter &p, QRect r, int rows, int cols, const std::vector<double> &values,
                        const QColor &fill, bool bold);
    QFont numberFont(int cell, bool bold = false) const;
    QFont textFont(double scale, bool bold) const;
    void paintLabel(QPainter &p, const QRect &grid, int room, const QString &first,
                    const QString &second);
    const Palette &palette() const { return m_presentation ? m_contrast : m_normal; }

    std::shared_ptr<const core::Stepper> m_stepper;
    std::optional<core::StepFrame> m_frame;
    bool m_answerHidden = false;
    bool m_presentation = false;
    bool m_exact = false;
    std::optional<int> m_decimals; // see decimals()
    bool m_agree = true;
    std::vector<core::Pixel> m_selection;
    std::vector<core::Pixel> m_revealed;
    std::optional<core::Pixel> m_question;
    bool m_integerInput = true;
    int m_textPx = 14; // base text size of the canvas, from its size

    // Layout, recomputed on resize and when the frame changes.
    std::vector<InputGrid> m_grids;
    std::int64_t m_hiddenChannels = 0; // group channels not drawn for lack of room
    QRect m_outputRect;
    int m_outputCell = 0;
    QRect m_stripRect;
    QRect m_mathRect;
    QRect m_titleRect;
    QRect m_paintArea; // the part of the canvas the current paint event redraws

    Palette m_normal;
    Palette m_contrast;
};

} // namespace convscope::ui
