#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `convscope export` as a script sees it: exit codes, messages, and that a failed or refused
# export writes nothing at all.
set -u
bin=$1
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/stdout err=$tmp/stderr
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() { # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$out" 2>"$err"
  local rc=$?
  if [ "$rc" != "$want" ]; then fail "$what: exit $rc, expected $want"; cat "$err"; else echo "ok:   $what"; fi
}
# Images as binary PPM (no image tools needed): 23x17 RGB noise, and a second one.
ppm() { printf 'P6\n%d %d\n255\n' "$2" "$3" >"$1"; head -c $(($2 * $3 * 3)) /dev/urandom >>"$1"; }
mkdir -p "$tmp/img/other"
ppm "$tmp/img/a.ppm" 23 17
ppm "$tmp/img/b.ppm" 11 31
cp "$tmp/img/a.ppm" "$tmp/img/other/a.ppm"

expect 0 "export --help" -- "$bin" export --help
grep -q "png16" "$out" || fail "help does not list the formats"

expect 0 "two images, default formats" -- "$bin" export "$tmp/img/a.ppm" "$tmp/img/b.ppm" --out "$tmp/o1" \
  --out-channels 4 --kernel 3 --stride 2 --padding 1
[ "$(ls "$tmp/o1" | wc -l)" = 14 ] || { fail "expected 14 files (2 x (4 png + npy + sheet + json))"; ls "$tmp/o1"; }
[ "$(wc -l <"$out")" = 14 ] || fail "stdout should list the 14 written files"
[ -z "$(ls -A "$tmp/o1" | grep '^\.')" ] || fail "hidden staging leftovers in the output folder"
grep -q '"torch": "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"' "$tmp/o1/a_export.json" \
  || fail "sidecar torch repr"
grep -q "$(sha256sum "$tmp/img/a.ppm" | cut -d' ' -f1)" "$tmp/o1/a_export.json" || fail "sidecar SHA-256"

expect 0 "a headless export without XDG_RUNTIME_DIR" -- env -u XDG_RUNTIME_DIR -u QT_QPA_PLATFORM \
  "$bin" export "$tmp/img/b.ppm" --out "$tmp/o0" --format npy --out-channels 2 --kernel 3
[ ! -s "$err" ] || fail "a successful headless export printed on stderr: $(cat "$err")"

expect 1 "existing files are not overwritten" -- "$bin" export "$tmp/img/a.ppm" --out "$tmp/o1" --out-channels 4 \
  --kernel 3 --stride 2 --padding 1 --format npy,png16
grep -q -- "--force" "$err" || fail "no --force hint: $(cat "$err")"
[ "$(ls "$tmp/o1" | wc -l)" = 14 ] || fail "a refused export wrote files (png16 appeared?)"
expect 0 "--force replaces them" -- "$bin" export "$tmp/img/a.ppm" --out "$tmp/o1" --out-channels 4 \
  --kernel 3 --stride 2 --padding 1 --format npy,png16 --force
[ "$(ls "$tmp/o1" | wc -l)" = 18 ] || fail "expected 18 files after --force"

expect 1 "missing image writes nothing" -- "$bin" export "$tmp/img/a.ppm" "$tmp/img/nope.png" --out "$tmp/o2"
grep -q "nope.png" "$err" || fail "message does not name the missing image"
[ ! -e "$tmp/o2" ] || fail "output folder created for a failed export"

expect 1 "bad parameter writes nothing" -- "$bin" export "$tmp/img/a.ppm" --out "$tmp/o3" --groups 2
grep -q "divisible by groups" "$err" || fail "groups message: $(cat "$err")"
[ ! -e "$tmp/o3" ] || fail "output folder created for a bad parameter"

expect 1 "kernel larger than one of the images writes nothing" -- "$bin" export "$tmp/img/a.ppm" "$tmp/img/b.ppm" \
  --out "$tmp/o4" --kernel 15
grep -q "b.ppm" "$err" || fail "message does not name the image that is too small: $(cat "$err")"
[ ! -e "$tmp/o4" ] || fail "output written although one image failed"

