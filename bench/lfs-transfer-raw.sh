#!/usr/bin/env bash
# Wharf's git-lfs-transfer download path without git-lfs: one object (256 MiB by default) stored with a hand-written
# put-object, then fetched RUNS times with a hand-written get-object whose answer goes to /dev/null, interleaved with
# `cat` of the same file through Debian's sshd (same key, same cipher). Prints each time in seconds. Results are in
# section 9 of docs/BENCHMARKS.md, beside bench/lfs.sh's: this tells the server's share of an SSH download from git-lfs's.
#
#   sudo WHARF_DLL=/path/to/wharf.dll bench/lfs-transfer-raw.sh      # knobs: SIZE_MB=256 RUNS=3
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }
TMP=$(mktemp -d /tmp/wharf-bench-lfs-raw.XXXXXX)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
publish_wharf
DATA=$TMP/data; mkdir -p $DATA
wharf admin user create alice --email a@example.org --data $DATA >/dev/null
ssh-keygen -q -t ed25519 -N '' -f $TMP/key
wharf admin key add alice --label b --data $DATA < $TMP/key.pub >/dev/null
wharf admin repo create alice/lfs --data $DATA >/dev/null
PORT=$(free_port); start_wharf WHARF $DATA $PORT; PIDS+=("$WHARF_TIMEOUT_PID")
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
for i in $(seq 1 "${RUNS:-3}"); do
  echo "sshd_cat $(t "$SSHD_PID" sh -c "$SSH -p $SSHD_PORT $(id -un)@127.0.0.1 cat $TMP/big.bin > /dev/null")"
  echo "wharf_get $(t "$WHARF_PID" sh -c "$SSH -p $PORT git@127.0.0.1 'git-lfs-transfer alice/lfs.git download' < $TMP/down > /dev/null")"
done
$SSH -p $PORT git@127.0.0.1 'git-lfs-transfer alice/lfs.git download' < $TMP/down > $TMP/down.out
echo "answer bytes $(stat -c %s $TMP/down.out) for $SIZE"
