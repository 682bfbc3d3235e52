#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's test command. Installs what is missing, then, stopping at the first failure:
#   format   clang-format 14 and SPDX headers (tools/format.sh --check)
#   release  build and every test
#   tidy     clang-tidy 14 over every project .cpp (tools/tidy.sh; needs the release build)
#   asan     build and every test under AddressSanitizer + UBSan
#   tsan     the engine's concurrency tests under ThreadSanitizer (thread pool, conv2d
#            threads, progress and cancel from another thread, buffer reuse; why not the Qt
#            tests: tsan.supp)
# Each stage prints its time. ccache is used when installed (tools/deps.sh installs it), with
# the project root as its base directory so clones in other folders share the cache.
#   tools/test.sh [STAGE...]   only these stages (default: all, in the order above)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
export QT_QPA_PLATFORM=offscreen

launcher=()
if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

build_and_test() {
    local preset=$1
    cmake --preset "$preset" "${launcher[@]}" >/dev/null
    cmake --build --preset "$preset"
    ctest --preset "$preset"
}

stage() {
    local name=$1 start=$SECONDS
    echo "== $name"
    case $name in
    format) tools/format.sh --check ;;
    release | asan | tsan) build_and_test "$name" ;;
    tidy)
        [ -f build/release/compile_commands.json ] || cmake --preset release "${launcher[@]}" >/dev/null
        cmake --build --preset release # the Qt tests include their moc output
        tools/tidy.sh
        ;;
    *)
        echo "test.sh: unknown stage '$name' (expected format, release, tidy, asan or tsan)" >&2
        exit 2
        ;;
    esac
    times+=("$name $((SECONDS - start)) s")
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(format release tidy asan tsan)
times=()
total=$SECONDS
for s in "${stages[@]}"; do stage "$s"; done
echo "== passed: ${stages[*]}"
printf '   %s\n' "${times[@]}" "total $((SECONDS - total)) s"
