#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# clang-tidy-14 with the repo's .clang-tidy over the project's own .cpp files (core/, ui/,
# app/, tests/), as the release preset compiles them (build/release/compile_commands.json).
# Any finding fails (.clang-tidy: WarningsAsErrors '*').
#   tools/tidy.sh                 every project .cpp in the compilation database
#   tools/tidy.sh FILE...         only these
# Needs the release build first: the Qt tests include their moc output (build/release/.../
# *_autogen). tools/test.sh runs it right after that build. TIDY_JOBS (default 2) sets the
# number of parallel clang-tidy processes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
db=build/release/compile_commands.json
clang_tidy="${CLANG_TIDY:-clang-tidy-14}"
jobs="${TIDY_JOBS:-2}"

if ! command -v "$clang_tidy" >/dev/null; then
    echo "tidy: $clang_tidy not found (tools/deps.sh installs clang-tidy-14)" >&2
    exit 2
fi
if [ ! -f "$db" ]; then
    echo "tidy: $db missing: configure and build the release preset first" >&2
    exit 2
fi

# The compilation database lists moc/rcc output under build/ too; only our sources count.
mapfile -t files < <(python3 - "$db" "$root" "$@" <<'EOF'
import json, os, re, sys
db, root, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
own = re.compile(re.escape(root) + r"/(core|ui|app|tests)/")
files = sorted({os.path.normpath(os.path.join(e["directory"], e["file"]))
                for e in json.load(open(db))})
files = [f for f in files if own.match(f) and f.endswith(".cpp")]
if wanted:
    wanted = {os.path.normpath(os.path.join(root, w)) for w in wanted}
    missing = wanted - set(files)
    if missing:
        sys.exit("tidy: not in the compilation database: " + " ".join(sorted(missing)))
    files = [f for f in files if f in wanted]
print("\n".join(files))
EOF
)
if [ ${#files[@]} -eq 0 ]; then
    echo "tidy: no files" >&2
    exit 2
fi

# The compile commands are GCC's: clang does not know some of its warning flags
# (-Wno-restrict), and -Werror would turn clang's own warnings into errors. Compiler
# warnings are GCC's job (-Werror in the presets); clang-tidy reports only its checks.
extra=(-extra-arg=-Wno-unknown-warning-option -extra-arg=-Wno-error)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
start=$SECONDS
if command -v run-clang-tidy-14 >/dev/null; then
    # Its file arguments are regexes on the path: anchor each one.
    patterns=()
    for f in "${files[@]}"; do patterns+=("^$(printf '%s' "$f" | sed 's/[.[\*^$()+?{|]/\\&/g')\$"); done
    run-clang-tidy-14 -clang-tidy-binary "$(command -v "$clang_tidy")" -p build/release \
        -j "$jobs" -quiet "${extra[@]}" "${patterns[@]}" >"$log" 2>&1 || status=$?
else
    printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$jobs" "$clang_tidy" -p build/release \
        --quiet "${extra[@]}" >"$log" 2>&1 || status=$?
fi
# Without the per-file command lines and the "N warnings generated" counts (those are the
# system headers' warnings, filtered out), and without colour.
sed -e 's/\x1b\[[0-9;]*m//g' "$log" \
    | grep -v -E '^(clang-tidy-14 |[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$|Suppressed [0-9]+ warnings|Use -header-filter|Running clang-tidy for)' \
    || true
findings=$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -c -E '^/.*:[0-9]+:[0-9]+: (warning|error): ' || true)
echo "tidy: ${#files[@]} files, $findings findings, $((SECONDS - start)) s"
if [ "$status" != 0 ] || [ "$findings" != 0 ]; then
    echo "tidy: FAILED" >&2
    exit 1
fi
