#!/usr/bin/env bash
# Two builds of Wharf side by side: each one's own CPU (utime+stime of `wharf serve`, without git's processes) and
# wall time per bare clone over SSH, on the same bytes, both servers running at once and the clones interleaved
# (a, b, a, b, ...), after the same warm-up (40 `git ls-remote` and 2 clones each, so the login path is compiled).
#
#   A=/path/before/wharf.dll B=/path/after/wharf.dll bench/clone-cpu-ab.sh            # one 256 MiB random blob
#   A=... B=... SRC=/tmp/git-v2.0.0.git bench/clone-cpu-ab.sh                          # any repository instead
#   A=x B=x ENV_B="DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1" bench/clone-cpu-ab.sh   # one build, a runtime switch
#   knobs (defaults): RUNS=8 MB=256 CIPHER=aes128-gcm@openssh.com ENV_A= ENV_B=
#
# Prints, per build, the median and all values of its own CPU per clone (10 ms ticks from /proc/PID/stat) and the
# median wall time. Loopback only; everything lives in one temp dir, removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/wharf-clone-ab.XXXXXX)
PIDS=()
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
: "${A:?A=/path/to/wharf.dll of the first build}" "${B:?B=/path/to/wharf.dll of the second build}"
RUNS=${RUNS:-8}
MB=${MB:-256}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}

mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/client/id"
if [ -z "${SRC:-}" ]; then
  blob_repo "$TMP/blobwork" "$MB"
  SRC="$TMP/blobwork"
fi
for side in a b; do
  if [ "$side" = a ]; then WHARF_DLL=$A; env_list=${ENV_A:-}; else WHARF_DLL=$B; env_list=${ENV_B:-}; fi
  # ENV_A / ENV_B: NAME=VALUE words for that server's process only (a runtime switch tried on the same build).
  for kv in $env_list; do export "${kv?}"; done
  alice_wharf "$side" "$TMP/$side" alice/bench "$TMP/client/id.pub"
  for kv in $env_list; do unset "${kv%%=*}"; done
  # One pack and its refs, laid into both servers' repositories: both send the same bytes.
  lay "$SRC" "$TMP/$side/repositories/alice/bench.git"
done
own_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
ssh_to() { echo "ssh -F /dev/null -i $TMP/client/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -c $CIPHER -p $1"; }
clone() { # side -> "ticks wall_ms"
  local pid port before t0
  pid=${1}_PID; port=${1}_PORT
  rm -rf "$TMP/clone.git"
  before=$(own_ticks "${!pid}"); t0=$(now_ns)
  GIT_SSH_COMMAND="$(ssh_to "${!port}")" git clone -q --bare git@127.0.0.1:alice/bench.git "$TMP/clone.git"
  echo "$(($(own_ticks "${!pid}") - before)) $((($(now_ns) - t0) / 1000000))"
}
echo "== $(uptime)"
for side in a b; do
  port=${side}_PORT
  for _ in $(seq 1 40); do GIT_SSH_COMMAND="$(ssh_to "${!port}")" git ls-remote git@127.0.0.1:alice/bench.git >/dev/null; done
  clone "$side" >/dev/null; clone "$side" >/dev/null
done
: >"$TMP/a.txt"; : >"$TMP/b.txt"
for _ in $(seq 1 "$RUNS"); do clone a >>"$TMP/a.txt"; clone b >>"$TMP/b.txt"; done
TCK=$(getconf CLK_TCK)
for side in a b; do
  printf '%s (%s): own CPU ms per clone, median %s (all: %s); wall ms, median %s\n' "$side" "$([ "$side" = a ] && echo "$A" || echo "$B")" \
    "$(awk -v k="$TCK" '{ print $1 * 1000 / k }' "$TMP/$side.txt" | median)" \
    "$(awk -v k="$TCK" '{ printf "%d ", $1 * 1000 / k }' "$TMP/$side.txt")" "$(awk '{ print $2 }' "$TMP/$side.txt" | median)"
done
echo "== $(uptime)"
