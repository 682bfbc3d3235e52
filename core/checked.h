// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Overflow-checked size arithmetic. Shapes come from files, the command line and the GUI,
// so a product of sizes may not fit an int64: every element count and buffer size in core
// is multiplied through here, and a refusal can then quote the real numbers instead of a
// wrapped-around one.
#include <cstdint>
#include <initializer_list>
#include <optional>

namespace convscope::core {

// a * b, or nullopt when the product does not fit an int64.
inline std::optional<std::int64_t> checkedMul(std::int64_t a, std::int64_t b)
{
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        return std::nullopt;
    return r;
}

// The product of [first, last), or nullopt when it does not fit an int64.
template <class It> std::optional<std::int64_t> checkedProduct(It first, It last)
{
    for (It i = first; i != last; ++i)
        if (*i == 0) // a zero anywhere makes the product 0, however large the rest
            return 0;
    std::int64_t r = 1;
    for (It i = first; i != last; ++i) {
        const auto next = checkedMul(r, *i);
        if (!next)
            return std::nullopt;
        r = *next;
    }
    return r;
}

inline std::optional<std::int64_t> checkedProduct(std::initializer_list<std::int64_t> factors)
{
    return checkedProduct(factors.begin(), factors.end());
}

} // namespace convscope::core
