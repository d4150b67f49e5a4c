#!/usr/bin/env bash
# Many concurrent SSH sessions on one Wharf node, and what an idle one costs beside sshd (issue 6, point 5).
#
#   sudo bench/sessions.sh                          # publishes Wharf.Server (Release) first
#   WHARF_DLL=/path/to/wharf.dll SESSIONS=1000 SSHD_SESSIONS=1000 bench/sessions.sh
#
# (1) memory: SESSIONS idle authenticated connections to `wharf serve`, held at once by one asyncssh process
#     (bench/hold-sessions.py); Wharf's resident memory before and while they are held, per session.
# (2) the mix, zero failures: SESSIONS concurrent sessions again, GIT_HELD of them `git-upload-pack` runs
#     that read the ref advertisement and wait, the rest idle; while all are held, LS_REMOTES real
#     `git ls-remote` processes at once. Every login, every advertisement and every exit status must be right.
# (3) sshd: SSHD_SESSIONS idle authenticated connections to Debian's sshd (private port and config, MaxStartups
#     raised so it does not drop the ramp); resident memory (RSS and PSS) of all its per-connection processes,
#     per connection. sshd forks two processes per connection (monitor and session child).
# Logins ramp PARALLEL handshakes at a time. Loopback; one temp dir, removed on exit.
set -euo pipefail

SESSIONS=${SESSIONS:-1000}
SSHD_SESSIONS=${SSHD_SESSIONS:-$SESSIONS}
GIT_HELD=${GIT_HELD:-200}
LS_REMOTES=${LS_REMOTES:-100}
PARALLEL=${PARALLEL:-100}
# Debian's interpreter: python3-asyncssh is installed for it, not for a pyenv or venv python on PATH.
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }
# Each held connection is a socket in the client and in the server, and a held git run three pipes: raise the
# soft limit on open files to the hard one (65536 where allowed; a container may cap the hard limit lower).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((SESSIONS * 4 + 1000)) ] ||
  { echo "open files limit $(ulimit -n) is too low for $SESSIONS sessions" >&2; exit 2; }

