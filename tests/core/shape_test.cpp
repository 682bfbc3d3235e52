#include "shape.h"

#include <gtest/gtest.h>

using namespace convscope::core;

TEST(Shape, tutorialExample_matchesTorch)
{
    Conv2dParams p;
    p.inChannels = 40;
    p.outChannels = 100;
    p.kernel = {3, 3};
    p.stride = {2, 2};
    p.padding = {3, 3};
    EXPECT_EQ(outputShape(p, {40, 40, 32, 32}), (Shape{40, 100, 18, 18}));
}
