#pragma once
// The Conv2d parameters as controls (dock content). It never changes the Session itself:
// every edit is emitted as (before, after) values for the main window to push as an undo
// command, and the controls follow the Session back (undo, settings, sessions). The control
// named by ValidationError::field is marked and the engine's message shown under the form.
#include "session.h"

#include <QWidget>

#include <functional>
#include <map>
#include <vector>

class QCheckBox;
class QGridLayout;
class QComboBox;
class QLabel;
class QSlider;
class QSpinBox;
class QToolButton;

namespace convscope::ui {

class ParameterPanel : public QWidget {
    Q_OBJECT
public:
    explicit ParameterPanel(Session *session, QWidget *parent = nullptr);

    // Whether the control(s) of a field are marked invalid right now (for tests).
    bool isMarked(core::Field field) const;
    // The message shown under the form (empty when the parameters are valid).
    QString errorText() const;

signals:
    // One user edit. `mergeKey` is non-empty while a slider is dragged (same key for the
    // whole drag) so the undo stack can collapse the drag into one step.
    void paramsEdited(const core::Conv2dParams &before, const core::Conv2dParams &after,
                      const QString &what, const QString &mergeKey);

private:
    // A (height, width) pair: two spin boxes, a link toggle for square values and a slider.
    struct HwPair {
        QSpinBox *h = nullptr;
        QSpinBox *w = nullptr;
        QToolButton *link = nullptr;
        QSlider *slider = nullptr;
        QLabel *label = nullptr;
    };
    HwPair addPair(QGridLayout *grid, int row, const QString &name, const QString &label,
                   int lo, int hi, int sliderHi, const QString &tip,
                   std::function<core::Hw &(core::Conv2dParams &)> field);
    void edit(const QString &what, const QString &mergeKey,
              const std::function<void(core::Conv2dParams &)> &change);
    void syncFromSession();
    void showValidation();
    void mark(QWidget *w, bool on);

    Session *m_session;
    QComboBox *m_inputMode;
    QSpinBox *m_outChannels;
    QSlider *m_outSlider;
    HwPair m_kernel, m_stride, m_padding, m_dilation;
    QComboBox *m_paddingKind;
    QComboBox *m_paddingMode;
    QSpinBox *m_groups;
    QCheckBox *m_bias;
    QLabel *m_error;
    std::map<core::Field, std::vector<QWidget *>> m_fieldWidgets;
    int m_dragSerial = 0;
    bool m_syncing = false;
};

} // namespace convscope::ui
