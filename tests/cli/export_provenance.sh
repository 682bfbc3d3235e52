#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What `convscope export` records to reproduce a result: the weights' source (seed and
# preset, or each file with its SHA-256), the network text, the input normalisation and the
# EXIF orientation applied to the image; and the PyTorch script rebuilding the input from the
# image file (PIL, EXIF orientation applied) to the same tensor. Needs Debian's python3 with
# numpy, PIL and torch; skips (77) without them.
set -u
bin=$1
python=${2:-/usr/bin/python3}
if ! "$python" -c "import torch, numpy, PIL" >/dev/null 2>&1; then
  echo "SKIP: $python cannot import torch, numpy and PIL (python3-torch python3-numpy python3-pil)"
  exit 77
fi
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
run() { # run NAME -- export arguments...
  local name=$1; shift 2
  if "$bin" export "$@" --out "$tmp/$name" --quiet >"$tmp/$name.log" 2>&1; then
    echo "ok:   $name exported"
  else
    fail "$name: export failed"; cat "$tmp/$name.log"
  fi
}
# sidecar FILE PYTHON-EXPRESSION: the expression, on the sidecar as `j`, must be true.
sidecar() {
  "$python" -c "
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if ($2) else 1)" "$1" || fail "$(basename "$1"): not true: $2"
}

# A 30 x 20 JPEG whose EXIF Orientation is 6 (rotate 90 clockwise), the APP1 segment written
# byte by byte after the start-of-image marker; the same pixels without the tag; weights; a
# small network with its state_dict.
"$python" - "$tmp" <<'PY'
import io, struct, sys
import numpy as np
import torch
import torch.nn as nn
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(5)
pixels = np.kron(rng.integers(0, 256, size=(5, 10, 3), dtype=np.uint8), np.ones((4, 3, 1), np.uint8))
buf = io.BytesIO()
Image.fromarray(pixels).save(buf, format="JPEG", quality=95)
jpeg = buf.getvalue()
assert jpeg[:2] == b"\xff\xd8"
# TIFF little endian, IFD0 at 8 with one entry: Orientation (0x0112), SHORT, 1 value, 6.
tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) \
    + struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack("<I", 0)
app1 = b"Exif\x00\x00" + tiff
with open(f"{d}/rotated.jpg", "wb") as f:
    f.write(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:])
with open(f"{d}/upright.jpg", "wb") as f:
    f.write(jpeg)
np.save(f"{d}/w.npy", rng.uniform(-0.5, 0.5, (4, 3, 3, 3)).astype(np.float32))
np.save(f"{d}/b.npy", rng.uniform(-0.1, 0.1, (4,)).astype(np.float32))
torch.manual_seed(1)
m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
with open(f"{d}/net.txt", "w") as f:
    f.write(str(m) + "\n")
torch.save(m.state_dict(), f"{d}/net.pt")
PY
sha() { sha256sum "$1" | cut -d' ' -f1; }

run rotated -- "$tmp/rotated.jpg" --weight "$tmp/w.npy" --bias "$tmp/b.npy" --format npy,json,pytorch
j=$tmp/rotated/rotated_export.json
sidecar "$j" "j['input']['exif_orientation']['value'] == 6"
sidecar "$j" "j['input']['exif_orientation']['applied'] == 'rotate 90 clockwise'"
sidecar "$j" "j['input']['shape'] == [1, 3, 30, 20]"
sidecar "$j" "j['weights']['method'] == 'files'"
sidecar "$j" "[(f['role'], f['sha256']) for f in j['weights']['files']] == [('weight', '$(sha "$tmp/w.npy")'), ('bias', '$(sha "$tmp/b.npy")')]"
sidecar "$j" "j['input']['normalization'] is None and j['resolution']['downscale'] is None"
"$python" "$tmp/rotated/rotated_pytorch.py" >"$tmp/rotated.py.log" 2>&1 || { fail "rotated: script failed"; cat "$tmp/rotated.py.log"; }
# PIL and Qt decode with the same libjpeg: the rebuilt input is the same tensor.
grep -q "input rebuilt from rotated.jpg: max |PIL - convscope| = 0$" "$tmp/rotated.py.log" \
  || { fail "the script does not rebuild the rotated input"; cat "$tmp/rotated.py.log"; }
grep -q "EXIF orientation 6" "$tmp/rotated/rotated_pytorch.py" || fail "the script does not state the orientation"

run upright -- "$tmp/upright.jpg" --seed 9 --grayscale --format npy,json,pytorch
j=$tmp/upright/upright_export.json
sidecar "$j" "j['input']['exif_orientation']['value'] == 1 and j['input']['shape'] == [1, 1, 20, 30]"
sidecar "$j" "j['weights'] == {'method': 'kaiming_uniform', 'seed': 9, 'files': []}"
"$python" "$tmp/upright/upright_pytorch.py" >"$tmp/upright.py.log" 2>&1 || { fail "upright: script failed"; cat "$tmp/upright.py.log"; }
grep -q "input rebuilt from upright.jpg: max |PIL - convscope| = 0$" "$tmp/upright.py.log" \
  || { fail "the grayscale script does not rebuild the input"; cat "$tmp/upright.py.log"; }

run preset -- "$tmp/upright.jpg" --preset sobel-x --format json
sidecar "$tmp/preset/upright_export.json" "j['weights'] == {'method': 'preset', 'preset': 'sobel-x', 'files': []}"

run network -- "$tmp/upright.jpg" --network "$tmp/net.txt" --weights "$tmp/net.pt" --normalize imagenet --format json
j=$tmp/network/upright_export.json
sidecar "$j" "j['weights']['method'] == 'state_dict'"
sidecar "$j" "[(f['role'], f['sha256']) for f in j['weights']['files']] == [('network', '$(sha "$tmp/net.txt")'), ('state_dict', '$(sha "$tmp/net.pt")')]"
sidecar "$j" "j['weights']['network_text'] == open('$tmp/net.txt').read()"
sidecar "$j" "j['input']['normalization']['mean'] == [0.485, 0.456, 0.406] and j['input']['normalization']['std'] == [0.229, 0.224, 0.225]"
run network-seed -- "$tmp/upright.jpg" --network "$tmp/net.txt" --seed 4 --format json
sidecar "$tmp/network-seed/upright_export.json" "j['weights']['method'] == 'default_init' and j['weights']['seed'] == 4"

echo "$fails failure(s)"
[ "$fails" = 0 ]
