#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `convscope export` with real weights, checked against PyTorch itself (Debian's python3 with
# python3-torch): --weight/--bias for the one Conv2d the flags build, --network with a
# state_dict (.pt and .npz) for an nn.Sequential of several kinds, --layer and --normalize;
# and the refusals, which name the file, the expected and the found shape. Skips (77) when
# torch is not importable.
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
out=$tmp/stdout err=$tmp/stderr
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() { # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$out" 2>"$err"
  local rc=$?
  if [ "$rc" != "$want" ]; then fail "$what: exit $rc, expected $want"; cat "$err"; else echo "ok:   $what"; fi
}
says() { grep -qF -- "$1" "$err" || fail "the message lacks '$1': $(cat "$err")"; }

# A 29x37 RGB image, a trained-looking 5x5 Conv2d's tensors, and an nn.Sequential of several
# kinds (BatchNorm2d with non-trivial statistics, pools, GELU) with its state_dict.
cat >"$tmp/net.py" <<'PY'
nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
              nn.Conv2d(8, 4, 3, stride=2), nn.GELU(), nn.AvgPool2d(2))
PY
"$python" - "$tmp" <<'PY'
import sys
import numpy as np
import torch
import torch.nn as nn
d = sys.argv[1]
rng = np.random.default_rng(11)
img = rng.integers(0, 256, size=(29, 37, 3), dtype=np.uint8)
with open(f"{d}/photo.ppm", "wb") as f:
    f.write(b"P6\n37 29\n255\n" + img.tobytes())
np.save(f"{d}/w.npy", rng.uniform(-0.5, 0.5, (6, 3, 5, 5)).astype(np.float32))
np.save(f"{d}/b.npy", rng.uniform(-0.1, 0.1, (6,)).astype(np.float32))
np.save(f"{d}/w_dw.npy", rng.uniform(-0.5, 0.5, (6, 1, 3, 3)).astype(np.float32))
np.save(f"{d}/b7.npy", np.zeros(7, np.float32))
torch.manual_seed(3)
m = eval(open(f"{d}/net.py").read())
with torch.no_grad():
    m[1].running_mean.uniform_(-1, 1)
    m[1].running_var.uniform_(0.5, 2)
    m[1].weight.uniform_(0.5, 1.5)
m.eval()
with open(f"{d}/net.txt", "w") as f:
    f.write(str(m) + "\n")
torch.save(m.state_dict(), f"{d}/net.pt")
np.savez(f"{d}/net.npz", **{k: v.numpy() for k, v in m.state_dict().items()
                             if v.dtype == torch.float32})
PY

# Compares an exported output with PyTorch's: compare OUTPUT.npy CODE (CODE sets y from x).
compare() {
  "$python" - "$tmp" "$1" "$2" <<'PY'
import sys
import numpy as np
import torch
import torch.nn as nn
d, got, code = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(f"{d}/photo.ppm", "rb").read()
img = np.frombuffer(raw[len(b"P6\n37 29\n255\n"):], np.uint8).reshape(29, 37, 3)
x = torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None].contiguous()
env = {"torch": torch, "nn": nn, "np": np, "x": x, "d": d}
with torch.no_grad():
    exec(code, env)
y = env["y"].numpy()
g = np.load(got)
if g.shape != y.shape:
    sys.exit(f"shape {g.shape}, PyTorch {y.shape}")
diff = float(np.abs(g - y).max())
print(f"max |convscope - torch| = {diff:.3g}")
sys.exit(0 if diff <= 1e-4 else 1)
PY
}
img=$tmp/photo.ppm
conv='
w = torch.from_numpy(np.load(f"{d}/w.npy")); b = torch.from_numpy(np.load(f"{d}/b.npy"))
y = torch.nn.functional.conv2d(x, w, b, stride=2, padding=1)'
expect 0 "--weight --bias: the layer owns the file's shape" -- "$bin" export "$img" --out "$tmp/o1" \
  --weight "$tmp/w.npy" --bias "$tmp/b.npy" --stride 2 --padding 1 --format npy,json,pytorch
compare "$tmp/o1/photo_output.npy" "$conv" || fail "--weight --bias differs from F.conv2d"
"$python" "$tmp/o1/photo_pytorch.py" | grep -q ": match" || fail "the exported script does not match"
expect 0 "--weight with the shape flags that fit it, no bias" -- "$bin" export "$img" --out "$tmp/o2" \
  --weight "$tmp/w.npy" --out-channels 6 --kernel 5 --format npy,json
