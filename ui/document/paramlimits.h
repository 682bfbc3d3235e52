// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The ranges the app offers for each Conv2d argument, named once: the parameter editors
// (Parameters and Layers docks), the settings reader and the lesson reader all take them from
// here. They bound what a control can ask for, not what PyTorch accepts (core::validate says
// that): a session file may hold any value the engine can compute.
namespace convscope::ui::limits {

struct Range {
    int lo;
    int hi;
    constexpr bool contains(int v) const { return v >= lo && v <= hi; }
};

// The editors (and the settings a previous run left behind).
inline constexpr Range kChannels{1, 256}; // out_channels (in_channels is 1 or 3: the image)
inline constexpr Range kGroups{1, 256};
inline constexpr Range kKernel{1, 31};
inline constexpr Range kStride{1, 16};
inline constexpr Range kPadding{0, 64};
inline constexpr Range kDilation{1, 16};
// Slider spans (the spin boxes beside them go to the full range above).
inline constexpr int kChannelsSlider = 64;
inline constexpr int kKernelSlider = 15;
inline constexpr int kStrideSlider = 8;
inline constexpr int kPaddingSlider = 16;
inline constexpr int kDilationSlider = 8;

// Lessons: small enough for a step-through grid a class can follow.
inline constexpr Range kLessonChannels{1, 64};
inline constexpr Range kLessonGroups{1, 64};
inline constexpr int kLessonGrid = 16; // kernel side and input side of a step-through grid
// Stride, padding and dilation of a lesson step: padding grows the grid (and the output) a
// class must follow, and a lesson file is not trusted, so each is at most one grid side.
inline constexpr Range kLessonStride{1, kLessonGrid};
inline constexpr Range kLessonPadding{0, kLessonGrid};
inline constexpr Range kLessonDilation{1, kLessonGrid};

} // namespace convscope::ui::limits
