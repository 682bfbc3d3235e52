#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# kill -9 at 20 seeded points of an export with --force (writes, journal, commit renames,
# cleanup): after the next export starts in that folder it holds exactly the old files or
# exactly the new ones, and no staging folder. CONVSCOPE_EXPORT_FAULT makes it deterministic.
set -u
bin=$1
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
printf 'P6\n%d %d\n255\n' 9 7 >"$tmp/a.ppm"; head -c $((9 * 7 * 3)) /dev/urandom >>"$tmp/a.ppm"
run() { # run SEED OUT [env...]
  local seed=$1 o=$2; shift 2
  env "$@" "$bin" export "$tmp/a.ppm" --out "$o" --out-channels 2 --kernel 3 --seed "$seed" \
    --format png,npy,json,pytorch --force >/dev/null 2>"$tmp/err"
}
# The sidecar holds the export time and the script its folder: both are compared by name.
sums() { (cd "$1" && ls -A | sort | grep -Ev "_export.json$|_pytorch.py$" | xargs -r sha256sum; ls -A | grep -E "_export.json$|_pytorch.py$"); }
run 1 "$tmp/old" || fail "old export"
run 2 "$tmp/new" || fail "new export"
sums "$tmp/old" >"$tmp/old.sum"; sums "$tmp/new" >"$tmp/new.sum"
cmp -s "$tmp/old.sum" "$tmp/new.sum" && fail "old and new sets are the same"
run 2 "$tmp/trace" CONVSCOPE_EXPORT_FAULT=trace
total=$(grep -c "fault point" "$tmp/err")
first_commit=$(grep "writing the journal" "$tmp/err" | sed 's/.*point \([0-9]*\):.*/\1/')
[ "$total" -gt 10 ] || fail "only $total fault points"
RANDOM=18
points=""
for i in $(seq 1 10); do points="$points $((RANDOM % (first_commit - 1) + 1))"; done
for i in $(seq 1 10); do points="$points $((first_commit + RANDOM % (total - first_commit + 1)))"; done
for p in $points; do
  d=$tmp/k$p; rm -rf "$d"; cp -a "$tmp/old" "$d"
  run 2 "$d" CONVSCOPE_EXPORT_FAULT=kill@$p 2>/dev/null; rc=$?
  [ "$rc" = 137 ] || { fail "point $p: exit $rc, not killed"; continue; }
  # The next start recovers; stop it right after recovery to look at the folder.
  run 3 "$d" "CONVSCOPE_EXPORT_FAULT=kill@folder ready"
  ls -A "$d" | grep -q '^\.convscope-export-' && fail "point $p: staging folder left"
  sums "$d" >"$tmp/got.sum"
  if cmp -s "$tmp/got.sum" "$tmp/old.sum"; then echo "ok:   kill at $p: old set";
  elif cmp -s "$tmp/got.sum" "$tmp/new.sum"; then echo "ok:   kill at $p: new set";
  else fail "point $p: a mix"; diff "$tmp/old.sum" "$tmp/got.sum" | head; fi
done
echo "$fails failure(s)"
[ "$fails" = 0 ]