compare "$tmp/o2/photo_output.npy" '
y = torch.nn.functional.conv2d(x, torch.from_numpy(np.load(f"{d}/w.npy")))' \
  || fail "--weight without --bias is not a bias-free Conv2d"
expect 0 "--weight of a depthwise layer sets the groups" -- "$bin" export "$img" --out "$tmp/o3" \
  --weight "$tmp/w_dw.npy" --format npy,json
grep -q '"groups": 3' "$tmp/o3/photo_export.json" || fail "depthwise weight: groups not 3"

expect 1 "a weight that does not fit the flags" -- "$bin" export "$img" --out "$tmp/e1" \
  --weight "$tmp/w.npy" --kernel 3
says "w.npy"; says "[8, 3, 3, 3]"; says "[6, 3, 5, 5]"
[ ! -e "$tmp/e1" ] || fail "a refused weight created the folder"
expect 1 "a bias of the wrong length" -- "$bin" export "$img" --out "$tmp/e1" \
  --weight "$tmp/w.npy" --bias "$tmp/b7.npy"
says "b7.npy"; says "[7]"; says "6"
expect 1 "a missing weight file" -- "$bin" export "$img" --out "$tmp/e1" --weight "$tmp/nope.npy"
says "nope.npy"
expect 2 "--weight with --seed" -- "$bin" export "$img" --out "$tmp/e1" --weight "$tmp/w.npy" --seed 1
expect 2 "--bias without --weight" -- "$bin" export "$img" --out "$tmp/e1" --bias "$tmp/b.npy"
expect 2 "--bias with --no-bias" -- "$bin" export "$img" --out "$tmp/e1" --weight "$tmp/w.npy" \
  --bias "$tmp/b.npy" --no-bias
expect 2 "--weights without --network" -- "$bin" export "$img" --out "$tmp/e1" --weights "$tmp/net.pt"
expect 2 "--network with a Conv2d flag" -- "$bin" export "$img" --out "$tmp/e1" --network "$tmp/net.txt" \
  --kernel 3
[ ! -e "$tmp/e1" ] || fail "a refused export created the folder"

net='
m = eval(open(f"{d}/net.py").read())
m.load_state_dict(torch.load(f"{d}/net.pt")); m.eval()'
for weights in net.pt net.npz; do
  expect 0 "--network with --weights $weights (Conv2d, BatchNorm2d, pools, GELU)" -- "$bin" export "$img" \
    --out "$tmp/n-$weights" --network "$tmp/net.txt" --weights "$tmp/$weights" --format png,npy,sheet,json
  compare "$tmp/n-$weights/photo_output.npy" "$net
y = m(x)" || fail "--network --weights $weights differs from PyTorch"
done
expect 0 "--network --layer 4 --normalize imagenet" -- "$bin" export "$img" --out "$tmp/n4" \
  --network "$tmp/net.txt" --weights "$tmp/net.pt" --layer 4 --normalize imagenet --format npy,json
compare "$tmp/n4/photo_output.npy" "$net
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, -1, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, -1, 1, 1)
y = m[:4]((x - mean) / std)" || fail "--layer 4 --normalize differs from PyTorch"
expect 1 "the pytorch format with a BatchNorm2d is refused before any write" -- "$bin" export "$img" \
  --out "$tmp/e2" --network "$tmp/net.txt" --weights "$tmp/net.pt" --format npy,pytorch
says "BatchNorm2d"
[ ! -e "$tmp/e2" ] || fail "the refused pytorch export created the folder"
expect 0 "--normalize on one Conv2d, reproduced by the exported script" -- "$bin" export "$img" \
  --out "$tmp/n5" --normalize "mean=0.5,0.4,0.3:std=0.2,0.25,0.3" --format npy,json,pytorch
"$python" "$tmp/n5/photo_pytorch.py" | grep -q ": match" || fail "the normalised script does not match"
expect 1 "--normalize with two values for an RGB image" -- "$bin" export "$img" --out "$tmp/e3" \
  --normalize "mean=0.5,0.4:std=0.2,0.25"
[ ! -e "$tmp/e3" ] || fail "a refused normalisation created the folder"

echo "$fails failure(s)"
[ "$fails" = 0 ]
