#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole-network forward: PyTorch vs `convscope bench --network`, side by side in one run.

Usage:
  /usr/bin/python3 tools/bench_network.py BIN [--rounds 3] [--threads 1,2] [--sizes 224,512]
                                              [--only vgg16_features10|resnet18_stem]
                                              [--keep DIR] [--no-check]

Needs Debian's python3-torch and python3-numpy; torchvision (python3-torchvision) is used
when installed, else the same nn.Sequentials are built by hand from torch.nn (same layers,
same print(model) text). Two networks:

  vgg16_features10  torchvision.models.vgg16().features[:10] (four 3x3 convs, two max-pools)
  resnet18_stem     nn.Sequential(conv1, bn1, relu, maxpool) of torchvision's resnet18()

Each gets torchvision's default initialisation from torch.manual_seed(0); the BatchNorm2d's
running statistics and affine parameters are then drawn at random, as a trained
checkpoint's would be, so the batch norm is not an identity. The script writes, in a
temporary directory (or DIR with --keep): NAME.txt (print(model)) and NAME.pt
(torch.save(model.state_dict())).

Correctness first (skipped with --no-check): for each network and size, an x ~ N(0,1) goes
through torch and through `BIN forward --network NAME.txt --weights NAME.pt`; the largest
|difference| must be <= 1e-4 (exit status 1 otherwise).

Then timing: for each network, input size 1x3xSxS and thread count, `rounds` rounds
alternating torch (model(x) under torch.no_grad(), torch.set_num_threads(T), median of at
least 7 calls and a second) and `BIN bench --network NAME.txt --weights NAME.pt
--input-shape 1,3,S,S --threads T --json` (its median), so both sides share the machine's
noise. It prints the load average before and after, a table with speed = torch_ms /
convscope_ms (above 1.0: convscope is faster) per case, and the geometric mean and minimum.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

# glibc's default malloc unmaps big freed buffers, so every call would page-fault them back;
# both sides run with the buffers kept (as ../shared/bench/compare.py does; BIN inherits it).
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "4000000000", "MALLOC_TRIM_THRESHOLD_": "4000000000",
                "MALLOC_TOP_PAD_": "268435456"}

NETWORKS = ("vgg16_features10", "resnet18_stem")
TOLERANCE = 1e-4


def vgg16_features10(torch):
    nn = torch.nn
    try:
        import torchvision
        return torchvision.models.vgg16().features[:10]
    except ImportError:
        pass
    # torchvision's cfg "D" up to the second max-pool, with its initialisation.
    layers = []
    c = 3
    for v in (64, 64, "M", 128, 128, "M"):
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            conv = nn.Conv2d(c, v, kernel_size=3, padding=1)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(conv.bias, 0)
            layers += [conv, nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers)


def resnet18_stem(torch):
    nn = torch.nn
    try:
        import torchvision
        r = torchvision.models.resnet18()
        return nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
    except ImportError:
        pass
    conv = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    return nn.Sequential(conv, nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                         nn.MaxPool2d(kernel_size=3, stride=2, padding=1))


def build(torch, name):
    torch.manual_seed(0)
    model = {"vgg16_features10": vgg16_features10, "resnet18_stem": resnet18_stem}[name](torch)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model.eval()


def torch_ms(torch, model, x, threads, min_time=1.0):
    torch.set_num_threads(threads)
    with torch.no_grad():
        for _ in range(3):
            model(x)
        ts, start = [], time.perf_counter()
        while len(ts) < 7 or (time.perf_counter() - start < min_time and len(ts) < 200):
            t0 = time.perf_counter()
            model(x)
            ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


def run(cmd, timeout):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[:400]}")
    return p.stdout


def bin_ms(binary, net, weights, size, threads, timeout):
    doc = json.loads(run([binary, "bench", "--network", net, "--weights", weights,
                          "--input-shape", f"1,3,{size},{size}", "--threads", str(threads),
                          "--json"], timeout))
    return float(doc["results"][0]["median_ms"])


