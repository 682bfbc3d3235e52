#include "conv2d.h"

#include "reference_conv.h"

namespace convscope::core {

ForwardStatus conv2d(const Tensor &input, const Tensor &weight, const Tensor *bias,
                     const Conv2dParams &p, Tensor &out, const ForwardOptions &options)
{
    // Until the fast paths land, the front door runs the oracle.
    if (options.progress && !options.progress(0.0))
        return ForwardStatus::Cancelled;
    out = referenceConv2d(input, weight, bias, p);
    if (options.progress)
        options.progress(1.0);
    return ForwardStatus::Done;
}

} // namespace convscope::core
