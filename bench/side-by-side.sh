#!/usr/bin/env bash
# Wharf against OpenSSH's sshd on the same machine, same client, same key, same cipher, same bare repository,
# measured in one run so that the ratios are fair on a shared, noisy machine. Runs are interleaved
# (sshd, wharf, sshd, wharf, ...) so that background load falls on both alike; medians are reported.
#
#   sudo bench/side-by-side.sh                 # everything (installs openssh-server and git if missing)
#   CONNECT_RUNS=20 CLONE_RUNS=1 REPO_MB=200 bench/side-by-side.sh
#   WHARF_DLL=/path/to/wharf.dll bench/side-by-side.sh   # skip the publish step
#
# Reports (a) connect+auth+exit time, (b) git clone throughput for chacha20-poly1305 and aes128-gcm,
# (c) server CPU per connection and per clone (utime+stime of the server process and of its reaped
# children, from /proc/PID/stat). Loopback only; everything lives in one temp dir removed on exit.
set -euo pipefail

CONNECT_RUNS=${CONNECT_RUNS:-50}
CLONE_RUNS=${CLONE_RUNS:-3}
REPO_MB=${REPO_MB:-240}
KEX_LIST=${KEX_LIST:-"sntrup761x25519-sha512@openssh.com curve25519-sha256"}
CLONE_CIPHERS=${CLONE_CIPHERS:-"chacha20-poly1305@openssh.com aes128-gcm@openssh.com"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }
for cmd in sshd:openssh-server git:git ssh:openssh-client; do
  [ -x "/usr/sbin/${cmd%%:*}" ] || command -v "${cmd%%:*}" >/dev/null || NEED="${NEED:-} ${cmd#*:}"
