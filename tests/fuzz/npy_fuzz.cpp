// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the .npy reader on any bytes. A refusal is an NpyError; anything else
// (a crash, a sanitizer report, a hang, an allocation past the limit) is a finding. What it
// accepts must write back to a file that reads as the same tensor.
#include "npy.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char *>(data), size);
    convscope::core::Tensor t;
    try {
        t = convscope::core::parseNpy(bytes, "fuzz.npy");
    } catch (const convscope::core::NpyError &) {
        return 0;
    }
    const convscope::core::Tensor back =
        convscope::core::parseNpy(convscope::core::serializeNpy(t), "back.npy");
    if (back.shape != t.shape || back.data.size() != t.data.size()
        || (!t.data.empty()
            && std::memcmp(back.data.data(), t.data.data(), t.data.size() * sizeof(float)) != 0))
        std::abort();
    return 0;
}
