#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Drives the built binary the way a user or script does: exit codes, help, the tutorial example.
set -u
bin=$1
fails=0
expect() { # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >/tmp/convscope_cli_out.$$ 2>/tmp/convscope_cli_err.$$
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $what: exit $rc, expected $want"; cat /tmp/convscope_cli_err.$$; fails=$((fails+1))
  else
    echo "ok:   $what"
  fi
}
expect 0 "--help" -- "$bin" --help
grep -q "conv" /tmp/convscope_cli_out.$$ || { echo "FAIL: --help lists no commands"; fails=$((fails+1)); }
expect 0 "--version" -- "$bin" --version
grep -q "^convscope [0-9]" /tmp/convscope_cli_out.$$ || { echo "FAIL: --version output"; fails=$((fails+1)); }
expect 0 "conv --help" -- "$bin" conv --help
expect 0 "shape --help" -- "$bin" shape --help
expect 2 "unknown top-level option" -- "$bin" --frobnicate
expect 2 "unknown subcommand option" -- "$bin" shape --frobnicate 1
grep -q "Try 'convscope shape --help'" /tmp/convscope_cli_err.$$ || { echo "FAIL: no usage hint"; fails=$((fails+1)); }
expect 2 "missing value" -- "$bin" shape --input-shape
expect 0 "tutorial example" -- "$bin" shape --input-shape 40,40,32,32 --out-channels 100 --kernel 3 --stride 2 --padding 3
first=$(head -n1 /tmp/convscope_cli_out.$$)
[ "$first" = "torch.Size([40, 100, 18, 18])" ] || { echo "FAIL: tutorial printed '$first'"; fails=$((fails+1)); }
expect 1 "shape with bad groups" -- "$bin" shape --input-shape 1,3,8,8 --out-channels 4 --kernel 3 --groups 2
grep -q "divisible by groups" /tmp/convscope_cli_err.$$ || { echo "FAIL: groups message"; fails=$((fails+1)); }
tmp=$(mktemp -d)
expect 1 "conv with missing input file" -- "$bin" conv --input "$tmp/nope.npy" --weight "$tmp/nope.npy" --output "$tmp/out.npy"
[ ! -e "$tmp/out.npy" ] || { echo "FAIL: output written on error"; fails=$((fails+1)); }
# erf and coverage read images and draw heat maps through the GUI build's Qt side.
here=$(cd "$(dirname "$0")" && pwd)
net="$here/../data/fixtures/gradients/vgg_like_centre/net.txt"
expect 0 "erf on an image, with a heat map" -- "$bin" erf --network "$net" --input "$here/../../resources/sample.png" --layer 8 --at 1,60,80 --output "$tmp/g.npy" --png "$tmp/g.png"
grep -q "box:       rows 115..126" /tmp/convscope_cli_out.$$ || { echo "FAIL: erf summary"; cat /tmp/convscope_cli_out.$$; fails=$((fails+1)); }
[ "$(head -c 4 "$tmp/g.png" | od -An -c | tr -d ' ')" = "211PNG" ] || { echo "FAIL: erf --png is no PNG"; fails=$((fails+1)); }
printf 'Sequential(\n  (0): ConvTranspose2d(1, 1, kernel_size=(3, 3), stride=(2, 2))\n)\n' > "$tmp/up.txt"
expect 0 "coverage of a transposed conv" -- "$bin" coverage --network "$tmp/up.txt" --input-shape 1,6,6 --layer 1 --output "$tmp/c.npy" --png "$tmp/c.png"
grep -q "over its output \[13, 13\], 1 to 4 per pixel" /tmp/convscope_cli_out.$$ || { echo "FAIL: checkerboard counts"; fails=$((fails+1)); }
expect 1 "erf on a broken image" -- "$bin" erf --network "$net" --input "$tmp/c.npy.png" --layer 8 --at 1,1,1 --output "$tmp/h.npy"
[ ! -e "$tmp/h.npy" ] || { echo "FAIL: erf wrote on error"; fails=$((fails+1)); }
rm -rf "$tmp" /tmp/convscope_cli_out.$$ /tmp/convscope_cli_err.$$
echo "$fails failure(s)"
[ "$fails" = 0 ]
