#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# clang-format-14 with the repo's .clang-format over the project's C++ sources.
#   tools/format.sh            reformat in place (all sources, or only the files given)
#   tools/format.sh --check    change nothing; list the files that differ and exit 1
# Sources: the *.cpp/*.h files git knows (tracked, or new and not ignored), so build trees
# and scratch files are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
clang_format="${CLANG_FORMAT:-clang-format-14}"
if ! command -v "$clang_format" >/dev/null; then
    echo "format: $clang_format not found (tools/deps.sh installs clang-format-14)" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' \
        | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
fi
if [ ${#files[@]} -eq 0 ]; then
    echo "format: no files"
    exit 0
fi

if [ $check = 0 ]; then
    printf '%s\0' "${files[@]}" | xargs -0 -n 16 -P 2 "$clang_format" --style=file -i
    echo "format: ${#files[@]} files formatted"
    exit 0
fi

# Every source file names its licence in its first lines.
unlicensed=$(for f in "${files[@]}"; do head -n 3 "$f" | grep -q 'SPDX-License-Identifier:' || echo "$f"; done)
if [ -n "$unlicensed" ]; then
    echo "format: these files have no SPDX-License-Identifier line in their first 3 lines:"
    echo "$unlicensed" | sed 's/^/  /'
    exit 1
fi

# --dry-run names every line it would change ("FILE:L:C: warning: code should be
# clang-formatted"); one name per file that differs.
if ! out=$(printf '%s\0' "${files[@]}" | xargs -0 -n 64 "$clang_format" --style=file --dry-run 2>&1); then
    echo "$out" | grep -v 'code should be clang-formatted' | grep -v '^ ' >&2 || true
    echo "format: $clang_format failed" >&2
    exit 2
fi
differ=$(echo "$out" \
    | sed -n -E 's/^(.+):[0-9]+:[0-9]+: (warning|error): code should be clang-formatted.*/\1/p' \
    | sort -u)
if [ -n "$differ" ]; then
    echo "format: these files differ from $clang_format --style=file (run tools/format.sh):"
    echo "$differ" | sed 's/^/  /'
    echo "format: $(echo "$differ" | wc -l) of ${#files[@]} files need formatting"
    exit 1
fi
echo "format: all ${#files[@]} files formatted"
