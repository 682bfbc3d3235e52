// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The kernel panel (a dock): how the Conv2d weights are made and what they are. Presets and
// seeded PyTorch-default initialisation, an editable grid of one (out, in) kernel shown as
// numbers on diverging colours, and the bias per output channel.
//
// The panel works on plain values: setConfiguration() shows them, and every user change is
// emitted as the complete new weight and bias through weightsEdited(), ready for an undo
// command. It never owns the truth; the session does and feeds it back.
#include "conv2dparams.h"
#include "kernels.h"
#include "tensor.h"
#include "weightrecipe.h"

#include <QLocale>
#include <QString>
#include <QWidget>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace convscope::ui {

class KernelPanel : public QWidget {
    Q_OBJECT
public:
    explicit KernelPanel(QWidget *parent = nullptr);
    ~KernelPanel() override;

    // What a number typed into a cell means: the C form ("0.125", "-1e-3", as Python writes
    // it) always, and the locale's decimal comma ("0,125" under de_DE) when the locale writes
    // decimals with one; never a thousands separator (which once turned "0,125" into 125).
    // nullopt with *why set for anything else, naming the text and what is expected.
    static std::optional<double> parseTypedValue(const QString &text, const QLocale &locale,
                                                 QString *why);
    // Why the last number typed into a cell was refused; empty once one is taken.
    QString typingNote() const;

    // Shows a configuration. `weight` is [C_out, C_in/groups, kH, kW] and `bias` [C_out]; when
    // they do not match weightShape(p) (parameters nn.Conv2d rejects, whose weights the session
    // keeps), the values are shown read-only with a note. The selected (out, in) pair is kept
    // when it still exists.
    void setConfiguration(const core::Conv2dParams &p, const core::Tensor &weight,
                          const core::Tensor &bias);

    const core::Conv2dParams &params() const { return m_params; }
    const core::Tensor &weight() const { return m_weight; }
    const core::Tensor &bias() const { return m_bias; }

    int selectedOutChannel() const;
    int selectedInChannel() const; // index within the group, the weight's dimension 1
    void setSelectedPair(int outChannel, int inChannel);

    // The preset the combo shows; none when it shows the neutral entry (the weights in use
    // are no preset: the session's built-in mix, a seeded initialisation, hand edits or
    // imported values). setConfiguration() selects what matches the weights in use.
    std::optional<core::KernelPreset> currentPreset() const;
    void setCurrentPreset(core::KernelPreset preset);
    std::uint64_t seed() const;
    void setSeed(std::uint64_t seed);

    // Apply the preset to every output channel, or only to the selected one.
    bool presetAppliesToAllChannels() const;
    void setPresetAppliesToAllChannels(bool all);

    // What a new weight shape re-makes: the recipe of the weights in use (see WeightRecipe).
    const WeightRecipe &recipe() const { return m_recipes.recipe(); }

    // Widgets, for tests and for keyboard focus chains.
    QComboBox *presetCombo() const { return m_presetCombo; }
    QTableWidget *kernelTable() const { return m_kernelTable; }
    QTableWidget *biasTable() const { return m_biasTable; }
    QPushButton *applyButton() const { return m_applyButton; }
    QPushButton *randomiseButton() const { return m_randomiseButton; }

public slots:
    void applyPreset(); // the preset combo's choice, with the chosen scope
    void randomise();   // Kaiming-uniform weights and bias from seed()
    void setWeightValue(int ky, int kx, double value); // of the selected (out, in) pair
    void setBiasValue(int outChannel, double value);

signals:
    // The complete new tensors after a user change; `description` names it for the undo
    // stack ("Apply Sobel x", "Randomise (Kaiming, seed 7)", "Edit w[2, 0, 1, 1]").
    void weightsEdited(core::Tensor weight, core::Tensor bias, QString description);
    // The user picked another (out, in) pair, e.g. to follow it in the feature-map grid.
    void selectedPairChanged(int outChannel, int inChannel);

protected:
    void changeEvent(QEvent *event) override;

private:
    bool editable() const;
    // `made`: the recipe that made the new weights (Apply to every channel, Randomise); none
    // for edits of the weights in use, which keep their origin unless they become a recipe.
    void emitEdit(core::Tensor weight, core::Tensor bias, const QString &description,
                  std::optional<WeightRecipe> made = std::nullopt);
    void refreshSelectors();
    void refreshKernelGrid();
    void refreshBias();
    void refreshInfo();
    void syncPresetCombo();
    std::optional<core::KernelPreset> presetInUse() const;
    QString neutralPresetText() const;
    void resizeCells();
    QString inputChannelLabel(int inChannel) const;

    core::Conv2dParams m_params;
    core::Tensor m_weight;
    core::Tensor m_bias;
    // The recipe of the weights in use and of each weight tensor shown here (see WeightRecipe).
    WeightRecipeTracker m_recipes;
    bool m_updating = false; // true while widgets are refilled from values

    QComboBox *m_presetCombo = nullptr;
    QComboBox *m_scopeCombo = nullptr;
    QPushButton *m_applyButton = nullptr;
    QSpinBox *m_seedSpin = nullptr;
    QPushButton *m_randomiseButton = nullptr;
    QLabel *m_kaimingLabel = nullptr;
    QSpinBox *m_outSpin = nullptr;
    QSpinBox *m_inSpin = nullptr;
    QLabel *m_pairLabel = nullptr;
    QLabel *m_shapeLabel = nullptr;
    QTableWidget *m_kernelTable = nullptr;
    QLabel *m_statsLabel = nullptr;
    QLabel *m_noteLabel = nullptr;
    QLabel *m_typingNote = nullptr;
    QTableWidget *m_biasTable = nullptr;
    QLabel *m_biasNote = nullptr;
};

} // namespace convscope::ui
