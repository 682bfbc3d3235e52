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
#   fuzz     every libFuzzer target of tests/fuzz, 20 s each after its regression inputs
#            (tools/fuzz.sh; clang-14, ASan + UBSan)
#   package  what `cmake --install` and `cpack -G DEB` ship, from the release build: the
#            .desktop file, AppStream metainfo, MIME XML, man pages and bash completion
#            pass their validators, and lintian finds no error or warning in the .deb
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

# Validates what a desktop package installs; reuses build/release (built when missing).
package_check() {
    local build=build/release root=build/release/package-root id=io.github.convscope.ConvScope
    [ -f $build/CMakeCache.txt ] || cmake --preset release "${launcher[@]}" >/dev/null
    cmake --build --preset release --target convscope convscope_package_docs
    rm -rf "$root"
    DESTDIR="$PWD/$root" cmake --install $build --prefix /usr >/dev/null
    local share=$root/usr/share bin=$root/usr/bin/convscope
    desktop-file-validate "$share/applications/$id.desktop"
    appstreamcli validate --no-net --strict "$share/metainfo/$id.metainfo.xml"
    # The MIME package: well-formed, and update-mime-database compiles both types from it
    # without a complaint.
    xmllint --noout "$share/mime/packages/$id.xml"
    local log
    log=$(XDG_DATA_DIRS="$PWD/$share" update-mime-database "$share/mime" 2>&1)
    if [ -n "$log" ]; then
        echo "package: update-mime-database: $log" >&2
        return 1
    fi
    for t in session lesson; do
        [ -f "$share/mime/application/x-convscope-$t+json.xml" ] || {
            echo "package: the MIME database has no application/x-convscope-$t+json" >&2
            return 1
        }
    done
    # A man page per command the binary lists, each free of mandoc warnings.
    local commands
    commands=$("$bin" --help | sed -n '/^commands:/,/^$/s/^  \([^ ]*\) .*/\1/p')
    for c in "" $commands; do
        local page=$share/man/man1/convscope${c:+-$c}.1.gz
        [ -f "$page" ] || {
            echo "package: no man page $page" >&2
            return 1
        }
        mandoc -T lint -W warning "$page"
    done
    # The completion parses, and offers every option that each command's --help names.
    local completion=$share/bash-completion/completions/convscope
    bash -n "$completion"
    for c in $commands; do
        local offered missing=""
        offered=$(bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"
            COMP_WORDS=(convscope "$2" --); COMP_CWORD=2
            COMP_LINE="convscope $2 --"; COMP_POINT=${#COMP_LINE}; _convscope; echo "${COMPREPLY[*]}"' \
            _ "$completion" "$c")
        for o in $("$bin" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
            [[ " $offered " == *" $o "* ]] || missing+=" $o"
        done
        if [ -n "$missing" ]; then
            echo "package: the bash completion of '$c' lacks$missing" >&2
            return 1
        fi
    done
    # The Debian package: Depends from dpkg-shlibdeps, then lintian.
    rm -f $build/convscope_*.deb
    (cd $build && cpack -G DEB >/dev/null)
    local status=0
    log=$(lintian --fail-on error,warning $build/convscope_*.deb 2>&1) || status=$?
    grep -v 'running with root privileges' <<<"$log" || true
    if [ $status != 0 ]; then
        echo "package: lintian reports errors or warnings (exit $status)" >&2
        return 1
    fi
    echo "package: $(ls $build/convscope_*.deb) is clean"
}

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
    package) package_check ;;
    fuzz) tools/fuzz.sh 20 ;;
    tidy)
        [ -f build/release/compile_commands.json ] || cmake --preset release "${launcher[@]}" >/dev/null
        cmake --build --preset release # the Qt tests include their moc output
        tools/tidy.sh
        ;;
    *)
        echo "test.sh: unknown stage '$name' (expected format, release, tidy, asan, tsan, fuzz or package)" >&2
        exit 2
        ;;
    esac
    times+=("$name $((SECONDS - start)) s")
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(format release tidy asan tsan fuzz package)
times=()
total=$SECONDS
for s in "${stages[@]}"; do stage "$s"; done
echo "== passed: ${stages[*]}"
printf '   %s\n' "${times[@]}" "total $((SECONDS - total)) s"
