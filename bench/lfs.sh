#!/usr/bin/env bash
# Git LFS throughput: one large object (1 GiB by default) uploaded and downloaded through `wharf serve` by Debian's
# git-lfs, over the pure SSH protocol (git-lfs-transfer) and over the hybrid one (git-lfs-authenticate, then the HTTP
# API on plain http over loopback), beside `scp -O` (the classic scp protocol) of the same file to and from Debian's sshd with the same key and
# cipher. Runs are interleaved (scp, ssh, http, scp, ...) so background load falls on all alike; medians reported,
# with the ratio of each to scp (above 1.00: slower than scp), the CPU time of each side (client: the command and
# every process it waited for, git-lfs and ssh included; server: wharf serve, or sshd with the sessions it reaped) and
# wharf's peak resident memory (VmHWM).
#
#   sudo bench/lfs.sh                         # 1 GiB, 3 runs (installs git-lfs and openssh-server if missing)
#   SIZE_MB=256 RUNS=1 bench/lfs.sh
#   WHARF_DLL=/path/to/wharf.dll bench/lfs.sh # skip the publish step
#   WHARF_DLL_BEFORE=/path/to/old/wharf.dll bench/lfs.sh # also download from a second `wharf serve` of that build
#
# The fourth download path goes through OpenSSH's sshd as Wharf's front end (`wharf keys authorized` and `wharf shell`):
# the same git-lfs-transfer code behind OpenSSH's SSH transport, which tells the transport's share of the time.
set -euo pipefail

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }

TMP=$(mktemp -d /tmp/wharf-bench-lfs.XXXXXX)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
install_missing sshd:openssh-server git:git git-lfs:git-lfs scp:openssh-client
publish_wharf

echo "== setting up: alice, her key, alice/lfs, $SIZE_MB MiB of random bytes"
DATA="$TMP/data"
mkdir -p "$DATA"
LOGIN=$(id -un)
# The OpenSSH front end (docs/OPERATIONS.md, "OpenSSH front end") serves this login name through sshd.
printf '{"OpenSsh": {"Users": ["%s"]}}\n' "$LOGIN" >"$DATA/wharf.json"
wharf admin user create alice --email alice@example.org --data "$DATA" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/key"
wharf admin key add alice --label bench --data "$DATA" <"$TMP/key.pub" >/dev/null
wharf admin repo create alice/lfs --data "$DATA" >/dev/null
WHARF_PORT=$(free_port)
start_wharf WHARF "$DATA" "$WHARF_PORT"
PIDS+=("$WHARF_TIMEOUT_PID")
if [ -n "${WHARF_DLL_BEFORE:-}" ]; then
  NEW_DLL=$WHARF_DLL; WHARF_DLL=$WHARF_DLL_BEFORE
  alice_wharf BEFORE "$TMP/data-before" alice/lfs "$TMP/key.pub"
  WHARF_DLL=$NEW_DLL
fi
SSHD_PORT=$(free_port)
start_sshd SSHD "$SSHD_PORT" "$TMP/key.pub"
PIDS+=("$SSHD_PID")
# A second sshd as Wharf's OpenSSH front end: `wharf keys authorized` as AuthorizedKeysCommand, `wharf shell` as
# the forced command, which has `wharf serve` run git-lfs-transfer over DATA/run/wharf.sock. The same LFS code as
# the built-in server behind OpenSSH's transport instead of Wharf.Ssh's.
for _ in $(seq 1 600); do [ -S "$DATA/run/wharf.sock" ] && break; sleep 0.1; done
[ -S "$DATA/run/wharf.sock" ] || { echo "wharf serve made no $DATA/run/wharf.sock"; cat "$TMP/WHARF.log"; exit 1; }
FRONT_PORT=$(free_port)
start_sshd FRONT "$FRONT_PORT" none "AuthorizedKeysCommand $(readlink -f "$(command -v dotnet)") $WHARF_DLL keys authorized --user %u --type %t --key %k --data $DATA
AuthorizedKeysCommandUser $LOGIN"
PIDS+=("$FRONT_PID")

