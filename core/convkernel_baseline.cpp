// SPDX-License-Identifier: GPL-3.0-or-later
// The baseline path of the micro-kernel; core/CMakeLists.txt gives this file its flags.
#define CONVSCOPE_KERNEL_NS baseline
#include "convkernel_impl.h"
