// SPDX-License-Identifier: GPL-3.0-or-later
#include "session.h"

#include "kernels.h"
#include "memory.h"

#include "imageinput.h"
#include "shape.h"

#include <QFileInfo>

#include <algorithm>

namespace convscope::ui {

Session::Session(QObject *parent) : QObject(parent)
{
    // A teaching default: RGB in, 8 maps, 3x3 kernel, 'same'-sized output via padding 1.
    m_params.inChannels = 3;
    m_params.outChannels = 8;
    m_params.kernel = {3, 3};
    m_params.padding = {1, 1};
    // A blank placeholder keeps inputTensor() non-null before the first image arrives.
    QImage blank(64, 64, QImage::Format_RGB32);
    blank.fill(Qt::gray);
    m_image = blank;
    m_imageSource = tr("blank");
    rebuildPreview();
    rebuildInput();
    ensureWeightShape(true);
    revalidate();
}

Session::~Session() = default;

bool Session::loadImage(const QString &path, QString *error)
{
    QImage img = readImage(path, error);
    if (img.isNull())
        return false;
    return setImage(img, path);
}

bool Session::setImage(const QImage &image, const QString &source)
{
    if (image.isNull())
        return false;
    m_image = toInputFormat(image); // 16-bit images keep their precision
    m_imageSource = source;
    rebuildPreview();
    rebuildInput();
    notify(Change::Image, revalidate());
    return true;
}

void Session::setPreviewLimit(int pixels)
{
    pixels = std::max(0, pixels);
    if (pixels == m_previewLimit)
        return;
    m_previewLimit = pixels;
    const QSize before = m_preview.size();
    rebuildPreview();
    if (m_preview.size() != before) {
        rebuildInput();
        notify(Change::Image, revalidate());
    }
}

void Session::rebuildPreview()
{
    const int longest = std::max(m_image.width(), m_image.height());
    if (m_previewLimit > 0 && longest > m_previewLimit)
        m_preview = scaledPreview(m_image, m_previewLimit);
    else
        m_preview = m_image;
}

void Session::rebuildInput()
{
    m_input = std::make_shared<const core::Tensor>(
        imageToTensor(m_preview, m_params.inChannels == 1 ? 1 : 3));
    ++m_inputRevision;
}

void Session::setParams(const core::Conv2dParams &p)
{
    if (p == m_params)
        return;
    const bool channelsChanged = p.inChannels != m_params.inChannels;
    m_params = p;
    if (channelsChanged)
        rebuildInput();
    Changes what = Change::Params;
    if (ensureWeightShape(false))
        what |= Change::Weights;
    if (channelsChanged)
        what |= Change::Image;
    notify(what, revalidate());
}

bool Session::revalidate()
{
    auto error = core::validate(m_params, m_input->shape);
    if (!error)
        if (auto big = core::checkMemory(core::geometryNetwork({m_params}), m_input->shape,
                                         core::memoryBudgetBytes()))
            error = big->error;
    const bool same = (!error && !m_error)
                      || (error && m_error && error->field == m_error->field
                          && error->message == m_error->message);
    m_error = std::move(error);
    return !same;
}

void Session::notify(Changes what, bool validationChanged)
{
    // The specific signals first (a view that shows one part), then the one changed() for
    // consumers of the whole state; by now nothing derived is stale.
    if (what & Change::Params)
        emit paramsChanged();
    if (what & Change::Weights)
        emit weightsChanged();
    if (what & Change::Image)
        emit imageChanged();
    if (validationChanged)
        emit this->validationChanged();
    emit changed(what);
}

bool Session::ensureWeightShape(bool force)
{
    const core::Shape wanted = core::weightShape(m_params);
    // Invalid parameters (e.g. groups not dividing the channels) may give an empty or
    // nonsensical shape: keep the old weights, the validation error is what the user sees.
    const bool sensible =
        m_params.groups > 0 && m_params.inChannels % m_params.groups == 0
        && std::all_of(wanted.begin(), wanted.end(), [](auto d) { return d > 0; });
    if (!sensible)
        return false;
    if (!force && m_weight && m_weight->shape == wanted && m_bias
        && m_bias->shape == core::Shape{m_params.outChannels})
        return false;
    auto [w, b] = m_initializer ? m_initializer(m_params) : core::startupWeights(m_params);
    if (w.shape != wanted || b.shape != core::Shape{m_params.outChannels})
        std::tie(w, b) = core::startupWeights(m_params); // a broken initializer must not break us
    m_weight = std::make_shared<const core::Tensor>(std::move(w));
    m_bias = std::make_shared<const core::Tensor>(std::move(b));
    ++m_weightsRevision;
    return true;
}

bool Session::setWeights(core::Tensor weight, core::Tensor bias)
{
    if (weight.shape != core::weightShape(m_params)
        || bias.shape != core::Shape{m_params.outChannels})
        return false;
    m_weight = std::make_shared<const core::Tensor>(std::move(weight));
    m_bias = std::make_shared<const core::Tensor>(std::move(bias));
    ++m_weightsRevision;
    notify(Change::Weights, false);
    return true;
}

void Session::setWeightInitializer(WeightInitializer init)
{
    m_initializer = std::move(init);
    if (ensureWeightShape(true))
        notify(Change::Weights, false);
}

void Session::setGradient(Gradient g)
{
    if (g == m_gradient)
        return;
    m_gradient = g;
    emit displayChanged();
}

void Session::setRangeMode(RangeMode mode)
{
    if (mode == m_rangeMode)
        return;
    m_rangeMode = mode;
    emit displayChanged();
}

void Session::setResult(std::shared_ptr<const ComputeResult> result)
{
    m_result = std::move(result);
    emit resultChanged();
}

void Session::setEngineFailure(const core::ValidationError &error)
{
    m_error = error;
    emit validationChanged();
}

bool Session::resultIsCurrent() const
{
    return m_result && !m_error && m_result->params == m_params
           && m_result->inputRevision == m_inputRevision
           && m_result->weightsRevision == m_weightsRevision;
}

} // namespace convscope::ui
