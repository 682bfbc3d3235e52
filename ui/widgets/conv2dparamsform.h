// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Conv2d arguments as a form of controls, the one editor both the Parameters dock (layer
// 1, the Session's) and the Layers dock (the deeper layers) show. It never changes a model:
// setParams() shows a configuration and every user edit is emitted as (before, after) for the
// owner to push as an undo command. The ranges are the editor ranges of paramlimits.h.
#include "conv2dparams.h"
#include "validate.h"

#include <QString>
#include <QWidget>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QSlider;
class QSpinBox;
class QToolButton;

namespace convscope::ui {

class Conv2dParamsForm : public QWidget {
    Q_OBJECT
public:
    struct Options {
        bool inputMode = true;   // the in_channels combo (grayscale or RGB image)
        bool squareOnly = false; // one value per (height, width) pair, set on both axes
        bool sliders = true;     // a slider under out_channels and each pair
        bool mnemonics = true;   // Alt+letter on the labels (one form per window may)
        // Successive steps of one spin box carry one merge key until the box is left, so the
        // owner's undo stack can fold them into one command.
        bool mergeSpinSteps = false;
        // Object names: "kernelH", "paddingMode", ... or, with a prefix, "layerKernelH"
        // ("layerKernel" when square only).
        QString namePrefix;
    };

    explicit Conv2dParamsForm(const Options &options, QWidget *parent = nullptr);

    // Shows `params` (no edit is emitted); edits are made relative to it.
    void setParams(const core::Conv2dParams &params);
    const core::Conv2dParams &params() const { return m_params; }

    // A locked field's controls are disabled and say why in their tooltip until unlocked
    // (a lesson step fixes them). Fields without a control here are ignored.
    void setLocked(core::Field field, bool locked);
    bool isLocked(core::Field field) const;

    // Marks the controls and label of `field` invalid (nullopt: none).
    void setMarked(std::optional<core::Field> field);
    bool isMarked(core::Field field) const;

    // What the form says of a number typed past a box's range (empty: nothing).
    QString rangeNote() const;

    // The padding_mode items, in core::PaddingMode order.
    static QStringList paddingModeNames();

signals:
    // One user edit. `mergeKey` is non-empty while a slider is dragged (same key for the
    // whole drag) and, with mergeSpinSteps, for the steps of one spin box.
    void paramsEdited(const core::Conv2dParams &before, const core::Conv2dParams &after,
                      const QString &what, const QString &mergeKey);

private:
    // A (height, width) pair: two spin boxes, a link toggle for square values and a slider;
    // square only, just `h`.
    struct HwPair {
        QSpinBox *h = nullptr;
        QSpinBox *w = nullptr;
        QToolButton *link = nullptr;
        QSlider *slider = nullptr;
        QLabel *label = nullptr;
        std::vector<QWidget *> controls() const;
    };
    QString name(const QString &base) const;
    QString text(const QString &label) const;
    QSpinBox *makeSpin(const QString &base, int lo, int hi, const QString &tip);
    QSlider *makeSlider(const QString &base, int lo, int hi);
    HwPair addPair(QGridLayout *grid, int &row, const QString &base, const QString &label, int lo,
                   int hi, int sliderHi, const QString &tip,
                   const std::function<core::Hw &(core::Conv2dParams &)> &field);
    void edit(const QString &what, const QString &mergeKey,
              const std::function<void(core::Conv2dParams &)> &change);
    QString spinKey(const QSpinBox *box) const;
    void updateEnabled();
    static void mark(QWidget *w, bool on);

    Options m_options;
    core::Conv2dParams m_params;
    QComboBox *m_inputMode = nullptr;
    QLabel *m_inputLabel = nullptr;
    QSpinBox *m_outChannels = nullptr;
    QSlider *m_outSlider = nullptr;
    QLabel *m_outLabel = nullptr;
    HwPair m_kernel, m_stride, m_padding, m_dilation;
    QComboBox *m_paddingKind = nullptr;
    QLabel *m_paddingLabel = nullptr;
    QComboBox *m_paddingMode = nullptr;
    QLabel *m_modeLabel = nullptr;
    QSpinBox *m_groups = nullptr;
    QLabel *m_groupsLabel = nullptr;
    QLabel *m_rangeNote = nullptr; // a number typed past a box's range, until the next edit
    QCheckBox *m_bias = nullptr;
    std::map<core::Field, std::vector<QWidget *>> m_markWidgets; // controls and labels
    std::map<core::Field, std::vector<QWidget *>> m_lockWidgets; // controls
    std::map<QWidget *, QString> m_tips;                         // tooltips while unlocked
    std::set<core::Field> m_locked;
    int m_dragSerial = 0;
    int m_spinSerial = 0;
    bool m_syncing = false;
};

} // namespace convscope::ui
