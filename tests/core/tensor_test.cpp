// SPDX-License-Identifier: GPL-3.0-or-later
// core::crop: the window of every map, element for element, and the windows it refuses.
#include "tensor.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace convscope::core;

namespace {

// Every element names its own position: n c y x as the decimal digits of one number.
Tensor numbered(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w)
{
    Tensor t({n, c, h, w});
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < c; ++j)
            for (std::int64_t y = 0; y < h; ++y)
                for (std::int64_t x = 0; x < w; ++x)
                    t.at(i, j, y, x) = static_cast<float>(1000 * i + 100 * j + 10 * y + x);
    return t;
}

} // namespace

TEST(TensorCrop, window_keepsEverySampleAndChannel_andTheWindowsElements)
{
    const Tensor t = numbered(2, 3, 6, 7);
    const Tensor c = crop(t, 1, 2, 4, 3);
    ASSERT_EQ(c.shape, (Shape{2, 3, 4, 3}));
    for (std::int64_t n = 0; n < 2; ++n)
        for (std::int64_t ch = 0; ch < 3; ++ch)
            for (std::int64_t y = 0; y < 4; ++y)
                for (std::int64_t x = 0; x < 3; ++x)
                    EXPECT_EQ(c.at(n, ch, y, x), t.at(n, ch, y + 1, x + 2))
                        << "n " << n << " c " << ch << " y " << y << " x " << x;
}

TEST(TensorCrop, wholeMap_isTheSameTensor)
{
    const Tensor t = numbered(1, 2, 5, 4);
    EXPECT_EQ(crop(t, 0, 0, 5, 4), t);
}

TEST(TensorCrop, bottomRightCorner_isOneElement)
{
    const Tensor c = crop(numbered(1, 1, 5, 4), 4, 3, 1, 1);
    ASSERT_EQ(c.shape, (Shape{1, 1, 1, 1}));
    EXPECT_EQ(c.data.front(), 43.0f);
}

TEST(TensorCrop, windowOutsideTheMaps_orEmpty_throwsOutOfRange)
{
    const Tensor t = numbered(1, 1, 5, 4);
    EXPECT_THROW(crop(t, 1, 0, 5, 4), std::out_of_range);  // one row too low
    EXPECT_THROW(crop(t, 0, 1, 5, 4), std::out_of_range);  // one column too far right
    EXPECT_THROW(crop(t, -1, 0, 2, 2), std::out_of_range); // above the map
    EXPECT_THROW(crop(t, 0, 0, 0, 2), std::out_of_range);  // empty
    EXPECT_THROW(crop(t, 0, 0, 2, 0), std::out_of_range);
}

TEST(TensorCrop, notRankFour_throwsInvalidArgument)
{
    EXPECT_THROW(crop(Tensor({3, 5, 4}), 0, 0, 2, 2), std::invalid_argument);
}

TEST(TensorNumel, productBeyondInt64_throwsNamingTheShape)
{
    // 1e27 elements: a wrapped-around count would read -6930898827444486144.
    const Shape huge{1000000000, 1000000000, 1000000000};
    EXPECT_FALSE(checkedNumel(huge).has_value());
    try {
        (void)numel(huge);
        FAIL() << "numel did not throw";
    } catch (const std::overflow_error &e) {
        EXPECT_NE(std::string(e.what()).find("[1000000000, 1000000000, 1000000000]"),
                  std::string::npos)
            << e.what();
    }
}

TEST(TensorNumel, zeroDimension_makesZeroHoweverLargeTheRest)
{
    EXPECT_EQ(numel({1000000000, 1000000000, 1000000000, 0}), 0);
    EXPECT_EQ(checkedNumel({3, 1000000000, 1000000000}), std::int64_t{3000000000000000000});
    EXPECT_EQ(numel({}), 1);
}