expect 1 "same base name twice writes nothing" -- "$bin" export "$tmp/img/a.ppm" "$tmp/img/other/a.ppm" --out "$tmp/o5"
[ ! -e "$tmp/o5" ] || fail "output written for clashing names"

expect 1 "unwritable folder is named" -- "$bin" export "$tmp/img/a.ppm" --out "$tmp/img/a.ppm/sub"
grep -q "$tmp/img/a.ppm" "$err" || fail "message does not name the folder: $(cat "$err")"

expect 1 "unknown format" -- "$bin" export "$tmp/img/a.ppm" --out "$tmp/o6" --format png,tiff
grep -q "tiff" "$err" || fail "format message"
expect 1 "unknown preset" -- "$bin" export "$tmp/img/a.ppm" --out "$tmp/o6" --preset blurry
expect 2 "--session with parameter flags" -- "$bin" export "$tmp/img/a.ppm" --out "$tmp/o6" --session x --stride 2
expect 2 "no --out" -- "$bin" export "$tmp/img/a.ppm"
expect 2 "no image" -- "$bin" export --out "$tmp/o6"
[ ! -e "$tmp/o6" ] || fail "output written by a usage error"

expect 0 "grayscale, preset, every format" -- "$bin" export "$tmp/img/b.ppm" --out "$tmp/o7" --grayscale \
  --preset sobel-x --out-channels 2 --padding same --format png,png16,npy,sheet,pdf,json,pytorch
grep -q '"mode": "grayscale"' "$tmp/o7/b_export.json" || fail "grayscale mode in the sidecar"
head -c 4 "$tmp/o7/b_sheet.pdf" | grep -q "%PDF" || fail "PDF contact sheet"

# A PNG whose embedded colour profile libpng dislikes: the pixels are read, the profile never,
# so its warning ("libpng warning: iCCP: too short") stays out of a batch log.
expect 0 "a PNG with a broken colour profile, quietly" -- "$bin" export "$(dirname "$0")/../data/bogus_iccp.png" \
  --out "$tmp/o9" --format npy --out-channels 2 --kernel 3
[ ! -s "$err" ] || fail "stderr of an export of a PNG with a broken profile: $(cat "$err")"

# Ctrl+C and SIGTERM mid-export: exit 128 + the signal, the folder as it was (a new one not
# even created, an existing one with exactly its old files), no staging folder left. The
# 3200x2400 photo takes seconds to export, so the signal lands in the middle of it.
# Job control on: a background job of a script would otherwise start with SIGINT ignored
# (and convscope, like any Unix tool, keeps an ignored SIGINT ignored).
ppm "$tmp/img/big.ppm" 3200 2400
set -m
"$bin" export "$tmp/img/big.ppm" --out "$tmp/o8" --out-channels 8 >"$out" 2>"$err" &
pid=$!; sleep 1; kill -INT $pid; wait $pid; rc=$?
if [ $rc = 130 ]; then echo "ok:   SIGINT mid-export exits 130"; else fail "SIGINT mid-export: exit $rc, expected 130"; cat "$err"; fi
grep -q "interrupted; the folder is as it was" "$err" || fail "SIGINT message: $(cat "$err")"
[ ! -e "$tmp/o8" ] || { fail "an interrupted export left its new folder"; ls -A "$tmp/o8"; }
before=$(cd "$tmp/o1" && ls -A && sha256sum -- *)
"$bin" export "$tmp/img/big.ppm" "$tmp/img/a.ppm" --out "$tmp/o1" --force --out-channels 4 >"$out" 2>"$err" &
pid=$!; sleep 1; kill -TERM $pid; wait $pid; rc=$?
if [ $rc = 143 ]; then echo "ok:   SIGTERM mid-export exits 143"; else fail "SIGTERM mid-export: exit $rc, expected 143"; cat "$err"; fi
[ "$(cd "$tmp/o1" && ls -A && sha256sum -- *)" = "$before" ] || fail "an interrupted --force export changed the folder"
set +m

echo "$fails failure(s)"
[ "$fails" = 0 ]
