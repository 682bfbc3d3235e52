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

# A batch goes one image at a time. A file that is an image only by its name passes the
# header checks and fails when decoded: without --keep-going the batch stops there (the image
# before it is complete, nothing of it or after it); with --keep-going it is reported and
# skipped, the others are written, exit 1.
printf 'P6\n23 17\n255\n' >"$tmp/img/broken.ppm"; head -c 100 /dev/urandom >>"$tmp/img/broken.ppm"
expect 1 "a corrupt image mid-batch stops the batch there" -- "$bin" export "$tmp/img/a.ppm" "$tmp/img/broken.ppm" \
  "$tmp/img/b.ppm" --out "$tmp/k1" --format npy,json --out-channels 2
grep -q "broken.ppm" "$err" || fail "the corrupt image is not named: $(cat "$err")"
[ "$(ls "$tmp/k1" 2>/dev/null | tr '\n' ' ')" = "a_export.json a_output.npy " ] \
  || fail "expected exactly a's files after a stop at the corrupt image: $(ls -A "$tmp/k1" 2>&1)"
[ "$(wc -l <"$out")" = 2 ] || fail "stdout should list a's 2 files: $(cat "$out")"
expect 1 "--keep-going skips a corrupt and a missing image, writes the others" -- "$bin" export "$tmp/img/a.ppm" \
  "$tmp/img/broken.ppm" "$tmp/img/nope.ppm" "$tmp/img/b.ppm" --out "$tmp/k2" --format npy,json --out-channels 2 --keep-going
grep -q "broken.ppm" "$err" && grep -q "nope.ppm" "$err" || fail "--keep-going does not name both bad files: $(cat "$err")"
grep -q "2 of 4 image(s) could not be exported" "$err" || fail "--keep-going summary: $(cat "$err")"
[ "$(ls "$tmp/k2" | tr '\n' ' ')" = "a_export.json a_output.npy b_export.json b_output.npy " ] \
  || fail "--keep-going: expected a's and b's files: $(ls -A "$tmp/k2")"
[ "$(wc -l <"$out")" = 4 ] || fail "--keep-going: stdout should list 4 files: $(cat "$out")"
expect 1 "without --keep-going a missing image mid-batch writes nothing" -- "$bin" export "$tmp/img/a.ppm" \
  "$tmp/img/nope.ppm" "$tmp/img/b.ppm" --out "$tmp/k3" --format npy
[ ! -e "$tmp/k3" ] || fail "a batch refused by its checks wrote files"
expect 0 "--quiet lists nothing and prints nothing" -- "$bin" export "$tmp/img/a.ppm" "$tmp/img/b.ppm" \
  --out "$tmp/k4" --format npy,json --out-channels 2 --quiet
[ ! -s "$out" ] && [ ! -s "$err" ] || fail "--quiet printed: $(cat "$out" "$err")"
[ "$(ls "$tmp/k4" | wc -l)" = 4 ] || fail "--quiet: expected 4 files"
# Progress goes to stderr only when it is a terminal: under script(1) it shows "[2/2] b.ppm".
if command -v script >/dev/null; then
  script -qec "'$bin' export '$tmp/img/a.ppm' '$tmp/img/b.ppm' --out '$tmp/k5' --format npy --out-channels 2" \
    /dev/null >"$tmp/tty" 2>&1 </dev/null
  grep -q "\[2/2\] b.ppm" "$tmp/tty" && echo "ok:   progress on a terminal" || fail "no progress on a terminal: $(cat -v "$tmp/tty")"
  script -qec "'$bin' export '$tmp/img/a.ppm' --out '$tmp/k6' --format npy --out-channels 2 --quiet" \
    /dev/null >"$tmp/tty" 2>&1 </dev/null
  [ ! -s "$tmp/tty" ] && echo "ok:   --quiet on a terminal" || fail "--quiet on a terminal printed: $(cat -v "$tmp/tty")"
else
  echo "skip: script(1) is missing, progress on a terminal not checked"
fi

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
# A batch interrupted in its second image keeps the first, complete, and nothing of the second.
# The fault hook pauses the export as it writes the second image's first file; the signal then
# lands exactly there.
CONVSCOPE_EXPORT_FAULT="pause@writing b_output.npy" "$bin" export "$tmp/img/a.ppm" "$tmp/img/b.ppm" --out "$tmp/o10" --format npy,json --out-channels 2 \
  >"$out" 2>"$err" </dev/null &
pid=$!
for _ in $(seq 1 100); do grep -q "paused" "$err" && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
if [ $rc = 130 ]; then echo "ok:   SIGINT in a batch's second image exits 130"; else fail "SIGINT in the second image: exit $rc"; cat "$err"; fi
grep -q "nothing of 'b.ppm' was written, the 1 image(s) before it are complete" "$err" || fail "batch SIGINT message: $(cat "$err")"
[ "$(ls -A "$tmp/o10" | tr '\n' ' ')" = "a_export.json a_output.npy " ] || fail "after SIGINT in b: $(ls -A "$tmp/o10")"
set +m

echo "$fails failure(s)"
[ "$fails" = 0 ]
