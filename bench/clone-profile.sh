#!/usr/bin/env bash
# Where each server's own CPU goes during one bare clone over SSH: Wharf's threads beside OpenSSH's per-connection sshd
# processes, on the same pack bytes, one clone at a time (sshd, wharf, sshd, wharf, ...), after the same warm-up. Then
# the floor under both: what moving those bytes costs with no SSH at all.
#
#   sudo bench/clone-profile.sh                      # one incompressible 256 MiB blob
#   sudo SRC=/tmp/git-v2.0.0.git bench/clone-profile.sh   # any repository's objects instead
#   knobs (defaults): RUNS=3 MB=256 CIPHER=aes128-gcm@openssh.com WHARF_DLL=(published into the temp dir)
#
# Per server, medians over RUNS clones, from `perf record -a` (whole machine, so every thread is seen):
#   - CPU ms per thread kind (cpu-clock samples at 1999 Hz): sshd's processes; Wharf's output pump (".NET Long Runni"),
#     thread-pool workers, the socket engine's epoll thread (".NET Sockets"), the JIT (".NET Tiered Com") and the rest.
#   - system calls per kind (raw_syscalls:sys_enter, every one) and context switches (sched:sched_switch) of the same
#     threads.
# The floor, for the pack's size in bytes:
#   - copy: `dd bs=64k` reading a pipe and writing a loopback TCP socket, its own utime+stime (the read(2) copy, the
#     send(2) copy and the loopback delivery that runs on the sender's CPU): what any server pays to pass git's output on;
#   - cipher: OpenSSL's EVP throughput at 32 KiB records (`openssl speed`, one core) for the cipher, as CPU for the bytes.
# Needs root (perf on the whole machine; sshd with a private config). Loopback only; one temp dir, removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/wharf-clone-profile.XXXXXX)
PIDS=()
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] || { echo "run as root: perf -a and sshd need it" >&2; exit 2; }
RUNS=${RUNS:-3}
MB=${MB:-256}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}
install_missing perf:linux-perf sshd:openssh-server git:git openssl:openssl python3:python3
publish_wharf

mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/client/id"
alice_wharf w "$TMP/data" alice/bench "$TMP/client/id.pub"
REPO="$TMP/data/repositories/alice/bench.git"
if [ -z "${SRC:-}" ]; then
  blob_repo "$TMP/blobwork" "$MB"
  SRC="$TMP/blobwork"
fi
# One pack and its refs in Wharf's repository; sshd serves that same directory by its path.
lay "$SRC" "$REPO"
PACK_BYTES=$(pack_bytes "$REPO")
cp "$TMP/client/id.pub" "$TMP/authorized_keys"
SSHD_PORT=$(free_port)
start_sshd sshd "$SSHD_PORT" "$TMP/authorized_keys"
PIDS+=("$sshd_PID")

ssh_cmd() { echo "ssh -F /dev/null -i $TMP/client/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -c $CIPHER -p $1"; }
clone() { # server
  rm -rf "$TMP/clone.git"
  if [ "$1" = wharf ]; then GIT_SSH_COMMAND="$(ssh_cmd "$w_PORT")" git clone -q --bare git@127.0.0.1:alice/bench.git "$TMP/clone.git"
  else GIT_SSH_COMMAND="$(ssh_cmd "$SSHD_PORT")" git clone -q --bare "$(id -un)@127.0.0.1:$REPO" "$TMP/clone.git"; fi
}
echo "== $(uptime)"
echo "== $(/usr/sbin/sshd -V 2>&1 | head -1 || true); $(git --version); cipher $CIPHER; pack $PACK_BYTES bytes"
for s in sshd wharf; do for _ in 1 2 3; do clone "$s"; done; done
for _ in $(seq 1 40); do GIT_SSH_COMMAND="$(ssh_cmd "$w_PORT")" git ls-remote git@127.0.0.1:alice/bench.git >/dev/null; done

# One recorded clone: CPU samples of the whole machine; then another with every system call and switch (kept apart:
# tracing every call adds to the traced thread's own time, and sshd makes more calls than Wharf).
record() { # server run
  local out="$TMP/$1-$2" pp
  perf record -q -a -e cpu-clock -F 1999 -o "$out.cpu" 2>/dev/null &
  pp=$!; sleep 1; clone "$1"; sleep 0.3; kill -INT "$pp"; wait "$pp" || true
  perf record -q -a -e raw_syscalls:sys_enter -e sched:sched_switch -c 1 -o "$out.ev" 2>/dev/null &
  pp=$!; sleep 1; clone "$1"; sleep 0.3; kill -INT "$pp"; wait "$pp" || true
  # perf prints "COMM PID EVENT: TRACE" (a thread name may hold spaces): one "kind|event|NR" line per sample, kept only
  # for the server's own threads.
  { perf script -i "$out.cpu" -F pid,comm,event 2>/dev/null; perf script -i "$out.ev" -F pid,comm,event,trace 2>/dev/null; } |
    awk -v side="$1" -v wpid="$w_PID" '
      {
        for (i = 2; i <= NF; i++) if ($i ~ /:$/ && $(i - 1) ~ /^[0-9]+$/) break;
        if (i > NF) next;
        pid = $(i - 1); comm = $1; for (j = 2; j <= i - 2; j++) comm = comm " " $j;
        if (side == "sshd" && comm != "sshd") next;
        if (side == "wharf" && pid != wpid) next;
        if (comm == "sshd") kind = "sshd";
        else if (comm ~ /^\.NET Long Runni/) kind = "pump";
        else if (comm ~ /^\.NET TP Worker/) kind = "pool";
        else if (comm ~ /^\.NET Sockets/) kind = "epoll";
        else if (comm ~ /^\.NET Tiered Com/) kind = "jit";
        else kind = "other";
        nr = ""; if ($(i + 1) == "NR") nr = $(i + 2);
        print kind "|" $i "|" nr;
      }' >"$out.txt"
  rm -f "$out.cpu" "$out.ev"
}
for run in $(seq 1 "$RUNS"); do record sshd "$run"; record wharf "$run"; done

