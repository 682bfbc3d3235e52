// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The effective receptive field of the selected output, computed off the GUI thread: the
// gradient of out[c, y, x] of a layer with respect to the input image (the user's weights on
// the user's image), the path counts (every weight 1, no nonlinearity), Luo et al.'s average
// over many output positions, or the layer's coverage (how often it reads each pixel). Every
// edit of the stack, the weights or the image, and every new selection, starts a new run and
// cancels the stale one. Numbers come from core/backward.h; this only schedules and keeps
// the newest result.
#include "backward.h"
#include "layerstackmodel.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace convscope::ui {

enum class ErfMode { Gradient, Paths, Average, Coverage };

struct ErfTarget {
    int layer = 0; // the Layers dock's numbering, from 0 (the Session's Conv2d)
    int channel = 0;
    int y = 0;
    int x = 0;
    bool operator==(const ErfTarget &) const = default;
};

struct ErfResult {
    ErfMode mode = ErfMode::Gradient;
    ErfTarget target;
    // The map drawn, row-major h x w: |gradient| summed over input channels (Gradient), path
    // counts summed over channels (Paths), the averaged |gradient| on the box (Average) or
    // the layer's read counts (Coverage).
    std::int64_t h = 0, w = 0;
    std::vector<double> map;
    // Where the map sits on the input image: rows/columns of its (0, 0) (Average and
    // Coverage of a later layer: not on the image, `onImage` false).
    bool onImage = true;
    core::Box box;              // the theoretical box, in the map's coordinates
    core::MassStats stats;      // of the map over the box
    std::int64_t boxPixels = 0; // the box's pixels inside the map
    std::int64_t boxZeros = 0;  // of those, how many the map holds 0 at
    double maxValue = 0.0;
    double minValue = 0.0;
    int positions = 0;       // Average: output positions averaged
    bool overOutput = false; // Coverage of a ConvTranspose2d (not in the Layers dock yet)
    double milliseconds = 0.0;
};

class ErfModel : public QObject {
    Q_OBJECT
public:
    explicit ErfModel(LayerStackModel *layers, QObject *parent = nullptr);
    ~ErfModel() override; // cancels the running job and waits for it

    ErfMode mode() const { return m_mode; }
    void setMode(ErfMode mode);
    const std::optional<ErfTarget> &target() const { return m_target; }
    void setTarget(const std::optional<ErfTarget> &target);
    // Positions per side the average takes (Luo et al.'s measurement), 1 to 64.
    void setSamples(int samples);

    // The newest finished result for the current mode and target (null: none yet).
    std::shared_ptr<const ErfResult> result() const { return m_result; }
    // Why the last run gave nothing (invalid stack, memory budget), else empty.
    const QString &error() const { return m_error; }
    bool isBusy() const { return m_running || m_pending; }

signals:
    void resultChanged(); // result() or error() changed
    void busyChanged(bool busy);

private:
    struct Job {
        ErfMode mode;
        ErfTarget target;
        core::Network network;
        std::shared_ptr<const core::Tensor> input;
        int samples;
    };
    struct Outcome {
        std::uint64_t generation = 0;
        bool cancelled = false;
        QString error;
        std::shared_ptr<ErfResult> result;
    };
    static Outcome run(const Job &job, std::uint64_t generation,
                       std::shared_ptr<std::atomic<std::uint64_t>> newest);

    void schedule();
    void start();
    void onFinished();

    LayerStackModel *m_layers;
    ErfMode m_mode = ErfMode::Gradient;
    std::optional<ErfTarget> m_target;
    int m_samples = 8;
    std::shared_ptr<const ErfResult> m_result;
    QString m_error;
    QFutureWatcher<Outcome> m_watcher;
    std::shared_ptr<std::atomic<std::uint64_t>> m_newest;
    std::uint64_t m_generation = 0;
    bool m_running = false;
    bool m_pending = false;
};

// The network position (counted from 1, as core counts) of the Conv2d that the Layers dock
// numbers `layer` (from 0); 0 when the network has no such Conv2d.
std::size_t networkLayerOf(const core::Network &net, int layer);

} // namespace convscope::ui
