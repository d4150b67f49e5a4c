#!/usr/bin/env bash
# Where `wharf serve`'s CPU goes per `git ls-remote` login, in the steady state: a fresh server with alice, her
# key and alice/r, WARMUP logins (JIT, tiering, caches), then RUNS logins under `perf record` (every CPU sample
# of the dotnet process: managed frames through DOTNET_PerfMapEnabled, native ones such as libsodium, OpenSSL
# and the kernel's fork/exec), then RUNS more under `dotnet-trace collect` (managed stacks, EventPipe), then
# RUNS more under `dotnet-counters collect`. Each phase also reports the server's CPU per login from
# /proc/PID/stat. bench/login-profile.py sorts the perf samples into the phases of a login.
#
#   bench/login-profile.sh OUT_DIR                 # publishes Wharf.Server (Release) first
#   WHARF_DLL=/path/to/wharf.dll KEX=curve25519-sha256 RUNS=200 TOOLS=perf bench/login-profile.sh /tmp/prof
#
# Needs perf (Debian's linux-perf) and dotnet-trace / dotnet-counters (`dotnet tool install -g dotnet-trace`);
# a missing tool skips its phase. Loopback only; OUT_DIR keeps the profiles, everything else is removed on exit.
set -euo pipefail

OUT=${1:?usage: bench/login-profile.sh OUT_DIR}
RUNS=${RUNS:-150}
WARMUP=${WARMUP:-60}
KEX=${KEX:-sntrup761x25519-sha512@openssh.com}
TOOLS=${TOOLS:-"perf dotnet-trace dotnet-counters"} # which of the three phases to run
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/wharf-login-profile.XXXXXX)
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"
PATH="$PATH:$HOME/.dotnet/tools"

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); kex $KEX; $WARMUP warm-up logins, $RUNS per phase"
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/client/id_ed25519"
publish_wharf
DATA="$TMP/wharf-data"
wharf admin user create alice --email alice@example.invalid --data "$DATA" >/dev/null
wharf admin key add alice --label bench --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
wharf admin repo create alice/r --data "$DATA" >/dev/null
REPO="$DATA/repositories/alice/r.git"
small_repo "$REPO"

PORT=$(free_port)
# perf names JIT-compiled frames from /tmp/perf-PID.map: that needs the code at the addresses the map gives
# (no W^X double mapping) and every method jitted rather than precompiled (ReadyToRun code has no map entries;
# hot methods are rejitted at tier 1 either way, so the steady state is the same code).
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0
start_wharf wharf "$DATA" "$PORT"
unset DOTNET_PerfMapEnabled DOTNET_EnableWriteXorExecute DOTNET_ReadyToRun
PIDS+=("$wharf_TIMEOUT_PID")
PID=$wharf_PID

export GIT_SSH_COMMAND="ssh -F /dev/null -i $TMP/client/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostKeyAlgorithms=ssh-ed25519 -o KexAlgorithms=$KEX"
URL="ssh://git@127.0.0.1:$PORT/alice/r.git"
logins() { local i; for i in $(seq 1 "$1"); do git ls-remote "$URL" >/dev/null; done; }
phase() { # name command...: runs RUNS logins while the command (if any) records; prints CPU per login
  local name=$1 c0 o0 c1 o1 tool=""
  shift
  # A background job starts with SIGINT ignored, and .NET tools then keep ignoring it: reset it before exec,
  # so that the tool stops and writes its file on SIGINT as on Ctrl+C.
  if [ $# -gt 0 ]; then
    python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@" &
    tool=$!
    sleep 3
  fi
  c0=$(cpu_ticks "$PID"); o0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$PID/stat")
  logins "$RUNS"
  c1=$(cpu_ticks "$PID"); o1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$PID/stat")
  if [ -n "$tool" ]; then kill -INT "$tool" 2>/dev/null || true; wait "$tool" 2>/dev/null || true; fi
  awk -v n="$RUNS" -v k="$TCK" -v all=$((c1 - c0)) -v own=$((o1 - o0)) -v name="$name" \
    'BEGIN { printf "   %-16s server CPU %.1f ms per login (own %.1f, reaped children %.1f)\n", name, all * 1000 / k / n, own * 1000 / k / n, (all - own) * 1000 / k / n }'
}
logins "$WARMUP"
phase plain
if [[ " $TOOLS " == *" perf "* ]] && command -v perf >/dev/null; then
  phase perf perf record -q -F 1999 -g -p "$PID" -o "$OUT/perf.data"
  perf script -i "$OUT/perf.data" -F comm,tid,period,ip,sym,dso 2>/dev/null | gzip >"$OUT/perf.script.gz"
  cp "/tmp/perf-$PID.map" "$OUT/" 2>/dev/null || true
fi
if [[ " $TOOLS " == *" dotnet-trace "* ]] && command -v dotnet-trace >/dev/null; then
  phase dotnet-trace dotnet-trace collect -p "$PID" --profile dotnet-sampled-thread-time,database \
    --format Speedscope -o "$OUT/trace.nettrace"
fi
if [[ " $TOOLS " == *" dotnet-counters "* ]] && command -v dotnet-counters >/dev/null; then
  phase dotnet-counters dotnet-counters collect -p "$PID" --refresh-interval 1 --format csv -o "$OUT/counters.csv" \
    --counters System.Runtime,Microsoft.EntityFrameworkCore
fi
echo "== profiles in $OUT; load after $(cut -d' ' -f1-3 /proc/loadavg)"