done
if [ -n "${NEED:-}" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $NEED >/dev/null
fi

TMP=$(mktemp -d /tmp/wharf-side-by-side.XXXXXX)
SSHD_PID=""; WHARF_PID=""; WHARF_TIMEOUT_PID=""
cleanup() {
  set +e
  [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null && wait "$SSHD_PID" 2>/dev/null
  [ -n "$WHARF_TIMEOUT_PID" ] && kill "$WHARF_TIMEOUT_PID" 2>/dev/null && wait "$WHARF_TIMEOUT_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$ROOT/bench/lib.sh"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "== $(/usr/sbin/sshd -V 2>&1 | head -1 || true); $(ssh -V 2>&1); $(git --version)"

# --- client key -------------------------------------------------------------------------------------------
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/client/id_ed25519"
export HOME="$TMP/client" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

# --- Wharf ------------------------------------------------------------------------------------------------
publish_wharf
DATA="$TMP/wharf-data"
WHARF_PORT=$(free_port)
timeout --kill-after=10s 60m dotnet "$WHARF_DLL" serve --data "$DATA" --ssh "127.0.0.1:$WHARF_PORT" --http 127.0.0.1:0 \
  >"$TMP/wharf.log" 2>&1 &
WHARF_TIMEOUT_PID=$!
wait_port "$WHARF_PORT" 120
WHARF_PID=$(pgrep -P "$WHARF_TIMEOUT_PID" -x dotnet || true)
[ -n "$WHARF_PID" ] || { echo "wharf serve is not running"; cat "$TMP/wharf.log"; exit 1; }
wharf admin user create bench --email bench@example.invalid --data "$DATA" >/dev/null
wharf admin key add bench --label bench --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
wharf admin repo create bench/big --data "$DATA" >/dev/null
REPO="$DATA/repositories/bench/big.git"
[ -d "$REPO/objects" ] || { echo "wharf did not create $REPO" >&2; exit 1; }

# --- the repository: REPO_MB of incompressible blobs, one pack, served by both -------------------------------
echo "== making a ${REPO_MB} MB repository of random blobs"
WORK="$TMP/work"
git init -q -b main "$WORK"
for i in $(seq 1 $((REPO_MB / 8))); do head -c $((8 * 1024 * 1024)) /dev/urandom >"$WORK/blob-$i.bin"; done
git -C "$WORK" -c core.compression=0 add . && git -C "$WORK" -c user.name=bench -c user.email=bench@example.invalid commit -q -m blobs
git -C "$WORK" -c pack.compression=0 repack -q -a -d
cp "$WORK"/.git/objects/pack/* "$REPO/objects/pack/"
git -C "$REPO" update-ref refs/heads/main "$(git -C "$WORK" rev-parse HEAD)"
git -C "$REPO" symbolic-ref HEAD refs/heads/main
rm -rf "$WORK"
PACK_BYTES=$(du -cb "$REPO"/objects/pack/*.pack | tail -1 | cut -f1)
echo "   pack: $PACK_BYTES bytes"

# --- sshd -----------------------------------------------------------------------------------------------------
SSHD_PORT=$(free_port)
cp "$TMP/client/id_ed25519.pub" "$TMP/authorized_keys"
# PermitRootLogin prohibit-password, UsePAM no, StrictModes no, AcceptEnv GIT_PROTOCOL (so git speaks protocol v2
# to both servers, as Wharf accepts GIT_PROTOCOL; Debian's default config would leave sshd on v0): bench/lib.sh.
start_sshd sshd "$SSHD_PORT" "$TMP/authorized_keys"
SSHD_PID=$sshd_PID

SSH_COMMON=(-F /dev/null -i "$TMP/client/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostKeyAlgorithms=ssh-ed25519)
# A call that must succeed; what the two servers answer differs (sshd runs true, Wharf greets on stderr).
ssh_sshd() { ssh "${SSH_COMMON[@]}" "$@" -p "$SSHD_PORT" "$(id -un)@127.0.0.1" true; }
ssh_wharf() { ssh "${SSH_COMMON[@]}" "$@" -T -p "$WHARF_PORT" git@127.0.0.1 >/dev/null 2>&1; }
ssh_sshd || { echo "ssh to sshd failed"; cat "$TMP/sshd.log"; exit 1; }
ssh "${SSH_COMMON[@]}" -T -p "$WHARF_PORT" git@127.0.0.1 2>&1 | head -3 | sed 's/^/   wharf says: /'

RESULTS="$TMP/results.txt"
: >"$RESULTS"
report() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

# --- (a) connect + auth + exit, and (c) server CPU per connection ---------------------------------------------
report ""
report "(a) connect+auth+exit, ${CONNECT_RUNS} runs each, interleaved; ed25519 user and host keys, chacha20-poly1305"
report "(c) server CPU per connection: utime+stime of the server and its reaped children over the same runs"
report "$(printf '%-36s %12s %12s %8s %14s %14s %8s' kex 'sshd ms' 'wharf ms' ratio 'sshd cpu ms' 'wharf cpu ms' ratio)"
for kex in $KEX_LIST; do
  opts=(-o "KexAlgorithms=$kex" -c chacha20-poly1305@openssh.com)
  ssh_sshd "${opts[@]}"; ssh_wharf "${opts[@]}" # warm both (JIT, page cache)
  : >"$TMP/t-sshd"; : >"$TMP/t-wharf"
  sleep 0.5; s0=$(cpu_ticks "$SSHD_PID"); w0=$(cpu_ticks "$WHARF_PID")
  for i in $(seq 1 "$CONNECT_RUNS"); do
    t0=$(now_ns); ssh_sshd "${opts[@]}"; t1=$(now_ns); echo $(((t1 - t0) / 1000)) >>"$TMP/t-sshd"
    t0=$(now_ns); ssh_wharf "${opts[@]}"; t1=$(now_ns); echo $(((t1 - t0) / 1000)) >>"$TMP/t-wharf"
  done
  # Each server's counters move only with its own connections; the pause lets sshd reap the last child.
  sleep 0.5; cpu_s=$(($(cpu_ticks "$SSHD_PID") - s0)); cpu_w=$(($(cpu_ticks "$WHARF_PID") - w0))
  ms=$(median <"$TMP/t-sshd" | awk '{ printf "%.1f", $1 / 1000 }')
  mw=$(median <"$TMP/t-wharf" | awk '{ printf "%.1f", $1 / 1000 }')
  cs=$(awk -v t="$cpu_s" -v n="$CONNECT_RUNS" -v k="$TCK" 'BEGIN { printf "%.1f", t * 1000 / k / n }')
  cw=$(awk -v t="$cpu_w" -v n="$CONNECT_RUNS" -v k="$TCK" 'BEGIN { printf "%.1f", t * 1000 / k / n }')
  report "$(printf '%-36s %12s %12s %8s %14s %14s %8s' "$kex" "$ms" "$mw" "$(ratio "$mw" "$ms")" "$cs" "$cw" "$(ratio "$cw" "$cs")")"
done

# --- (b) git clone throughput, and server CPU per clone ------------------------------------------------------
report ""
report "(b) git clone --bare of $PACK_BYTES bytes (one pack of random blobs), ${CLONE_RUNS} runs each, interleaved, median"
report "$(printf '%-32s %10s %10s %8s %14s %14s %8s' cipher 'sshd MB/s' 'wharf MB/s' ratio 'sshd cpu s' 'wharf cpu s' ratio)"
clone_once() { # server cipher -> seconds (wall), appends server CPU ticks to $TMP/cpu-$server
  local server=$1 cipher=$2 pid url t0 t1 c0 c1
  rm -rf "$TMP/clone.git"
  if [ "$server" = sshd ]; then
    pid=$SSHD_PID; url="$(id -un)@127.0.0.1:$REPO"
    export GIT_SSH_COMMAND="ssh ${SSH_COMMON[*]} -c $cipher -p $SSHD_PORT"
  else
    pid=$WHARF_PID; url="ssh://git@127.0.0.1:$WHARF_PORT/bench/big.git"
    export GIT_SSH_COMMAND="ssh ${SSH_COMMON[*]} -c $cipher"
  fi
  c0=$(cpu_ticks "$pid"); t0=$(now_ns)
  git clone -q --bare "$url" "$TMP/clone.git"
  t1=$(now_ns); sleep 0.2; c1=$(cpu_ticks "$pid")
  [ "$(git -C "$TMP/clone.git" rev-parse main)" = "$(git -C "$REPO" rev-parse main)" ] || { echo "clone from $server is wrong" >&2; exit 1; }
  echo $((c1 - c0)) >>"$TMP/cpu-$server"
  echo $(((t1 - t0) / 1000)) >>"$TMP/t-$server"
}
for cipher in $CLONE_CIPHERS; do
  : >"$TMP/t-sshd"; : >"$TMP/t-wharf"; : >"$TMP/cpu-sshd"; : >"$TMP/cpu-wharf"
  for i in $(seq 1 "$CLONE_RUNS"); do clone_once sshd "$cipher"; clone_once wharf "$cipher"; done
  ts=$(median <"$TMP/t-sshd"); tw=$(median <"$TMP/t-wharf")
  ms=$(awk -v b="$PACK_BYTES" -v us="$ts" 'BEGIN { printf "%.0f", b / us }')
  mw=$(awk -v b="$PACK_BYTES" -v us="$tw" 'BEGIN { printf "%.0f", b / us }')
  cs=$(median <"$TMP/cpu-sshd" | awk -v k="$TCK" '{ printf "%.2f", $1 / k }')
  cw=$(median <"$TMP/cpu-wharf" | awk -v k="$TCK" '{ printf "%.2f", $1 / k }')
  report "$(printf '%-32s %10s %10s %8s %14s %14s %8s' "$cipher" "$ms" "$mw" "$(ratio "$mw" "$ms")" "$cs" "$cw" "$(ratio "$cw" "$cs")")"
  report "   raw wall us sshd: $(tr '\n' ' ' <"$TMP/t-sshd")  wharf: $(tr '\n' ' ' <"$TMP/t-wharf")"
done
report ""
report "ratio = wharf / sshd: below 1 is better for time and CPU, above 1 is better for MB/s."
[ -n "${RESULTS_OUT:-}" ] && cp "$RESULTS" "$RESULTS_OUT"
exit 0