SSH_OPTS="-i $TMP/key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -c $CIPHER"
# The hybrid path: an ssh that refuses git-lfs-transfer, as a server without the pure protocol would.
cat >"$TMP/ssh-hybrid" <<SH
#!/bin/sh
case "\$*" in *git-lfs-transfer*) exit 1;; esac
exec ssh "\$@"
SH
chmod 700 "$TMP/ssh-hybrid"
export GIT_CONFIG_NOSYSTEM=1 HOME="$TMP/home" GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@example.org \
  GIT_COMMITTER_NAME=alice GIT_COMMITTER_EMAIL=alice@example.org
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global lfs.ssh.automultiplex false
git lfs install --skip-repo >/dev/null

WORK="$TMP/work"
mkdir -p "$WORK"
git -C "$WORK" init -q
git -C "$WORK" lfs track '*.bin' >/dev/null
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$WORK/big.bin"
cp "$WORK/big.bin" "$TMP/big.bin"
git -C "$WORK" add -A
git -C "$WORK" commit -q -m big
REMOTE="ssh://git@127.0.0.1:$WHARF_PORT/alice/lfs.git"
OID=$(sha256sum "$TMP/big.bin" | cut -d' ' -f1)
STORED="$DATA/lfs"

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# timed SERVER_PID COMMAND...: "wall_seconds client_cpu_ms server_cpu_ms"
timed() {
  local pid=$1 t0 t1 c0 c1; shift
  c0=$(cpu_ticks "$pid"); t0=$(now_ns)
  /usr/bin/time -f '%U %S' -o "$TMP/time" "$@" >/dev/null
  # sshd counts a session's CPU once it has reaped it, a moment after the client is gone: wait before reading.
  t1=$(now_ns); sleep 0.3; c1=$(cpu_ticks "$pid")
  echo "$(secs "$t0" "$t1") $(awk '{ printf "%.0f", ($1 + $2) * 1000 }' "$TMP/time") $(( (c1 - c0) * 1000 / TCK ))"
}

wharf_upload() { # ssh command
  rm -rf "$STORED"   # the server must not have the object yet
  # A new branch each time, so that git runs git-lfs's pre-push hook; pushed by URL, git-lfs sends every object.
  GIT_SSH_COMMAND="$1 $SSH_OPTS -p $WHARF_PORT" timed "$WHARF_PID" git -C "$WORK" push -q "$REMOTE" "main:refs/heads/run-$(now_ns)"
  [ "$(find "$STORED" -name "$OID" | wc -l)" = 1 ] || { echo "upload did not store $OID" >&2; exit 1; }
}
wharf_download() { # ssh command [git-lfs concurrent transfers]
  rm -rf "$CLONE/.git/lfs/objects"
  # The second argument sets git-lfs's transfer workers (lfs.concurrenttransfers, 8 by default), which may each open a connection.
  GIT_SSH_COMMAND="$1 $SSH_OPTS -p $WHARF_PORT" timed "$WHARF_PID" git -C "$CLONE" -c lfs.concurrenttransfers="${2:-8}" lfs fetch origin main
}
front_download() { # the same fetch through the OpenSSH front end; server CPU: sshd (with the sessions and wharf shell it reaped) plus wharf serve
  local w0 w1 out
  rm -rf "$CLONE/.git/lfs/objects"
  w0=$(cpu_ticks "$WHARF_PID")
  out=$(GIT_SSH_COMMAND="ssh $SSH_OPTS -p $FRONT_PORT" timed "$FRONT_PID" git -C "$CLONE" lfs fetch front main)
  w1=$(cpu_ticks "$WHARF_PID")
  echo "$out" | awk -v w=$(( (w1 - w0) * 1000 / TCK )) '{ print $1, $2, $3 + w, $3, w }'
}
scp_up() { rm -f "$TMP/scp-target"; timed "$SSHD_PID" scp -O -q $SSH_OPTS -P "$SSHD_PORT" "$TMP/big.bin" "$(id -un)@127.0.0.1:$TMP/scp-target"; }
scp_down() { rm -f "$TMP/scp-back"; timed "$SSHD_PID" scp -O -q $SSH_OPTS -P "$SSHD_PORT" "$(id -un)@127.0.0.1:$TMP/big.bin" "$TMP/scp-back"; }

