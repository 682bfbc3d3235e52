#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages convscope needs to build, test and benchmark.
# Skips apt entirely when everything is present; uses sudo when not root.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config ccache clang-format-14 clang-tidy-14
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev libqcustomplot-dev libeigen3-dev
  qt6-svg-dev
  # The zip containers of .npz and PyTorch .pt weight files
  libzip-dev
  libgtest-dev googletest
  xvfb xauth python3 python3-numpy
  # The package stage: validators for what `cmake --install` ships, and cpack's .deb
  desktop-file-utils appstream libxml2-utils shared-mime-info mandoc man-db bash-completion
  dpkg-dev file lintian
  # Runs the binary under emulated CPUs without AVX-512 and without AVX2 (tests/cli/isa_paths.sh)
  qemu-user
  # The fuzz stage: libFuzzer and the sanitizer runtimes come with clang 14
  clang-14 libclang-rt-14-dev
)
# Optional extras: PyTorch for the fixture script, the benchmark and the snippet tests;
# torchvision for tools/bench_network.py's networks (it builds them by hand without it).
if [ "${CONVSCOPE_WITH_TORCH:-1}" = 1 ]; then packages+=(python3-torch python3-torchvision); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
