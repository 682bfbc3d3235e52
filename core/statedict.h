// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Weights as PyTorch users hold them: a state_dict (key -> tensor) read from a NumPy .npz
// (numpy.savez or savez_compressed), a .safetensors file, or a PyTorch .pt/.pth file written
// by torch.save(model.state_dict()) (a zip holding a pickle and raw storages). The pickle is
// read by a restricted reader that rebuilds tensors and plain containers only: any other
// import in it (os.system, a model class, ...) is refused before anything is built, like
// torch.load(weights_only=True), and nothing in the file is ever executed.
//
// A state_dict is then put into a network parsed from print(model) by its keys, with
// load_state_dict(strict=True)'s checks and messages. Files come from users, so every size
// is bounded and checked before it is used; errors name the file and the problem.
#include "network.h"
#include "tensor.h"
#include "torchprint.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace convscope::core {

class WeightsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The largest weights file read (whole, into memory): torchvision's VGG-16 is 528 MB.
inline constexpr std::size_t kWeightsMaxBytes = std::size_t{4} << 30;
// The largest pickle inside a .pt file (a state_dict's pickle is a few bytes per tensor).
inline constexpr std::size_t kPickleMaxBytes = std::size_t{64} << 20;
// The largest safetensors JSON header (the format's own limit is 100 MB).
inline constexpr std::size_t kSafetensorsMaxHeader = std::size_t{100} << 20;

struct StateDictEntry {
    std::string key;
    Tensor tensor;     // converted to float32 (integer tensors too: num_batches_tracked)
    std::string dtype; // as torch names it: "float32", "float64", "float16", "int64", ...
};

struct StateDict {
    std::string format; // "npz", "safetensors" or "pt"
    std::vector<StateDictEntry> entries;
    const StateDictEntry *find(const std::string &key) const;
};

// Reads a weights file; the format comes from its content (a zip holding data.pkl is a
// PyTorch file, one holding .npy members an .npz, an 8-byte header length followed by '{'
// a .safetensors), not from its name. Throws WeightsError naming the file.
StateDict readStateDict(const std::string &path);
// The same from bytes in memory; `name` is used in messages.
StateDict parseStateDict(const std::string &bytes, const std::string &name);

// The tensors the layer's module owns, in state_dict order, as key suffixes ("weight",
// "running_mean", ...) with their shapes: what load_state_dict expects.
struct ExpectedTensor {
    std::string suffix;
    Shape shape;
};
std::vector<ExpectedTensor> expectedTensors(const Layer &layer);

// The network of `model` with its tensors taken from `weights` by key, as
// model.load_state_dict(weights, strict=True) does: every key the modules own must be present
// with the module's shape, and no other key may be. Throws WeightsError listing every
// missing, unexpected and mismatched key in PyTorch's words ("size mismatch for 0.weight:
// copying a param with shape [3, 4, 3, 3] from checkpoint, the shape in current model is
// [4, 3, 3, 3]"). num_batches_tracked only matters in training: it may be absent.
Network loadStateDict(const TorchPrintModel &model, const StateDict &weights);

// The network with every tensor it lacks filled as a fresh PyTorch module would be: Conv2d
// and ConvTranspose2d weights and biases from U(-b, b) (kaiming_uniform_ with a = sqrt(5);
// seeded, not torch's numbers), BatchNorm2d with mean 0, variance 1, weight 1, bias 0.
Network withDefaultTensors(const Network &net, std::uint64_t seed);

} // namespace convscope::core