TMP=$(mktemp -d /tmp/wharf-sessions.XXXXXX)
. "$ROOT/bench/lib.sh"
install_missing sshd:openssh-server ssh:openssh-client git:git python3:python3
"$PYTHON" -c 'import asyncssh' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-asyncssh >/dev/null
PIDS=()
cleanup() {
  set +e
  [ -n "${HOLD_PID:-}" ] && kill "$HOLD_PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "== $(/usr/sbin/sshd -V 2>&1 | head -1 || true); asyncssh $("$PYTHON" -c 'import asyncssh; print(asyncssh.__version__)'); $(git --version)"
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/client/id_ed25519"
export HOME="$TMP/client" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
publish_wharf

DATA="$TMP/wharf-data"
wharf admin user create bench --email bench@example.invalid --data "$DATA" >/dev/null
wharf admin key add bench --label bench --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
wharf admin repo create bench/r --data "$DATA" >/dev/null
REPO="$DATA/repositories/bench/r.git"
git init -q -b main "$TMP/work"
for i in $(seq 1 20); do echo "branch $i" >"$TMP/work/f"; git -C "$TMP/work" add f
  git -C "$TMP/work" -c user.name=b -c user.email=b@example.invalid commit -q -m "$i"; git -C "$TMP/work" branch "b$i"; done
git -C "$TMP/work" push -q "$REPO" --all
WHARF_PORT=$(free_port); start_wharf wharf "$DATA" "$WHARF_PORT"; PIDS+=("$wharf_TIMEOUT_PID")

SSH_COMMON=(-F /dev/null -i "$TMP/client/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes -o KexAlgorithms=curve25519-sha256
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostKeyAlgorithms=ssh-ed25519)
export GIT_SSH_COMMAND="ssh ${SSH_COMMON[*]}"

open_metric() { curl -fsS "$wharf_HTTP/metrics" | awk '$1 == "wharf_ssh_connections_open" { print $2 }'; }

# --- (1) Wharf: memory per idle authenticated session --------------------------------------------------------------
for i in $(seq 1 20); do ssh "${SSH_COMMON[@]}" -T -p "$WHARF_PORT" git@127.0.0.1 >/dev/null 2>&1; done
git ls-remote "ssh://git@127.0.0.1:$WHARF_PORT/bench/r.git" >/dev/null
sleep 2
base_rss=$(rss_kib "$wharf_PID"); base_pss=$(pss_kib "$wharf_PID")
echo "== (1) $SESSIONS idle authenticated sessions to wharf"
hold wharf-idle "$WHARF_PORT" git "$SESSIONS" 0 ""
sleep 2
held_rss=$(rss_kib "$wharf_PID"); held_pss=$(pss_kib "$wharf_PID"); held_open=$(open_metric)
release wharf-idle || FAILED=1

# --- (2) Wharf: the mix, zero failures ------------------------------------------------------------------------------
echo "== (2) $SESSIONS concurrent sessions to wharf: $GIT_HELD upload-pack held, $((SESSIONS - GIT_HELD)) idle; then $LS_REMOTES git ls-remote at once"
hold wharf-mix "$WHARF_PORT" git $((SESSIONS - GIT_HELD)) "$GIT_HELD" "/bench/r.git"
mix_open=$(open_metric)
ls_fail=0; LS_PIDS=()
for i in $(seq 1 "$LS_REMOTES"); do
  git ls-remote "ssh://git@127.0.0.1:$WHARF_PORT/bench/r.git" >"$TMP/ls-$i.out" 2>"$TMP/ls-$i.err" &
  LS_PIDS+=($!)
done
peak=$(open_metric)
for p in "${LS_PIDS[@]}"; do wait "$p" || true; done
for i in $(seq 1 "$LS_REMOTES"); do
  [ "$(grep -c refs/heads/ "$TMP/ls-$i.out" || true)" = 21 ] || { ls_fail=$((ls_fail + 1)); head -3 "$TMP/ls-$i.err" >&2; }
done
echo "   $LS_REMOTES git ls-remote while held: $((LS_REMOTES - ls_fail)) listed all 21 branches, $ls_fail failed"
echo "   wharf_ssh_connections_open: $mix_open with everything held, $peak while the ls-remotes started"
release wharf-mix || FAILED=1
[ "$ls_fail" = 0 ] || FAILED=1
refused=$(curl -fsS "$wharf_HTTP/metrics" | awk '$1 == "wharf_ssh_connections_refused_total" { print $2 }')
echo "   wharf_ssh_connections_refused_total: $refused"

# --- (3) sshd: memory per idle authenticated connection --------------------------------------------------------------
SSHD_PORT=$(free_port)
cp "$TMP/client/id_ed25519.pub" "$TMP/authorized_keys"
start_sshd sshd "$SSHD_PORT" "$TMP/authorized_keys" "MaxStartups $((PARALLEL * 2)):30:$((SSHD_SESSIONS + PARALLEL * 2))"
PIDS+=("$sshd_PID")
ssh "${SSH_COMMON[@]}" -p "$SSHD_PORT" "$(id -un)@127.0.0.1" true
echo "== (3) $SSHD_SESSIONS idle authenticated connections to sshd"
listener_rss=$(rss_kib "$sshd_PID")
hold sshd-idle "$SSHD_PORT" "$(id -un)" "$SSHD_SESSIONS" 0 ""
sleep 2
children=$(descendants "$sshd_PID")
nproc_sshd=$(echo "$children" | grep -c . || true)
sshd_rss=0; sshd_pss=0
for p in $children; do
  sshd_rss=$((sshd_rss + $(rss_kib "$p" 2>/dev/null || echo 0))); sshd_pss=$((sshd_pss + $(pss_kib "$p" 2>/dev/null || echo 0)))
done
release sshd-idle || FAILED=1

echo ""
echo "memory per idle authenticated session (KiB)"
printf '%-58s %12s %12s\n' "" "RSS" "PSS"
printf '%-58s %12s %12s\n' "wharf process before ($base_rss KiB RSS)" "" ""
printf '%-58s %12s %12s\n' "wharf process with $SESSIONS held (open: $held_open)" "$held_rss" "$held_pss"
printf '%-58s %12s %12s\n' "wharf, per session: (held - before) / $SESSIONS" \
  "$(awk -v a="$held_rss" -v b="$base_rss" -v n="$SESSIONS" 'BEGIN { printf "%.1f", (a - b) / n }')" \
  "$(awk -v a="$held_pss" -v b="$base_pss" -v n="$SESSIONS" 'BEGIN { printf "%.1f", (a - b) / n }')"
printf '%-58s %12s %12s\n' "sshd: $nproc_sshd per-connection processes for $SSHD_SESSIONS connections" "$sshd_rss" "$sshd_pss"
printf '%-58s %12s %12s\n' "sshd, per connection: sum / $SSHD_SESSIONS" \
  "$(awk -v a="$sshd_rss" -v n="$SSHD_SESSIONS" 'BEGIN { printf "%.1f", a / n }')" \
  "$(awk -v a="$sshd_pss" -v n="$SSHD_SESSIONS" 'BEGIN { printf "%.1f", a / n }')"
echo "(sshd listener itself: $listener_rss KiB RSS, not counted)"
[ -z "${FAILED:-}" ] || { echo "FAILURES above" >&2; exit 1; }
echo "zero failures"
