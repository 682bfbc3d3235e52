#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets (the fuzz preset: clang-14, ASan + UBSan) and runs each one:
# first once over its regression inputs (tests/fuzz/regressions/NAME: every crash found so
# far, each must now run clean), then for SECONDS of fuzzing from its seeds (the committed
# tests/fuzz/corpus/NAME and the project's own fixtures of that format). Two targets run at a
# time. A crash, a sanitizer report, an input slower than 10 s or one that allocates more
# than 2 GB fails the run and leaves the input in build/fuzz/findings.
#   tools/fuzz.sh [SECONDS] [TARGET...]   default: 20 s each; all of engine, npy, statedict,
#                                         torchprint, lesson, session
# For a long run of one target: tools/fuzz.sh 1200 statedict (the new inputs it finds are
# kept in build/fuzz/corpus/NAME and reused by the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(engine npy statedict torchprint lesson session)
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "fuzz.sh: SECONDS must be a whole number >= 1, got '$seconds'" >&2
    exit 2
fi

launcher=()
if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build --preset fuzz

bin=build/fuzz/tests/fuzz
findings=build/fuzz/findings
mkdir -p "$findings"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export QT_QPA_PLATFORM=offscreen UBSAN_OPTIONS=print_stacktrace=1

# The seed folders of a target besides its committed corpus (read, never written).
seeds() {
    case $1 in
    npy) echo tests/data/fixtures ;;
    statedict) echo tests/data/fixtures/weights ;;
    torchprint) echo tests/data/fixtures/torchprint ;;
    lesson) echo resources/lessons ;;
    esac
}

run() {
    local name=$1 exe=$bin/${1}_fuzz log=$logs/$1.log
    local limits=(-timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=2048)
    if [ ! -x "$exe" ]; then
        echo "fuzz: no target '$name' (expected one of engine, npy, statedict, torchprint, lesson, session)" >"$log"
        return 1
    fi
    local regressions=(tests/fuzz/regressions/"$name"/*)
    if [ -e "${regressions[0]}" ]; then
        "$exe" "${limits[@]}" "${regressions[@]}" >"$log" 2>&1 || {
            echo "fuzz: $name fails on a regression input" >>"$log"
            return 1
        }
    fi
    local corpus=build/fuzz/corpus/$name dirs=()
    mkdir -p "$corpus"
    [ -d tests/fuzz/corpus/"$name" ] && dirs+=(tests/fuzz/corpus/"$name")
    for d in $(seeds "$name"); do dirs+=("$d"); done
    "$exe" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$findings/$name-" "$corpus" "${dirs[@]}" >"$log" 2>&1
}

failed=()
report() {
    local name=$1 status=$2 log=$logs/$1.log
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$status" = 0 ]; then
        echo "fuzz: $name: ${runs:-?} runs in ${seconds} s, no finding"
    else
        failed+=("$name")
        echo "fuzz: $name FAILED (exit $status); the end of its log:" >&2
        tail -40 "$log" >&2
    fi
}

# Two at a time: the machine has two cores.
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    a=${targets[i]} b=${targets[i + 1]:-}
    run "$a" &
    pa=$!
    if [ -n "$b" ]; then
        run "$b" &
        pb=$!
    fi
    sa=0 sb=0
    wait $pa || sa=$?
    report "$a" $sa
    if [ -n "$b" ]; then
        wait $pb || sb=$?
        report "$b" $sb
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]} (inputs under $findings)" >&2
    exit 1
fi
