// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The layer stack: add and remove conv layers after the Session's layer (each with its own
// parameters, weights and an optional ReLU before it), choose whose feature maps are shown,
// and read the receptive-field table of the whole stack (core::receptiveFields): per layer
// and axis the output size, effective kernel, stride, effective padding, receptive-field
// size r, jump j and where output 0's field starts / its centre (Araujo et al., Distill 2019).
// Edits go through LayerStackModel, which makes them undo commands (commands.h).
#include "layerstackmodel.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QTableWidget;

namespace convscope::ui {

class Conv2dParamsForm;

class LayerStackPanel : public QWidget {
    Q_OBJECT
public:
    explicit LayerStackPanel(LayerStackModel *model, QWidget *parent = nullptr);

    // The layer whose parameters the editor shows (0-based).
    int currentLayer() const;
    void setCurrentLayer(int layer);
    QTableWidget *table() const { return m_table; }
    // Cell text of the receptive-field table, for tests: row = 2 * layer + (axis == W).
    QString tableText(int row, int column) const;
    // The table's column headers, in order.
    static QStringList tableColumns();

private:
    void rebuildList();
    void rebuildTable();
    void loadEditor();
    // An edit in the parameter editor; `mergeKey` is non-empty for the steps of one spin
    // box (they merge into one undo command), empty for combos and check boxes.
    void editorChanged(const core::Conv2dParams &after, const QString &mergeKey);

    LayerStackModel *m_model;
    QListWidget *m_list;
    QPushButton *m_add;
    QPushButton *m_remove;
    QComboBox *m_show;
    QLabel *m_editorNote;
    QWidget *m_editor;
    QCheckBox *m_relu;
    Conv2dParamsForm *m_form;
    QLabel *m_error;
    QTableWidget *m_table;
    bool m_loading = false;
    bool m_editing = false; // inside editorChanged(): layersChanged() is our own step
    int m_editSerial = 0;   // part of the merge key; bumped whenever merging must stop
};

} // namespace convscope::ui