# Per run: CPU ms per thread kind, syscalls per name, switches; then medians over runs.
summarise() { # server
  local run
  for run in $(seq 1 "$RUNS"); do
    awk -F'|' '
      BEGIN { n[0] = "read"; n[1] = "write"; n[7] = "poll"; n[14] = "rt_sigprocmask"; n[20] = "writev"; n[24] = "sched_yield";
              n[39] = "getpid"; n[44] = "sendto"; n[45] = "recvfrom"; n[202] = "futex"; n[232] = "epoll_wait"; n[271] = "ppoll";
              n[281] = "epoll_pwait"; n[318] = "getrandom" }
      $2 == "cpu-clock:" { cpu[$1]++; cpu["total"]++ }
      $2 == "sched:sched_switch:" { sw[$1]++; sw["total"]++ }
      $2 == "raw_syscalls:sys_enter:" { nr = $3 + 0; name = (nr in n) ? n[nr] : "other"; sc[name]++; sc["total"]++ }
      END {
        for (k in cpu) printf "cpu_ms_%s %.1f\n", k, cpu[k] * 1000 / 1999;
        for (k in sw) printf "switches_%s %d\n", k, sw[k];
        for (k in sc) printf "syscalls_%s %d\n", k, sc[k];
      }' "$TMP/$1-$run.txt"
  done >"$TMP/$1-all.txt"
  awk '{ print $1 }' "$TMP/$1-all.txt" | sort -u | while read -r key; do
    printf '%s %s\n' "$key" "$(awk -v k="$key" '$1 == k { print $2 }' "$TMP/$1-all.txt" | median)"
  done
}
summarise sshd >"$TMP/sshd.sum"
summarise wharf >"$TMP/wharf.sum"
echo
echo "Per clone, median of $RUNS (CPU in ms from samples; calls and switches counted):"
printf '%-24s %10s %10s\n' "" sshd wharf
join -a1 -a2 -e - -o 0,1.2,2.2 <(sort "$TMP/sshd.sum") <(sort "$TMP/wharf.sum") | awk '{ printf "%-24s %10s %10s\n", $1, $2, $3 }'

# --- the floor ------------------------------------------------------------------------------------------------------------
copy_cpu_ms=$(python3 - "$PACK_BYTES" <<'PY'
import os, socket, statistics, subprocess, sys, threading
n = int(sys.argv[1])
def once():
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
    def drain():
        c, _ = server.accept()
        while c.recv(1 << 20):
            pass
        c.close()
    t = threading.Thread(target=drain); t.start()
    out = socket.create_connection(server.getsockname())
    feed = subprocess.Popen(["head", "-c", str(n), "/dev/zero"], stdout=subprocess.PIPE)
    dd = subprocess.Popen(["dd", "bs=64k", "status=none"], stdin=feed.stdout, stdout=out.fileno())
    feed.stdout.close()
    _, status, usage = os.wait4(dd.pid, 0)
    out.close(); feed.wait(); t.join(); server.close()
    return (usage.ru_utime + usage.ru_stime) * 1000
# The median of five: one copy is short enough for a stray wake-up to show.
print("%.1f" % statistics.median(once() for _ in range(5)))
PY
)
case $CIPHER in
  aes128-gcm*) evp=aes-128-gcm ;;
  aes256-gcm*) evp=aes-256-gcm ;;
  chacha20-poly1305*) evp=chacha20-poly1305 ;;
  aes128-ctr) evp=aes-128-ctr ;;
  *) evp=aes-128-gcm ;;
esac
# The last line's last field: thousands of bytes per second at 32768-byte records.
rate_k=$(openssl speed -evp "$evp" -bytes 32768 -seconds 2 2>/dev/null | tail -1 | awk '{ sub(/k$/, "", $NF); print $NF }')
cipher_cpu_ms=$(awk -v b="$PACK_BYTES" -v r="$rate_k" 'BEGIN { printf "%.1f", b / (r * 1000) * 1000 }')
echo
echo "Floor for $PACK_BYTES bytes: copy (pipe -> loopback TCP, dd bs=64k, median of 5) $copy_cpu_ms ms + $evp (openssl speed, 32 KiB) $cipher_cpu_ms ms = $(awk -v a="$copy_cpu_ms" -v b="$cipher_cpu_ms" 'BEGIN { printf "%.1f", a + b }') ms"
echo "== $(uptime)"
