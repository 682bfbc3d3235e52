#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The run-time kernel choice, seen from outside: --version names the path, CONVSCOPE_ISA forces
# each path this CPU runs and refuses the others and unknown names (exit 2, before any work),
# and no kernel object exports a weak or vague symbol (an inline function shared between the
# per-ISA builds would let the linker keep one ISA's copy for every path). When qemu-user is
# installed, the binary also runs under emulated CPUs without AVX2 and without AVX-512; not a
# sanitizer build, whose shadow memory qemu-user cannot map in reasonable time.
# usage: isa_paths.sh CONVSCOPE_BINARY CORE_LIBRARY.a [sanitized]
set -u
bin=$1
lib=$2
sanitized=${3:-}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

runs=$("$bin" --version | sed -n 's/.*this CPU runs: \([a-z0-9, ]*\);.*/\1/p')
[ -n "$runs" ] || fail "--version does not list the paths: $("$bin" --version)"
best=${runs%%,*}
"$bin" --version | grep -qx "engine: $best kernel (this CPU runs: $runs; CONVSCOPE_ISA chooses)" \
  || fail "--version does not say the best path ($best) runs"
for isa in avx512 avx2 baseline; do
  out=$(CONVSCOPE_ISA=$isa "$bin" --version 2>&1); rc=$?
  case ", $runs," in
    *", $isa,"*)
      [ $rc = 0 ] && echo "$out" | grep -q "^engine: $isa kernel" \
        || fail "CONVSCOPE_ISA=$isa: rc $rc, output: $out" ;;
    *)
      [ $rc = 2 ] && [ "$out" = "convscope: CONVSCOPE_ISA=$isa: this CPU cannot run the $isa path (it runs: $runs)" ] \
        || fail "CONVSCOPE_ISA=$isa on a CPU without it: rc $rc, output: $out" ;;
  esac
done
out=$(CONVSCOPE_ISA=sse9 "$bin" conv --help 2>&1); rc=$?
[ $rc = 2 ] && [ "$out" = "convscope: CONVSCOPE_ISA must be avx512, avx2 or baseline, but got 'sse9'" ] \
  || fail "unknown CONVSCOPE_ISA: rc $rc, output: $out"

if command -v nm >/dev/null; then
  shared=$(nm -C "$lib" 2>/dev/null | awk '/^convkernel_.*\.o:$/ {f=1; next} /\.o:$/ {f=0} f && $2 ~ /^[WVu]$/')
  [ -z "$shared" ] || fail "kernel objects share weak symbols between paths:
$shared"
fi

if [ -n "$sanitized" ]; then
  echo "note: a sanitizer build; the emulated-CPU checks run in the release build only"
elif command -v qemu-x86_64 >/dev/null && [ "$(uname -m)" = x86_64 ]; then
  # Nehalem: SSE4.2, no AVX. Haswell: AVX2 + FMA, no AVX-512 (TCG emulates both).
  for pair in "Nehalem:baseline" "Haswell:avx2, baseline"; do
    cpu=${pair%%:*}; want=${pair#*:}
    out=$(timeout 60 qemu-x86_64 -cpu "$cpu" "$bin" --version 2>/dev/null); rc=$?
    [ $rc = 0 ] && echo "$out" | grep -q "^engine: ${want%%,*} kernel (this CPU runs: $want;" \
      || fail "under qemu -cpu $cpu: rc $rc, output: $out"
  done
  out=$(CONVSCOPE_ISA=avx512 timeout 60 qemu-x86_64 -cpu Haswell "$bin" --version 2>&1 >/dev/null | grep convscope); rc=$?
  [ "$out" = "convscope: CONVSCOPE_ISA=avx512: this CPU cannot run the avx512 path (it runs: avx2, baseline)" ] \
    || fail "CONVSCOPE_ISA=avx512 under qemu -cpu Haswell: $out"
else
  echo "note: qemu-user not installed; the emulated-CPU checks were skipped"
fi

[ $fails = 0 ] && echo "isa paths: all checks passed (this CPU runs: $runs)"
exit $((fails > 0))
