#!/usr/bin/env bash
# The OpenSSH front end's own cost (issue 16, point 7): `wharf keys authorized` and `wharf shell` with
# `wharf serve` answering on DATA/run/wharf.sock (the fast path) and without it (each command builds its own
# host and database model), and a login + `git ls-remote` through sshd + Wharf beside sshd with a plain
# authorized_keys file, on the same repository bytes.
#
#   sudo bench/front-end.sh                                  # publishes Wharf.Server (Release) first
#   WHARF_DLL=/path/to/wharf.dll HELPER=/path/to/wharf-ssh-helper RUNS=30 SLOW_RUNS=5 bench/front-end.sh
#
# HELPER is wharf-ssh-helper published with Native AOT (needs clang); unless given, the script publishes it:
#   dotnet publish src/Wharf.SshHelper -c Release -r linux-x64 -o DIR
# A third sshd uses it as AuthorizedKeysCommand (and so as the forced command).
#
# Wall time with the `date +%s%N` clock around each process; CPU (user + system, the process and the children
# it reaped) from bash's `time`. All runs of one table are interleaved, so background load on this shared
# machine falls on every column alike. Everything lives in one temp dir removed on exit.
set -euo pipefail

RUNS=${RUNS:-30}
SLOW_RUNS=${SLOW_RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }

TMP=$(mktemp -d /tmp/wharf-front-end.XXXXXX)
. "$ROOT/bench/lib.sh"
install_missing sshd:openssh-server ssh:openssh-client git:git
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(/usr/sbin/sshd -V 2>&1 | head -1 || true); $(ssh -V 2>&1); $(git --version)"
publish_wharf
if [ -z "${HELPER:-}" ]; then
  echo "== publishing wharf-ssh-helper (Native AOT)"
  dotnet publish "$ROOT/src/Wharf.SshHelper/Wharf.SshHelper.csproj" -c Release -r linux-x64 --artifacts-path "$TMP/art-helper" \
    -o "$TMP/helper" -v q -nologo >/dev/null
  HELPER="$TMP/helper/wharf-ssh-helper"
fi
[ -x "$HELPER" ] || { echo "wharf-ssh-helper not found" >&2; exit 1; }
# sshd runs an AuthorizedKeysCommand only from a path whose every directory root owns and nobody else may write,
# which /tmp is not: a copy under /run for the time of the run.
HELPER_DIR=$(mktemp -d /run/wharf-front-end-helper.XXXXXX)
chmod 755 "$HELPER_DIR"
cp "$HELPER" "$HELPER_DIR/wharf-ssh-helper"
HELPER="$HELPER_DIR/wharf-ssh-helper"
trap 'cleanup; rm -rf "$HELPER_DIR"' EXIT
DOTNET=$(readlink -f "$(command -v dotnet)")
LOGIN=$(id -un)
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/client/id_ed25519"
read -r KTYPE KBLOB _ <"$TMP/client/id_ed25519.pub"
export HOME="$TMP/client"

# --- Wharf's data: alice, her key, alice/bench holding this repository's HEAD; the same bytes for plain sshd ---
DATA="$TMP/data"
mkdir -p "$DATA"
printf '{"OpenSsh": {"Users": ["%s"]}}\n' "$LOGIN" >"$DATA/wharf.json"
wharf admin user create alice --email alice@example.org --data "$DATA" >/dev/null
wharf admin key add alice --label bench --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
wharf admin repo create alice/bench --data "$DATA" >/dev/null
BARE="$DATA/repositories/alice/bench.git"
git -C "$ROOT" push -q "$BARE" HEAD:refs/heads/main
cp -a "$BARE" "$TMP/plain.git"
start_wharf WHARF "$DATA" "$(free_port)"
PIDS+=("$WHARF_TIMEOUT_PID")
for _ in $(seq 1 600); do [ -S "$DATA/run/wharf.sock" ] && break; sleep 0.1; done
[ -S "$DATA/run/wharf.sock" ] || { echo "wharf serve made no $DATA/run/wharf.sock"; cat "$TMP/WHARF.log"; exit 1; }
KEY_ID=$(wharf keys authorized --user "$LOGIN" --type "$KTYPE" --key "$KBLOB" --data "$DATA" | sed -n 's/.* --key-id \([0-9]*\) .*/\1/p')
[ -n "$KEY_ID" ] || { echo "wharf keys authorized printed no line for the key"; exit 1; }

