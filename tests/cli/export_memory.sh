#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A batch export streams: its peak memory is that of one image, whatever the count. Peak RSS
# (ru_maxrss through wait4, by the peakrss helper) of one image against four of the same
# size; four may take at most a quarter more than one, plus 8 MiB of slack. Each image adds
# ~150 MiB while it is processed (input, output and the files' buffers), so an export that
# kept every image would need ~450 MiB more for four.
set -u
bin=$1 peakrss=$2
if [ "${3:-}" = sanitized ]; then
  # ASan keeps freed blocks in quarantine and maps shadow memory: its peak RSS says nothing
  # about the product's.
  echo "skip: peak memory is the release build's to measure, not a sanitizer build's"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ppm() { printf 'P6\n%d %d\n255\n' "$2" "$3" >"$1"; head -c $(($2 * $3 * 3)) /dev/urandom >>"$1"; }
for i in 1 2 3 4; do ppm "$tmp/img$i.ppm" 2000 1500; done
ppm "$tmp/tiny.ppm" 16 16
peak() { # peak OUT IMAGE... -> KiB
  local o=$1; shift
  "$peakrss" "$bin" export "$@" --out "$o" --format npy,sheet,json --out-channels 8 --quiet 2>"$tmp/err" \
    || { echo "FAIL: export failed: $(cat "$tmp/err")" >&2; return 1; }
  sed -n 's/^peakrss: \([0-9]*\) KiB$/\1/p' "$tmp/err"
}
base=$(peak "$tmp/o0" "$tmp/tiny.ppm") || exit 1
one=$(peak "$tmp/o1" "$tmp/img1.ppm") || exit 1
four=$(peak "$tmp/o4" "$tmp/img1.ppm" "$tmp/img2.ppm" "$tmp/img3.ppm" "$tmp/img4.ppm") || exit 1
echo "peak RSS: baseline (16x16) $base KiB, one 2000x1500 image $one KiB, four $four KiB"
[ "$(ls "$tmp/o4" | wc -l)" = 12 ] || { echo "FAIL: four images did not write 12 files"; exit 1; }
# The measurement means something only when an image costs far more than the baseline.
[ $((one - base)) -gt 65536 ] || { echo "FAIL: one image adds only $((one - base)) KiB; the test cannot tell"; exit 1; }
limit=$((one * 5 / 4 + 8192))
if [ "$four" -le "$limit" ]; then
  echo "ok:   four images peak at $four KiB <= $limit KiB (one: $one KiB)"
else
  echo "FAIL: four images peak at $four KiB > $limit KiB (one: $one KiB): the batch is not streamed"
  exit 1
fi
