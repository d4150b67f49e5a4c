#!/usr/bin/env bash
# Server CPU per login with git: `git ls-remote` over SSH against `wharf serve` and against OpenSSH's sshd,
# interleaved in one run, for each key exchange. The two servers serve the same bare repository (sshd by
# absolute path, as bench/side-by-side.sh does), to the same client with the same ed25519 key.
#
#   sudo bench/login-cpu.sh                                  # publishes Wharf.Server (Release) first
#   WHARF_DLL=/path/to/wharf.dll RUNS=100 bench/login-cpu.sh
#   KEX_LIST="curve25519-sha256" bench/login-cpu.sh
#
# First WARMUP logins to each server with each kex (not counted: JIT and tiered compilation of everything a
# login runs, page cache; a kex measured first without this would carry the whole server's warm-up), then for
# each kex RUNS logins to each, alternating sshd, wharf, sshd, ... Server CPU is utime+stime+cutime+cstime from /proc/PID/stat of Wharf's
# one `dotnet` process (which reaps its `git upload-pack`) and of the `sshd -D` listener (which reaps every
# per-connection sshd and, through them, the git-upload-pack they ran), read before and after, divided by RUNS.
# Wharf's figure is also split into its own time (utime+stime) and its reaped children's (cutime+cstime: git).
# Loopback only; everything lives in one mktemp -d directory, removed on exit.
set -euo pipefail

RUNS=${RUNS:-100}
WARMUP=${WARMUP:-50}
KEX_LIST=${KEX_LIST:-"sntrup761x25519-sha512@openssh.com curve25519-sha256"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }
TMP=$(mktemp -d /tmp/wharf-login-cpu.XXXXXX)
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
install_missing sshd:openssh-server git:git ssh:openssh-client

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(/usr/sbin/sshd -V 2>&1 | head -1 || true); $(ssh -V 2>&1); $(git --version)"
if [ -n "${WHARF_DLL:-}" ]; then
  echo "== bench/ at commit $(git -C "$ROOT" rev-parse --short HEAD); wharf.dll given (WHARF_DLL), built from whatever commit made it"
else
  echo "== commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ' plus uncommitted changes to src/')"
fi

mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/client/id_ed25519"
export HOME="$TMP/client" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

# --- Wharf, with alice, her key and alice/r ----------------------------------------------------------------
publish_wharf
echo "== wharf: $WHARF_DLL"
DATA="$TMP/wharf-data"
wharf admin user create alice --email alice@example.invalid --data "$DATA" >/dev/null
wharf admin key add alice --label bench --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
wharf admin repo create alice/r --data "$DATA" >/dev/null
REPO="$DATA/repositories/alice/r.git"
[ -d "$REPO/objects" ] || { echo "wharf did not create $REPO" >&2; exit 1; }

small_repo "$REPO"
REFS=$(git -C "$REPO" for-each-ref | wc -l)

WHARF_PORT=$(free_port)
start_wharf wharf "$DATA" "$WHARF_PORT"
PIDS+=("$wharf_TIMEOUT_PID")

SSHD_PORT=$(free_port)
cp "$TMP/client/id_ed25519.pub" "$TMP/authorized_keys"
start_sshd sshd "$SSHD_PORT" "$TMP/authorized_keys"
PIDS+=("$sshd_PID")

SSH="ssh -F /dev/null -i $TMP/client/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no"
SSH="$SSH -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostKeyAlgorithms=ssh-ed25519 -c chacha20-poly1305@openssh.com"
# One ls-remote that must list every ref; prints its wall time in microseconds.
ls_remote() { # server kex
  local url t0 t1 n
  if [ "$1" = sshd ]; then url="$(id -un)@127.0.0.1:$REPO"; port=$SSHD_PORT; else url="ssh://git@127.0.0.1:$WHARF_PORT/alice/r.git"; port=$WHARF_PORT; fi
  t0=$(now_ns)
  n=$(GIT_SSH_COMMAND="$SSH -o KexAlgorithms=$2 -p $port" git ls-remote "$url" | wc -l)
  t1=$(now_ns)
  # ls-remote also prints HEAD
  [ "$n" = $((REFS + 1)) ] || { echo "ls-remote against $1 with $2 listed $n refs, not $((REFS + 1))" >&2; exit 1; }
  echo $(((t1 - t0) / 1000))
}
own_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
ms_per() { awk -v t="$1" -v n="$RUNS" -v k="$TCK" 'BEGIN { printf "%.1f", t * 1000 / k / n }'; }

echo "== $REFS refs; $WARMUP warm-up logins per server and kex, then $RUNS interleaved git ls-remote logins to each server per kex"
for i in $(seq 1 "$WARMUP"); do
  for kex in $KEX_LIST; do ls_remote sshd "$kex" >/dev/null; ls_remote wharf "$kex" >/dev/null; done
done
printf '%-36s %9s %9s %7s %10s %10s %7s %11s %11s\n' kex 'sshd ms' 'wharf ms' ratio 'sshd cpu' 'wharf cpu' ratio 'wharf own' 'wharf git'
for kex in $KEX_LIST; do
  : >"$TMP/t-sshd"; : >"$TMP/t-wharf"
  sleep 0.5
  s0=$(cpu_ticks "$sshd_PID"); w0=$(cpu_ticks "$wharf_PID"); o0=$(own_ticks "$wharf_PID")
  for i in $(seq 1 "$RUNS"); do
    ls_remote sshd "$kex" >>"$TMP/t-sshd"
    ls_remote wharf "$kex" >>"$TMP/t-wharf"
  done
  sleep 0.5 # lets sshd reap the last per-connection process
  cs=$(($(cpu_ticks "$sshd_PID") - s0)); cw=$(($(cpu_ticks "$wharf_PID") - w0)); ow=$(($(own_ticks "$wharf_PID") - o0))
  ms=$(median <"$TMP/t-sshd" | awk '{ printf "%.1f", $1 / 1000 }')
  mw=$(median <"$TMP/t-wharf" | awk '{ printf "%.1f", $1 / 1000 }')
  printf '%-36s %9s %9s %7s %10s %10s %7s %11s %11s\n' "$kex" "$ms" "$mw" "$(ratio "$mw" "$ms")" \
    "$(ms_per "$cs")" "$(ms_per "$cw")" "$(ratio "$cw" "$cs")" "$(ms_per "$ow")" "$(ms_per $((cw - ow)))"
done
echo "wall ms: median per login (client included); cpu: server CPU ms per login (wharf: own + git it ran); ratio = wharf / sshd"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
