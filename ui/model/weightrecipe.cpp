// SPDX-License-Identifier: GPL-3.0-or-later
#include "weightrecipe.h"

#include "kernels.h"
#include "session.h"
#include "shape.h"

#include <QHash>

#include <algorithm>

namespace convscope::ui {

namespace {

std::size_t fingerprint(const core::Tensor &weight, const core::Tensor &bias)
{
    std::size_t h = qHashRange(weight.shape.begin(), weight.shape.end());
    h = qHashBits(weight.data.data(), weight.data.size() * sizeof(float), h);
    return qHashBits(bias.data.data(), bias.data.size() * sizeof(float), h);
}

} // namespace

std::pair<core::Tensor, core::Tensor> makeWeights(const WeightRecipe &recipe,
                                                  const core::Conv2dParams &p)
{
    switch (recipe.kind) {
    case WeightRecipe::Kind::Builtin: return {};
    case WeightRecipe::Kind::Preset:
        return {core::presetWeights(p, recipe.preset), core::zeroBias(p)};
    case WeightRecipe::Kind::Kaiming:
        return {core::kaimingUniformWeights(p, recipe.seed), core::defaultBias(p, recipe.seed)};
    }
    return {};
}

bool weightsFit(const core::Conv2dParams &p, const core::Tensor &weight, const core::Tensor &bias)
{
    return weight.rank() == 4 && weight.shape == core::weightShape(p)
           && bias.shape == core::Shape{p.outChannels} && weight.size() > 0;
}

std::optional<core::KernelPreset> presetMaking(const core::Conv2dParams &p,
                                               const core::Tensor &weight, const core::Tensor &bias,
                                               bool all, int o)
{
    if (!weightsFit(p, weight, bias))
        return std::nullopt;
    const auto per = static_cast<std::size_t>(weight.dim(1) * weight.dim(2) * weight.dim(3));
    const std::size_t first = all ? 0 : static_cast<std::size_t>(o) * per;
    const std::size_t count = all ? weight.data.size() : per;
    // Presets set the bias to 0; an unused bias (bias=False) does not count.
    if (p.bias) {
        const auto b0 = bias.data.begin() + (all ? 0 : o);
        if (std::any_of(b0, all ? bias.data.end() : b0 + 1, [](float v) { return v != 0.0f; }))
            return std::nullopt;
    }
    const auto mine = weight.data.begin() + static_cast<std::ptrdiff_t>(first);
    for (core::KernelPreset preset : core::allKernelPresets()) {
        const core::Tensor w = core::presetWeights(p, preset);
        if (std::equal(mine, mine + static_cast<std::ptrdiff_t>(count),
                       w.data.begin() + static_cast<std::ptrdiff_t>(first)))
            return preset;
    }
    return std::nullopt;
}

bool reproduces(const WeightRecipe &recipe, const core::Conv2dParams &p, const core::Tensor &weight,
                const core::Tensor &bias)
{
    if (!weightsFit(p, weight, bias))
        return false;
    const auto [w, b] = recipe.kind == WeightRecipe::Kind::Builtin ? core::startupWeights(p)
                                                                   : makeWeights(recipe, p);
    return weight == w && (!p.bias || bias == b);
}

void WeightRecipeTracker::reset()
{
    m_recipe = {};
    m_seen.clear();
}

void WeightRecipeTracker::adopt(const core::Conv2dParams &p, const core::Tensor &weight,
                                const core::Tensor &bias)
{
    m_recipe =
        recipeMaking(p, weight, bias).value_or(remembered(weight, bias).value_or(WeightRecipe{}));
    remember(weight, bias);
}

void WeightRecipeTracker::edited(const core::Conv2dParams &p, const core::Tensor &weight,
                                 const core::Tensor &bias, std::optional<WeightRecipe> made)
{
    m_recipe = made ? *made : recipeMaking(p, weight, bias).value_or(m_recipe);
    remember(weight, bias);
}

std::optional<WeightRecipe> WeightRecipeTracker::recipeMaking(const core::Conv2dParams &p,
                                                              const core::Tensor &weight,
                                                              const core::Tensor &bias) const
{
    // The current recipe first: a 1-channel start-up mix is also "Box blur", and the recipe
    // that just made a new shape must stay the one in charge.
    if (reproduces(m_recipe, p, weight, bias))
        return m_recipe;
    if (const auto preset = presetMaking(p, weight, bias, true, 0))
        return WeightRecipe{WeightRecipe::Kind::Preset, *preset, m_recipe.seed};
    if (reproduces(WeightRecipe{}, p, weight, bias))
        return WeightRecipe{};
    // A seed cannot be read off the values; only a seeded initialisation seen here is known.
    if (const auto seen = remembered(weight, bias); seen && reproduces(*seen, p, weight, bias))
        return seen;
    return std::nullopt;
}

std::optional<WeightRecipe> WeightRecipeTracker::remembered(const core::Tensor &weight,
                                                            const core::Tensor &bias) const
{
    const std::size_t key = fingerprint(weight, bias);
    const auto it = std::find_if(m_seen.rbegin(), m_seen.rend(),
                                 [key](const auto &seen) { return seen.first == key; });
    if (it == m_seen.rend())
        return std::nullopt;
    return it->second;
}

void WeightRecipeTracker::remember(const core::Tensor &weight, const core::Tensor &bias)
{
    const std::size_t key = fingerprint(weight, bias);
    std::erase_if(m_seen, [key](const auto &seen) { return seen.first == key; });
    // Far more than an undo session revisits; the oldest are the least likely to come back.
    constexpr std::size_t most = 512;
    if (m_seen.size() >= most)
        m_seen.erase(m_seen.begin());
    m_seen.emplace_back(key, m_recipe);
}

} // namespace convscope::ui
