#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the shared PyTorch conformance checker against the built binary.
# Exit 77 (ctest: skipped) when the kit or Debian's numpy is not available.
set -u
bin=$1
kit=$2
if [ ! -f "$kit/check_cli.py" ]; then
  echo "SKIP: conformance kit not found at $kit (it lives in ../shared beside the project root)"
  exit 77
fi
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 has no numpy (apt-get install python3-numpy)"
  exit 77
fi
out=$(/usr/bin/python3 "$kit/check_cli.py" "$bin" -j 2)
rc=$?
echo "$out"
exit $rc
