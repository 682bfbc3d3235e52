// SPDX-License-Identifier: GPL-3.0-or-later
// The avx512 path of the micro-kernel; core/CMakeLists.txt gives this file its flags.
#define CONVSCOPE_KERNEL_NS avx512
#include "convkernel_impl.h"
