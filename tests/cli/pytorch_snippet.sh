#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The generated PyTorch script, run under Debian's python3 with python3-torch, reproduces
# convscope's output within 1e-4 -- for single layers across the parameter space and for a
# saved two-layer session with a ReLU. Skips (77) when torch is not importable.
set -u
bin=$1
python=${2:-/usr/bin/python3}
if ! "$python" -c "import torch, numpy" >/dev/null 2>&1; then
  echo "SKIP: $python cannot import torch and numpy (apt-get install python3-torch python3-numpy)"
  exit 77
fi
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# A deterministic 29x37 RGB image as binary PPM, and a two-layer session for it.
"$python" - "$tmp" <<'PY'
import json, sys
import numpy as np
folder = sys.argv[1]
rng = np.random.default_rng(7)
h, w = 29, 37
img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
with open(f"{folder}/photo.ppm", "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + img.tobytes())
def tensor(a):
    return {"shape": list(a.shape), "data": [float(x) for x in a.astype(np.float32).ravel()]}
w0 = rng.uniform(-0.5, 0.5, size=(6, 1, 3, 3)).astype(np.float32)
b0 = rng.uniform(-0.1, 0.1, size=(6,)).astype(np.float32)
w1 = rng.uniform(-0.5, 0.5, size=(4, 6, 2, 3)).astype(np.float32)
session = {
    "format_version": 1,
    "image": {"path": "photo.ppm"},
    "input_mode": "rgb",
    "layers": [
        {"params": {"in_channels": 3, "out_channels": 6, "kernel_size": [3, 3], "stride": [2, 1],
                    "padding": [1, 2], "padding_mode": "reflect", "dilation": [1, 2], "groups": 3,
                    "bias": True},
         "relu": True, "weight": tensor(w0), "bias": tensor(b0)},
        {"params": {"in_channels": 6, "out_channels": 4, "kernel_size": [2, 3], "stride": [1, 1],
                    "padding": "same", "padding_mode": "circular", "dilation": [1, 1], "groups": 1,
                    "bias": False},
         "relu": False, "weight": tensor(w1)},
    ],
    "view": {"colormap": "viridis", "range_mode": "global"},
}
with open(f"{folder}/stack.convscope.json", "w") as f:
    json.dump(session, f)
PY

check() { # check NAME PREFIX -- export arguments...
  local name=$1 prefix=$2; shift 3
  if ! "$bin" export "$@" --out "$tmp/$name" --format npy,json,pytorch >"$tmp/$name.log" 2>&1; then
    fail "$name: export failed"; cat "$tmp/$name.log"; return
  fi
  if ! "$python" "$tmp/$name/${prefix}_pytorch.py" >"$tmp/$name.py.log" 2>&1; then
    fail "$name: the PyTorch script does not match"; cat "$tmp/$name.py.log"; return
  fi
  grep -q "match" "$tmp/$name.py.log" || { fail "$name: no comparison printed"; return; }
  echo "ok:   $name: $(tr '\n' ' ' <"$tmp/$name.py.log")"
}
img=$tmp/photo.ppm
check default photo -- "$img"
check stride-padding photo -- "$img" --out-channels 5 --kernel 4,3 --stride 2,3 --padding 2,1 --seed 3
check same-reflect-dilation photo -- "$img" --out-channels 3 --kernel 3,2 --padding same --padding-mode reflect --dilation 2
check grayscale-circular photo -- "$img" --grayscale --out-channels 4 --kernel 5 --stride 2 --padding 2 --padding-mode circular
check groups-nobias-replicate photo -- "$img" --out-channels 6 --groups 3 --no-bias --padding 1 --padding-mode replicate
check preset-valid photo -- "$img" --preset sobel-y --out-channels 2 --padding valid
check session-stack-relu photo -- --session "$tmp/stack.convscope.json"
grep -q "nn.Sequential" "$tmp/session-stack-relu/photo_pytorch.py" || fail "the session's stack is not an nn.Sequential"
grep -q "nn.ReLU()" "$tmp/session-stack-relu/photo_pytorch.py" || fail "the session's ReLU is missing"

# Pasted into a REPL (no __file__, another working directory) it finds the export folder.
if (cd / && "$python" - <"$tmp/default/photo_pytorch.py" >"$tmp/paste.log" 2>&1); then
  echo "ok:   runs when pasted (stdin, cwd /)"
else
  fail "pasted script fails"; cat "$tmp/paste.log"
fi

# The script's own check can fail: a convscope output off by 1e-3 must be reported.
"$python" -c "
import numpy as np, sys
p = sys.argv[1]; a = np.load(p); a.flat[0] += 1e-3; np.save(p, a)" "$tmp/default/photo_output.npy"
if "$python" "$tmp/default/photo_pytorch.py" >"$tmp/tampered.log" 2>&1; then
  fail "a tampered output still 'matches'"; cat "$tmp/tampered.log"
else
  grep -q "MISMATCH" "$tmp/tampered.log" && echo "ok:   a 1e-3 difference is reported" || fail "no MISMATCH line"
fi

echo "$fails failure(s)"
[ "$fails" = 0 ]