# --- two sshd: Wharf as AuthorizedKeysCommand + forced command, and a plain authorized_keys file -------------
cp "$TMP/client/id_ed25519.pub" "$TMP/authorized_keys"
FRONT_PORT=$(free_port)
start_sshd FRONT "$FRONT_PORT" none "AuthorizedKeysCommand $DOTNET $WHARF_DLL keys authorized --user %u --type %t --key %k --data $DATA
AuthorizedKeysCommandUser $LOGIN"
PIDS+=("$FRONT_PID")
AOT_PORT=$(free_port)
start_sshd AOT "$AOT_PORT" none "AuthorizedKeysCommand $HELPER keys authorized --user %u --type %t --key %k --data $DATA
AuthorizedKeysCommandUser $LOGIN"
PIDS+=("$AOT_PID")
PLAIN_PORT=$(free_port)
start_sshd PLAIN "$PLAIN_PORT" "$TMP/authorized_keys"
PIDS+=("$PLAIN_PID")
SSH="ssh -F /dev/null -i $TMP/client/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"

TIMEFORMAT='%R %U %S'
# timed NAME COMMAND...: runs it (stdin from $STDIN, output discarded), appends "wall_ms cpu_ms" to TMP/NAME.
STDIN=/dev/null
timed() {
  local name=$1 t
  shift
  t=$( { time "$@" <"$STDIN" >/dev/null 2>"$TMP/last.err"; } 2>&1 ) || { echo "failed: $*"; cat "$TMP/last.err"; exit 1; }
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.1f %.1f\n", a[1] * 1000, (a[2] + a[3]) * 1000 }' >>"$TMP/$name"
}
col() { awk -v c="$2" '{ print $c }' "$TMP/$1" | median; }
without_serve() { mv "$DATA/run/wharf.sock" "$DATA/run/wharf.sock.aside"; }
with_serve() { mv "$DATA/run/wharf.sock.aside" "$DATA/run/wharf.sock"; }

keys() { wharf keys authorized --user "$LOGIN" --type "$KTYPE" --key "$KBLOB" --data "$DATA"; }
shell() { SSH_ORIGINAL_COMMAND="git-upload-pack 'alice/bench.git'" wharf shell --key-id "$KEY_ID" --data "$DATA"; }
helper_keys() { "$HELPER" keys authorized --user "$LOGIN" --type "$KTYPE" --key "$KBLOB" --data "$DATA"; }
helper_shell() { SSH_ORIGINAL_COMMAND="git-upload-pack 'alice/bench.git'" "$HELPER" shell --key-id "$KEY_ID" --data "$DATA"; }
# git's own upload-pack on the same repository: the advertisement, then the client's flush ends it.
printf '0000' >"$TMP/flush"

echo "== warming up"
for _ in 1 2 3; do
  keys >/dev/null; STDIN="$TMP/flush" timed warm shell; helper_keys >/dev/null
  $SSH -p "$PLAIN_PORT" "$LOGIN@127.0.0.1" true; $SSH -p "$FRONT_PORT" -T "$LOGIN@127.0.0.1" >/dev/null
  $SSH -p "$AOT_PORT" -T "$LOGIN@127.0.0.1" >/dev/null
done

echo "== 1. the two commands, $RUNS runs through serve, $SLOW_RUNS without (interleaved)"
for i in $(seq 1 "$RUNS"); do
  timed help wharf --help
  timed keys_fast keys
  STDIN="$TMP/flush" timed shell_fast shell
  timed helper_keys helper_keys
  STDIN="$TMP/flush" timed helper_shell helper_shell
  STDIN="$TMP/flush" timed upload_pack git-upload-pack "$BARE"
  if [ "$i" -le "$SLOW_RUNS" ]; then
    without_serve
    timed keys_slow keys
    STDIN="$TMP/flush" timed shell_slow shell
    with_serve
  fi
