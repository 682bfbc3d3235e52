// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Which recipe made the Conv2d weights in use, so that a new weight shape re-makes weights
// the same way. Pure logic on plain values (no widgets): the kernel panel keeps one
// WeightRecipeTracker and the session's weight initializer asks it through the panel.
#include "conv2dparams.h"
#include "kernels.h"
#include "tensor.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace convscope::ui {

// How the weights are re-made when the parameters change their shape (kernel size, channels,
// groups). The rule follows the weights in use, as the preset combo names them, never a
// choice the user has since undone or replaced:
//  - weights a preset makes (every output channel, bias 0): that preset, so a class that set
//    "Sobel x" keeps seeing Sobel x when it tries a 5x5 kernel;
//  - the start-up mix: the start-up mix (Builtin);
//  - a seeded initialisation: the same seed;
//  - weights no recipe makes ("Custom weights": hand edits, a preset applied to one output
//    channel): the recipe they were edited from. The edits have no meaning at another size,
//    the kernel they started from has ("Laplacian with a changed centre" becomes a 5x5
//    Laplacian). The panel remembers that origin per weight tensor, so undo or redo that
//    brings edited weights back brings their origin back with them;
//  - weights of unknown origin (a session file, imported values): the start-up mix, as in a
//    fresh window, rather than whatever was applied before they were loaded.
// With the "selected output channel" scope the combo names one channel's kernel; a new shape
// re-makes every channel, so the recipe is always about the whole tensor.
struct WeightRecipe {
    enum class Kind {
        Builtin, // nothing chosen yet: the session's own default
        Preset,
        Kaiming,
    };
    Kind kind = Kind::Builtin;
    core::KernelPreset preset = core::KernelPreset::Identity;
    std::uint64_t seed = 0;
    bool operator==(const WeightRecipe &) const = default;
};

// Weights [C_out, C_in/groups, kH, kW] and bias [C_out] made by a recipe; the Builtin recipe
// returns an empty pair (callers use their own default).
std::pair<core::Tensor, core::Tensor> makeWeights(const WeightRecipe &recipe,
                                                  const core::Conv2dParams &p);

// Whether `weight` [C_out, C_in/groups, kH, kW] and `bias` [C_out] fit `p` (non-empty): only
// then do recipes and presets say anything about them.
bool weightsFit(const core::Conv2dParams &p, const core::Tensor &weight, const core::Tensor &bias);

// The preset whose weights these are: over the whole tensor (`allChannels`), or over output
// channel `outChannel` only. Presets set the bias to 0; an unused bias (bias=False) does not
// count. None when the weights do not fit `p` or no preset makes them.
std::optional<core::KernelPreset> presetMaking(const core::Conv2dParams &p,
                                               const core::Tensor &weight, const core::Tensor &bias,
                                               bool allChannels, int outChannel);

// Whether `recipe` makes exactly these weights (and this bias, when it is used); Builtin
// compares with the session's default.
bool reproduces(const WeightRecipe &recipe, const core::Conv2dParams &p, const core::Tensor &weight,
                const core::Tensor &bias);

// The recipe of the weights in use, and the recipe each weight tensor seen had: undo and
// redo bring back tensors, this brings back their recipe (see WeightRecipe).
class WeightRecipeTracker {
public:
    const WeightRecipe &recipe() const { return m_recipe; }

    // Forgets everything: the session's own default is in charge again.
    void reset();

    // Weights from the session (an echo of our own edit, undo/redo, a new shape, a loaded
    // file): the recipe that makes them, else the origin remembered for them, else Builtin.
    // Call only when the weights fit `p`.
    void adopt(const core::Conv2dParams &p, const core::Tensor &weight, const core::Tensor &bias);

    // Weights the user just made: `made` when a recipe made them (Apply to every channel,
    // Randomise); otherwise an edit, which keeps the origin of the weights it changed unless
    // the result is a recipe's weights itself.
    void edited(const core::Conv2dParams &p, const core::Tensor &weight, const core::Tensor &bias,
                std::optional<WeightRecipe> made);

    // The recipe that makes these weights, trying the current one first; none when no
    // recipe is known to make them.
    std::optional<WeightRecipe> recipeMaking(const core::Conv2dParams &p,
                                             const core::Tensor &weight,
                                             const core::Tensor &bias) const;

private:
    std::optional<WeightRecipe> remembered(const core::Tensor &weight,
                                           const core::Tensor &bias) const;
    void remember(const core::Tensor &weight, const core::Tensor &bias);

    WeightRecipe m_recipe;
    // By fingerprint of the weight and bias tensors, newest last.
    std::vector<std::pair<std::size_t, WeightRecipe>> m_seen;
};

} // namespace convscope::ui
