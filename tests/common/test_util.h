// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Small helpers shared by the core test suites (not a test file itself: the glob in
// tests/CMakeLists.txt only picks up *_test.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace convscope::test {

// gtest's core has no substring matcher without gmock; this one prints both strings on failure.
inline ::testing::AssertionResult hasSubstr(const std::string &text, const std::string &part)
{
    if (text.find(part) != std::string::npos)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << text << "\" does not contain \"" << part << "\"";
}

// A fresh, empty folder under the system temp dir, removed with everything in it on exit.
// The name carries the pid and a counter so parallel ctest runs never share a folder.
class TempDir {
public:
    TempDir()
    {
        static std::atomic<int> counter{0};
        m_path =
            std::filesystem::temp_directory_path()
            / ("convscope_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(m_path);
        std::filesystem::create_directories(m_path);
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::filesystem::path &path() const { return m_path; }
    std::string file(const std::string &name) const { return (m_path / name).string(); }

    // Number of entries in the folder: lets a test prove that a failed write left nothing.
    int entryCount() const
    {
        int n = 0;
        for ([[maybe_unused]] const auto &e : std::filesystem::directory_iterator(m_path))
            ++n;
        return n;
    }

private:
    std::filesystem::path m_path;
};

} // namespace convscope::test
