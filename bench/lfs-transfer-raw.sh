#!/usr/bin/env bash
# Wharf's git-lfs-transfer download path without git-lfs: one object (256 MiB by default) stored with a hand-written
# put-object, then fetched RUNS times with a hand-written get-object whose answer goes to /dev/null, interleaved with
# `cat` of the same file through Debian's sshd (same key, same cipher). Each is read twice: by /dev/null at once, and
# by a reader that holds SLOW_MIBS MiB/s (100 by default, about git-lfs 3.3's pace), so the servers' CPU with a slow
# reader shows. With WHARF_DLL_BEFORE, a second `wharf serve` from that build (its own data, the same object) is
# fetched from too, interleaved. Prints seconds, client CPU ms and server CPU ms per fetch. Results are in section 9 of
# docs/BENCHMARKS.md, beside bench/lfs.sh's: this tells the server's share of an SSH download from git-lfs's.
#
#   sudo WHARF_DLL=/path/to/wharf.dll bench/lfs-transfer-raw.sh      # knobs: SIZE_MB=256 RUNS=3 SLOW_MIBS=100
#   sudo WHARF_DLL=new/wharf.dll WHARF_DLL_BEFORE=old/wharf.dll bench/lfs-transfer-raw.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }
TMP=$(mktemp -d /tmp/wharf-bench-lfs-raw.XXXXXX)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
publish_wharf
ssh-keygen -q -t ed25519 -N '' -f $TMP/key
alice_wharf WHARF $TMP/data alice/lfs $TMP/key.pub; PORT=$WHARF_PORT
if [ -n "${WHARF_DLL_BEFORE:-}" ]; then
  NEW_DLL=$WHARF_DLL; WHARF_DLL=$WHARF_DLL_BEFORE
  alice_wharf BEFORE $TMP/data-before alice/lfs $TMP/key.pub
  WHARF_DLL=$NEW_DLL
fi
SSHD_PORT=$(free_port); start_sshd SSHD $SSHD_PORT $TMP/key.pub; PIDS+=("$SSHD_PID")
head -c $((${SIZE_MB:-256} << 20)) /dev/urandom > $TMP/big.bin
OID=$(sha256sum $TMP/big.bin | cut -d' ' -f1); SIZE=$(stat -c %s $TMP/big.bin)
SSH="ssh -i $TMP/key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -c aes128-gcm@openssh.com"
python3 - "$TMP/big.bin" "$OID" "$SIZE" "$TMP" <<'PY'
import sys
path, oid, size, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def pkt(b): return b'%04x' % (len(b) + 4) + b
with open(tmp + '/up', 'wb') as o:
    o.write(pkt(b'version 1\n') + b'0000' + pkt(b'put-object %s\n' % oid.encode()) + pkt(b'size=%d\n' % size) + b'0001')
    with open(path, 'rb') as f:
        while (c := f.read(65516)): o.write(pkt(c))
    o.write(b'0000' + pkt(b'quit\n') + b'0000')
with open(tmp + '/down', 'wb') as o:
    o.write(pkt(b'version 1\n') + b'0000' + pkt(b'get-object %s\n' % oid.encode()) + b'0000' + pkt(b'quit\n') + b'0000')
PY
$SSH -p $PORT git@127.0.0.1 "git-lfs-transfer alice/lfs.git upload" < $TMP/up > $TMP/up.out
grep -c "status 200" $TMP/up.out >/dev/null
[ -z "${WHARF_DLL_BEFORE:-}" ] || { $SSH -p $BEFORE_PORT git@127.0.0.1 "git-lfs-transfer alice/lfs.git upload" < $TMP/up | grep -q "status 200"; }
# A reader that takes SLOW_MIBS MiB/s in 64 KiB reads.
cat > $TMP/slow.py <<'PY'
import os, sys, time
rate = float(sys.argv[1]) * 1048576; t0 = time.monotonic(); n = 0
while (b := os.read(0, 65536)):
    n += len(b); ahead = n / rate - (time.monotonic() - t0)
    if ahead > 0.001: time.sleep(ahead)
PY
SLOW="python3 $TMP/slow.py ${SLOW_MIBS:-100}"
# t SERVER_PID COMMAND...: "seconds client_cpu_ms server_cpu_ms" (client: the ssh client; server: sshd with the
# sessions it reaped, or wharf serve)
t() {
  local pid=$1 a b c0 c1; shift
  c0=$(cpu_ticks "$pid"); a=$(now_ns)
  /usr/bin/time -f '%U %S' -o "$TMP/time" "$@"
  b=$(now_ns); c1=$(cpu_ticks "$pid")
  awk -v d=$((b - a)) -v s=$(( (c1 - c0) * 1000 / TCK )) '{ printf "%.3f %.0f %d\n", d / 1e9, ($1 + $2) * 1000, s }' "$TMP/time"
}
echo "seconds, client cpu ms, server cpu ms"
get() { # NAME SERVER_PID PORT READER
  echo "$1 $(t "$2" sh -c "$SSH -p $3 git@127.0.0.1 'git-lfs-transfer alice/lfs.git download' < $TMP/down | $4")"
}
for i in $(seq 1 "${RUNS:-3}"); do
  echo "sshd_cat $(t "$SSHD_PID" sh -c "$SSH -p $SSHD_PORT $(id -un)@127.0.0.1 cat $TMP/big.bin > /dev/null")"
  get wharf_get "$WHARF_PID" "$PORT" "cat > /dev/null"
  [ -z "${WHARF_DLL_BEFORE:-}" ] || get before_get "$BEFORE_PID" "$BEFORE_PORT" "cat > /dev/null"
  # A slow reader: the server's CPU now includes whatever waiting for the window costs it.
  echo "sshd_cat_slow $(t "$SSHD_PID" sh -c "$SSH -p $SSHD_PORT $(id -un)@127.0.0.1 cat $TMP/big.bin | $SLOW")"
  get wharf_get_slow "$WHARF_PID" "$PORT" "$SLOW"
  [ -z "${WHARF_DLL_BEFORE:-}" ] || get before_get_slow "$BEFORE_PID" "$BEFORE_PORT" "$SLOW"
done
$SSH -p $PORT git@127.0.0.1 'git-lfs-transfer alice/lfs.git download' < $TMP/down > $TMP/down.out
echo "answer bytes $(stat -c %s $TMP/down.out) for $SIZE"