echo "== first push and a clone without LFS content (not timed)"
GIT_SSH_COMMAND="ssh $SSH_OPTS -p $WHARF_PORT" git -C "$WORK" push -q "$REMOTE" main
CLONE="$TMP/clone"
GIT_LFS_SKIP_SMUDGE=1 GIT_SSH_COMMAND="ssh $SSH_OPTS -p $WHARF_PORT" git clone -q "$REMOTE" "$CLONE"
git -C "$CLONE" remote add front "ssh://$LOGIN@127.0.0.1:$FRONT_PORT/alice/lfs.git"
if [ -n "${WHARF_DLL_BEFORE:-}" ]; then
  GIT_SSH_COMMAND="ssh $SSH_OPTS -p $BEFORE_PORT" git -C "$WORK" push -q "ssh://git@127.0.0.1:$BEFORE_PORT/alice/lfs.git" main
  git -C "$CLONE" remote add before "ssh://git@127.0.0.1:$BEFORE_PORT/alice/lfs.git"
fi

: >"$TMP/r"
for i in $(seq 1 "$RUNS"); do
  echo "== run $i of $RUNS"
  echo "scp_up $(scp_up)" >>"$TMP/r"
  echo "ssh_up $(wharf_upload ssh)" >>"$TMP/r"
  echo "http_up $(wharf_upload "$TMP/ssh-hybrid")" >>"$TMP/r"
  echo "scp_down $(scp_down)" >>"$TMP/r"
  echo "ssh_down $(wharf_download ssh)" >>"$TMP/r"
  echo "front_down $(front_download)" >>"$TMP/r"
  if [ -n "${WHARF_DLL_BEFORE:-}" ]; then
    rm -rf "$CLONE/.git/lfs/objects"
    echo "before_down $(GIT_SSH_COMMAND="ssh $SSH_OPTS -p $BEFORE_PORT" timed "$BEFORE_PID" git -C "$CLONE" lfs fetch before main)" >>"$TMP/r"
  fi
  cmp -s "$CLONE/.git/lfs/objects/${OID:0:2}/${OID:2:2}/$OID" "$TMP/big.bin" || { echo "object from the front end differs" >&2; exit 1; }
  echo "ssh1_down $(wharf_download ssh 1)" >>"$TMP/r"
  echo "http_down $(wharf_download "$TMP/ssh-hybrid")" >>"$TMP/r"
done
cmp -s "$CLONE/.git/lfs/objects/${OID:0:2}/${OID:2:2}/$OID" "$TMP/big.bin" || { echo "downloaded object differs" >&2; exit 1; }

med() { awk -v k="$1" -v c="${2:-2}" '$1 == k { print $c }' "$TMP/r" | median; }
mibs() { awk -v s="$1" -v m="$SIZE_MB" 'BEGIN { printf "%.0f", m / s }'; }
echo
echo "$SIZE_MB MiB, $RUNS runs, cipher $CIPHER, $(nproc) cores; median seconds, MiB/s, ratio to scp (lower is better)"
printf '%-28s %8s %8s %8s %14s %14s\n' "" seconds "MiB/s" "vs scp" "client cpu ms" "server cpu ms"
for dir in up down; do
  base=$(med "scp_$dir")
  printf '%-28s %8s %8s %8s %14s %14s\n' "scp ($dir)" "$base" "$(mibs "$base")" "1.00" "$(med "scp_$dir" 3)" "$(med "scp_$dir" 4)"
  for way in ssh $([ "$dir" = down ] && echo ssh1 front) $([ "$dir" = down ] && [ -n "${WHARF_DLL_BEFORE:-}" ] && echo before) http; do
    t=$(med "${way}_$dir")
    label=$(case "$way" in ssh) echo "wharf git-lfs-transfer";; ssh1) echo "wharf lfs-transfer, 1 conn";; front) echo "sshd+wharf shell lfs-transfer";; before) echo "WHARF_DLL_BEFORE lfs-transfer";; *) echo "wharf authenticate+HTTP";; esac)
    printf '%-28s %8s %8s %8s %14s %14s\n' "$label ($dir)" "$t" "$(mibs "$t")" "$(ratio "$t" "$base")" "$(med "${way}_$dir" 3)" "$(med "${way}_$dir" 4)"
  done
done
echo "front end's server cpu ms, sshd with its sessions / wharf serve: $(med front_down 5) / $(med front_down 6)"
echo "wharf serve peak resident memory (VmHWM): $(awk '/^VmHWM:/ { print $2 }' "/proc/$WHARF_PID/status") KiB"