def check(torch, np, binary, model, net, weights, size, work, timeout):
    g = torch.Generator().manual_seed(size)
    x = torch.randn(1, 3, size, size, generator=g)
    with torch.no_grad():
        want = model(x).numpy()
    xp, yp = os.path.join(work, "x.npy"), os.path.join(work, "y.npy")
    np.save(xp, x.numpy())
    run([binary, "forward", "--network", net, "--weights", weights, "--input", xp, "--output", yp,
         "--force"], timeout)
    got = np.load(yp)
    if got.shape != want.shape:
        return math.inf, f"shape {got.shape}, torch {want.shape}"
    return float(np.max(np.abs(got.astype(np.float64) - want))), f"max |y| {np.max(np.abs(want)):.3g}"


def main():
    if any(os.environ.get(k) != v for k, v in TUNED_MALLOC.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **TUNED_MALLOC})
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--sizes", default="224,512")
    ap.add_argument("--only", choices=NETWORKS, default=None)
    ap.add_argument("--keep", default=None, help="write the networks and weights here")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    try:
        threads = [int(t) for t in a.threads.split(",")]
        sizes = [int(s) for s in a.sizes.split(",")]
    except ValueError:
        sys.exit(f"--threads and --sizes take comma-separated integers, got {a.threads!r}, {a.sizes!r}")
    if a.rounds < 1 or min(threads) < 1 or min(sizes) < 1:
        sys.exit("--rounds, --threads and --sizes must be positive")
    binary = os.path.abspath(a.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"{a.binary}: not an executable")
    import numpy as np
    import torch
    try:
        import torchvision
        source = f"torchvision {torchvision.__version__}"
    except ImportError:
        source = "torch.nn by hand (torchvision not installed)"
    names = [a.only] if a.only else list(NETWORKS)
    tmp = None
    if a.keep:
        work = os.path.abspath(a.keep)
        os.makedirs(work, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_network.")
        work = tmp.name
    models, files = {}, {}
    for name in names:
        model = build(torch, name)
        net, weights = os.path.join(work, name + ".txt"), os.path.join(work, name + ".pt")
        with open(net, "w") as f:
            f.write(str(model) + "\n")
        torch.save(model.state_dict(), weights)
        models[name], files[name] = model, (net, weights)
    print(f"torch {torch.__version__}, networks from {source}, binary {a.binary}")

    failed = False
    if not a.no_check:
        torch.set_num_threads(1)
        for name in names:
            for size in sizes:
                diff, note = check(torch, np, binary, models[name], *files[name], size, work,
                                   a.timeout)
                ok = diff <= TOLERANCE
                failed |= not ok
                print(f"check {name} 1x3x{size}x{size}: max |convscope - torch| = {diff:.3g} "
                      f"({note}) {'ok' if ok else f'FAILS (> {TOLERANCE})'}")
        sys.stdout.flush()

    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} CPUs), rounds {a.rounds}")
    print(f"{'network':18} {'input':>14} {'threads':>7} {'torch ms':>9} {'convscope ms':>12} "
          f"{'speed':>6}")
    speeds = []
    for name in names:
        model = models[name]
        for size in sizes:
            x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
            for t in threads:
                tms, bms = [], []
                for _ in range(a.rounds):
                    tms.append(torch_ms(torch, model, x, t))
                    bms.append(bin_ms(binary, *files[name], size, t, a.timeout))
                tm, bm = statistics.median(tms), statistics.median(bms)
                speeds.append(tm / bm)
                print(f"{name:18} {f'1x3x{size}x{size}':>14} {t:7} {tm:9.3f} {bm:12.3f} "
                      f"{tm / bm:6.2f}")
                sys.stdout.flush()
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    gm = math.exp(sum(math.log(s) for s in speeds) / len(speeds))
    print(f"geomean speed vs torch (>1 = convscope faster): {gm:.2f}, min {min(speeds):.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