done

echo "== 2. login and git ls-remote: sshd + Wharf vs sshd + authorized_keys, $RUNS of each, interleaved"
export GIT_SSH_COMMAND="$SSH"
for _ in $(seq 1 "$RUNS"); do
  timed login_plain $SSH -p "$PLAIN_PORT" "$LOGIN@127.0.0.1" true
  timed login_front $SSH -p "$FRONT_PORT" -T "$LOGIN@127.0.0.1"
  timed login_aot $SSH -p "$AOT_PORT" -T "$LOGIN@127.0.0.1"
  timed lsremote_plain git ls-remote "ssh://$LOGIN@127.0.0.1:$PLAIN_PORT$TMP/plain.git"
  timed lsremote_front git ls-remote "ssh://$LOGIN@127.0.0.1:$FRONT_PORT/alice/bench.git"
  timed lsremote_aot git ls-remote "ssh://$LOGIN@127.0.0.1:$AOT_PORT/alice/bench.git"
done
without_serve
for _ in $(seq 1 "$SLOW_RUNS"); do
  timed lsremote_slow git ls-remote "ssh://$LOGIN@127.0.0.1:$FRONT_PORT/alice/bench.git"
done
with_serve

echo
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-58s %10s %10s\n' "medians" "wall ms" "CPU ms"
row() { printf '%-58s %10s %10s\n' "$1" "$(col "$2" 1)" "$(col "$2" 2)"; }
row "wharf --help (.NET start-up floor)" help
row "wharf keys authorized, through serve's socket" keys_fast
row "wharf keys authorized, own lookup (serve's socket absent)" keys_slow
row "wharf shell git-upload-pack (advertisement), through serve" shell_fast
row "wharf shell git-upload-pack, own lookup" shell_slow
row "wharf-ssh-helper keys authorized (Native AOT), through serve" helper_keys
row "wharf-ssh-helper shell git-upload-pack, through serve" helper_shell
row "git-upload-pack alone on the same repository" upload_pack
overhead() { awk -v a="$(col "$1" 1)" -v b="$(col upload_pack 1)" 'BEGIN { printf "%.1f", a - b }'; }
printf '%-58s %10s\n' "wharf shell's own overhead through serve (wall)" "$(overhead shell_fast)"
printf '%-58s %10s\n' "wharf-ssh-helper shell's own overhead through serve (wall)" "$(overhead helper_shell)"
echo
printf '%-58s %10s %10s %8s\n' "medians (wall ms)" "sshd+Wharf" "plain sshd" "ratio"
printf '%-58s %10s %10s %8s\n' "login (ssh -T greeting / ssh true)" "$(col login_front 1)" "$(col login_plain 1)" \
  "$(ratio "$(col login_front 1)" "$(col login_plain 1)")"
printf '%-58s %10s %10s %8s\n' "login, wharf-ssh-helper as the commands" "$(col login_aot 1)" "$(col login_plain 1)" \
  "$(ratio "$(col login_aot 1)" "$(col login_plain 1)")"
printf '%-58s %10s %10s %8s\n' "login + git ls-remote" "$(col lsremote_front 1)" "$(col lsremote_plain 1)" \
  "$(ratio "$(col lsremote_front 1)" "$(col lsremote_plain 1)")"
printf '%-58s %10s %10s %8s\n' "login + git ls-remote, wharf-ssh-helper as the commands" "$(col lsremote_aot 1)" "$(col lsremote_plain 1)" \
  "$(ratio "$(col lsremote_aot 1)" "$(col lsremote_plain 1)")"
printf '%-58s %10s %10s %8s\n' "login + git ls-remote, serve's socket absent ($SLOW_RUNS runs)" "$(col lsremote_slow 1)" "$(col lsremote_plain 1)" \
  "$(ratio "$(col lsremote_slow 1)" "$(col lsremote_plain 1)")"
