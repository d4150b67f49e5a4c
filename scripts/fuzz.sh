#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that reads client bytes (tests/Wharf.Fuzz, targets listed by
# `Wharf.Fuzz list`), with AFL++ and SharpFuzz:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Builds tests/Wharf.Fuzz, copies its output to artifacts/fuzz/bin and instruments Wharf.Ssh.dll and Wharf.Core.dll there
# with the sharpfuzz tool (SharpFuzz.CommandLine, installed into artifacts/fuzz/tools at the version below), then runs
# afl-fuzz on each target for SECONDS_PER_TARGET (default 3: with AFL's start-up and calibration of each target, the
# whole set takes about two minutes on a 2-core machine),
# starting from the target's recorded seeds in tests/Wharf.Fuzz/corpus/TARGET. Prints executions, corpus size (paths)
# and edge coverage per target. Exit status 1 when any target found a crash (an exception other than the parser's own
# refusal, or more than Targets.MaxAllocation bytes allocated for one input) or a hang (one input running longer than
# WHARF_FUZZ_TIMEOUT_MS, default 5000); each such input is replayed against the uninstrumented build so the exception
# is printed, and kept in artifacts/fuzz/findings/TARGET/default/{crashes,hangs} (WHARF_FUZZ_OUT moves artifacts/fuzz).
# Needs afl++ (Debian: apt-get install afl++) and the .NET SDK. A long run: scripts/fuzz.sh 180 (an hour).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
seconds="${1:-3}"
shift || true
configuration="${WHARF_TEST_CONFIGURATION:-Release}"
timeout_ms="${WHARF_FUZZ_TIMEOUT_MS:-5000}"
sharpfuzz_version=2.3.0
out="${WHARF_FUZZ_OUT:-$root/artifacts/fuzz}"
project="$root/tests/Wharf.Fuzz"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The target is a .NET apphost, not an afl-cc binary; the machine is shared (no CPU binding, no frequency check);
# a core_pattern that pipes to a handler only slows crash reporting; no curses UI in a log.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
# The bundled list of the recorded seeds is small: calibrate them quickly, and do not stop at a seed that times out once
# on a loaded machine (it is retried and only reported when it hangs during fuzzing).
export AFL_FAST_CAL=1

command -v afl-fuzz >/dev/null || { echo "error: afl-fuzz not found (Debian: apt-get install afl++)" >&2; exit 1; }

echo "==> building tests/Wharf.Fuzz ($configuration)"
dotnet build "$project/Wharf.Fuzz.csproj" -c "$configuration" -nologo -clp:NoSummary -v q >/dev/null
plain="$project/bin/$configuration/net10.0"

sharpfuzz="$out/tools/sharpfuzz"
if [[ ! -x "$sharpfuzz" ]]; then
  echo "==> dotnet tool install SharpFuzz.CommandLine $sharpfuzz_version"
  dotnet tool install SharpFuzz.CommandLine --version "$sharpfuzz_version" --tool-path "$out/tools" >/dev/null
fi

rm -rf "$out/bin"
mkdir -p "$out/bin"
cp -r "$plain/." "$out/bin/"
for dll in Wharf.Ssh.dll Wharf.Core.dll; do
  "$sharpfuzz" "$out/bin/$dll" >/dev/null
done
echo "==> instrumented Wharf.Ssh.dll and Wharf.Core.dll in ${out#"$root"/}/bin"

if (($#)); then targets=("$@"); else mapfile -t targets < <("$plain/Wharf.Fuzz" list); fi

stat() { # FILE KEY
  awk -F' *: *' -v k="$2" '$1 == k { print $2 }' "$1"
}

failed=0
printf '%-34s %10s %8s %7s %9s %8s %6s\n' target execs exec/s paths edges crashes hangs
for target in "${targets[@]}"; do
  findings="$out/findings/$target"
  rm -rf "$findings"
  mkdir -p "$findings"
  log="$findings/afl.log"
  # -V stops after the given seconds of fuzzing; the outer timeout is only a guard against afl-fuzz itself hanging.
  status=0
  timeout --kill-after=10s "$((seconds + 120))" \
    afl-fuzz -i "$project/corpus/$target" -o "$findings" -t "$timeout_ms" -m none -V "$seconds" \
    -- "$out/bin/Wharf.Fuzz" "$target" >"$log" 2>&1 || status=$?
  stats="$findings/default/fuzzer_stats"
  if ((status != 0)) || [[ ! -f "$stats" ]]; then
    echo "FAILED $target: afl-fuzz exited with status $status; the end of $log:" >&2
    tail -n 25 "$log" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/^/    /' >&2
    failed=1
    continue
  fi
  crashes="$(stat "$stats" saved_crashes)"
  hangs="$(stat "$stats" saved_hangs)"
  printf '%-34s %10s %8s %7s %9s %8s %6s\n' "$target" "$(stat "$stats" execs_done)" "$(stat "$stats" execs_per_sec)" \
    "$(stat "$stats" corpus_count)" "$(stat "$stats" edges_found)" "$crashes" "$hangs"
  if ((crashes + hangs > 0)); then
    failed=1
    for input in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
      [[ -f "$input" ]] || continue
      echo "FINDING $target: ${input#"$root"/}" >&2
      echo "    input (hex): $(head -c 512 "$input" | od -An -tx1 -v | tr -d ' \n')" >&2
      timeout 60 "$plain/Wharf.Fuzz" run "$target" "$input" 2>&1 | head -n 15 | sed 's/^/    /' >&2 || true
    done
  fi
done

if ((failed)); then
  echo "fuzzing FAILED: see the findings above (inputs in ${out#"$root"/}/findings)" >&2
  exit 1
fi
echo "fuzzing passed: ${#targets[@]} target(s), ${seconds}s each, no crash and no hang"
