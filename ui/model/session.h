// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The one model of the desktop app: the image, the Conv2d parameters, the weights and bias,
// the display settings and the latest computed result. Widgets read it and edit it through
// its setters (parameter edits go through undo commands, see commands.h); the compute
// controller turns its state into results. Exporters and session files read it only.
//
// Threading: a Session lives on the GUI thread. The tensors it hands out are immutable and
// shared (std::shared_ptr<const ...>), so a worker thread can keep using a snapshot while the
// user edits on.
#include "colormap.h"
#include "conv2dparams.h"
#include "imageinput.h"
#include "tensor.h"
#include "validate.h"
#include "viewsettings.h"

#include <QImage>
#include <QObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace convscope::ui {

// One finished forward pass, immutable once published.
struct ComputeResult {
    core::Conv2dParams params;                  // the parameters it was computed with
    std::shared_ptr<const core::Tensor> input;  // [1, C_in, H, W], values in [0, 1]
    std::shared_ptr<const core::Tensor> weight; // [C_out, C_in/groups, kH, kW]
    std::shared_ptr<const core::Tensor> bias;   // [C_out]; nullptr when params.bias is false
    core::Tensor output;                        // [1, C_out, H_out, W_out]
    std::vector<ValueRange> channelRanges;      // min..max of each output channel (finite values)
    // The maps the grid showed when the run started, already coloured for that view (see
    // ComputeController::setMapRequests); the grid draws them as they are if its view is
    // still the same, and colours a map itself otherwise.
    std::vector<MapPreview> previews;
    double computeMs = 0.0;            // conv2d + channel ranges, wall clock on the worker
    std::uint64_t inputRevision = 0;   // Session::inputRevision() at the time of the run
    std::uint64_t weightsRevision = 0; // Session::weightsRevision() at the time of the run
};

// Produces weights [C_out, C_in/groups, kH, kW] and bias [C_out] for a parameter set.
// The kernel panel installs one for its presets / seeded initialisation.
using WeightInitializer =
    std::function<std::pair<core::Tensor, core::Tensor>(const core::Conv2dParams &)>;

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject *parent = nullptr);
    ~Session() override;

    // ---- image ---------------------------------------------------------------------------
    // Loads a file; on failure the current image stays and the message is returned in *error.
    bool loadImage(const QString &path, QString *error);
    // Replaces the image (e.g. pasted from the clipboard). `source` is shown to the user
    // ("clipboard", a file path, "sample"). A null image is refused (returns false).
    bool setImage(const QImage &image, const QString &source);

    const QImage &image() const { return m_image; } // full resolution, as loaded
    const QString &imageSource() const { return m_imageSource; }
    const QImage &previewImage() const { return m_preview; } // what is fed (maybe downscaled)
    bool isDownscaled() const { return m_preview.size() != m_image.size(); }

    // Longest side, in pixels, of the image fed to the live view; 0 = no limit.
    int previewLimit() const { return m_previewLimit; }
    void setPreviewLimit(int pixels);

    // The engine input built from previewImage(): [1, C, H, W] float32 in [0, 1], with
    // C = params().inChannels (grayscale uses Rec. 601 luma). Never null.
    std::shared_ptr<const core::Tensor> inputTensor() const { return m_input; }
    // Bumped whenever inputTensor() changes (image, preview limit or input mode).
    std::uint64_t inputRevision() const { return m_inputRevision; }

    // ---- parameters ----------------------------------------------------------------------
    const core::Conv2dParams &params() const { return m_params; }
    // Stores the parameters; invalid ones are a normal, displayed state: validationError()
    // says why, and is up to date before any signal of the edit is emitted. Changing
    // inChannels (1 <-> 3) rebuilds the input tensor. When the weight shape changes the
    // weights are re-made by the weight initializer. Use the undo commands from the UI.
    void setParams(const core::Conv2dParams &p);
    InputMode inputMode() const
    {
        return m_params.inChannels == 1 ? InputMode::Grayscale : InputMode::Rgb;
    }

    // ---- weights -------------------------------------------------------------------------
    std::shared_ptr<const core::Tensor> weight() const { return m_weight; }
    // Always [C_out] (zeros by default), also while params().bias is false, so switching
    // bias back on restores the values.
    std::shared_ptr<const core::Tensor> bias() const { return m_bias; }
    // Replaces weights and bias. The shapes must match weightShape(params()) and [C_out];
    // returns false (and changes nothing) otherwise.
    bool setWeights(core::Tensor weight, core::Tensor bias);
    std::uint64_t weightsRevision() const { return m_weightsRevision; }
    // Installs the function used when the weight shape changes; re-makes the weights now.
    void setWeightInitializer(WeightInitializer init);

    // ---- display -------------------------------------------------------------------------
    Gradient gradient() const { return m_gradient; }
    void setGradient(Gradient g);
    RangeMode rangeMode() const { return m_rangeMode; }
    void setRangeMode(RangeMode mode);

    // ---- results (written by ComputeController) ------------------------------------------
    // What an edit changed, in one changed() notification.
    enum class Change { Image = 1, Params = 2, Weights = 4 };
    Q_DECLARE_FLAGS(Changes, Change)

    // The last successfully computed result, possibly for older parameters; may be null.
    std::shared_ptr<const ComputeResult> result() const { return m_result; }
    void setResult(std::shared_ptr<const ComputeResult> result);
    // Why the current parameters cannot be computed on the current input, if they cannot:
    // core::validate, run once per edit here, where the state lives.
    const std::optional<core::ValidationError> &validationError() const { return m_error; }
    // A failure of the engine itself on parameters that validated (out of memory): shown
    // like a validation error until the next edit.
    void setEngineFailure(const core::ValidationError &error);
    // True when result() was computed from exactly the current params, input and weights.
    bool resultIsCurrent() const;

signals:
    // Emitted once per edit, after the specific signals below and with every derived value
    // (input tensor, weights, validationError()) already current: what a consumer of several
    // parts of the state (the compute controller, the kernel panel) listens to.
    void changed(Session::Changes what);
    void imageChanged();      // image(), previewImage() and inputTensor() changed
    void paramsChanged();     // params() changed (inputTensor() too if inChannels changed)
    void weightsChanged();    // weight() and/or bias() changed
    void displayChanged();    // gradient() or rangeMode() changed
    void resultChanged();     // result() changed
    void validationChanged(); // validationError() changed

private:
    void rebuildPreview();
    void rebuildInput();
    // Re-makes the weights when their shape no longer fits; true when it did.
    bool ensureWeightShape(bool force);
    // Validates the current state into m_error; true when the verdict changed.
    bool revalidate();
    // Emits the signals of one edit, in one place and one order.
    void notify(Changes what, bool validationChanged);

    QImage m_image;
    QImage m_preview;
    QString m_imageSource;
    int m_previewLimit = 2048;
    std::shared_ptr<const core::Tensor> m_input;
    std::uint64_t m_inputRevision = 0;

    core::Conv2dParams m_params;
    std::shared_ptr<const core::Tensor> m_weight;
    std::shared_ptr<const core::Tensor> m_bias;
    std::uint64_t m_weightsRevision = 0;
    WeightInitializer m_initializer;

    Gradient m_gradient = Gradient::Diverging;
    RangeMode m_rangeMode = RangeMode::PerMap;

    std::shared_ptr<const ComputeResult> m_result;
    std::optional<core::ValidationError> m_error;
};

} // namespace convscope::ui

Q_DECLARE_OPERATORS_FOR_FLAGS(convscope::ui::Session::Changes)
