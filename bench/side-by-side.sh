#!/usr/bin/env bash
# Wharf beside OpenSSH's sshd on the same machine: same client, same keys, and the same repository directory
# served by both, measured in one run so that the ratios are fair on a shared, noisy machine. Every timed step
# alternates the two servers (sshd, wharf, sshd, wharf, ...) so background load falls on both alike; medians.
#
#   sudo bench/side-by-side.sh REPO            # REPO: any git repository (bare or not), or the word "synthetic"
#   WHARF_DLL=/path/to/wharf.dll bench/side-by-side.sh /tmp/git-v2.0.0.git    # skip the publish step
#   LOGIN_RUNS=30 LSREMOTE_RUNS=20 CLONE_RUNS=3 BLOB_MB=256 IDLE_SESSIONS=200 BURST=200 BURST_RUNS=3 (defaults)
#
# REPO is cloned once with `git clone --bare --no-local` (one pack, its refs packed) into Wharf's repository
# directory, and sshd serves that very directory by absolute path: both send the same bytes. "synthetic" makes a
# history first (SYNTH_COMMITS commits of generated text over SYNTH_FILES files, fixed seed). A second
# repository, one incompressible BLOB_MB MiB blob, is the transport-bound case. Both servers are warmed (30 logins per kex,
# ls-remote, two clones of each repository with each clone cipher) before anything is timed.
#
# Reports, each as sshd / wharf / ratio (wharf / sshd; below 1 is better):
#  1. login wall time: `ssh true` (sshd) and `ssh -T` (Wharf's greeting), per key exchange (default
#     sntrup761x25519 and curve25519), chacha20-poly1305, ed25519 keys.
#  2. server CPU per login including git: `git ls-remote` per key exchange; utime+stime+cutime+cstime of Wharf's
#     process and of sshd's listener (which reaps each per-connection sshd, and through it the shell and git).
#  3. bare clone of REPO and of the blob, per cipher: wall time; the server's CPU split into its own and git's
#     (Wharf: utime+stime vs cutime+cstime of its process; sshd: the listener's total minus what a forced-command
#     wrapper around git-upload-pack reports for itself and git through bash's `times`); the client's CPU
#     (git clone + ssh + index-pack, from `times` of a wrapping bash).
#  4. the `file://` floor: `git clone --bare file://...` of the same directory, no SSH.
#  5. idle memory per authenticated session: IDLE_SESSIONS held at once by bench/hold-sessions.py; Wharf's RSS/PSS
#     growth per session beside the PSS of all of sshd's per-connection processes per connection.
#  6. a burst: BURST `git ls-remote` started at once (sshd with MaxStartups raised so it accepts them); wall time
#     until the last one ends, and failures (an exit status or a ref list that differs).
# Loopback only; everything lives in one temp dir, removed on exit.
set -euo pipefail

SRC=${1:?usage: bench/side-by-side.sh REPO|synthetic}
LOGIN_RUNS=${LOGIN_RUNS:-30}
LSREMOTE_RUNS=${LSREMOTE_RUNS:-20}
CLONE_RUNS=${CLONE_RUNS:-3}
BLOB_MB=${BLOB_MB:-256}
IDLE_SESSIONS=${IDLE_SESSIONS:-200}
BURST=${BURST:-200}
BURST_RUNS=${BURST_RUNS:-3}
SYNTH_COMMITS=${SYNTH_COMMITS:-3000}
SYNTH_FILES=${SYNTH_FILES:-1000}
KEX_LIST=${KEX_LIST:-"sntrup761x25519-sha512@openssh.com curve25519-sha256"}
CLONE_CIPHERS=${CLONE_CIPHERS:-"chacha20-poly1305@openssh.com aes128-gcm@openssh.com"}
PARALLEL=${PARALLEL:-100}
PYTHON=${PYTHON:-/usr/bin/python3} # Debian's: python3-asyncssh is installed for it
ROOT=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }
[ "$SRC" = synthetic ] || git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 || { echo "$SRC is not a git repository" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

TMP=$(mktemp -d /tmp/wharf-side-by-side.XXXXXX)
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

RESULTS="$TMP/results.txt"
: >"$RESULTS"
report() { printf '%s\n' "$*" | tee -a "$RESULTS"; }
row() { printf '%-46s %11s %11s %7s\n' "$@" | tee -a "$RESULTS"; }

report "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
report "== $(/usr/sbin/sshd -V 2>&1 | head -1 || true); $(ssh -V 2>&1); $(git --version)"
report "== wharf at $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ' plus uncommitted changes to src')"
report "== start: $(uptime)"

# --- keys: A for everything, B (sshd only) runs git through a wrapper that reports git's CPU --------------------
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/client/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C bench-git -f "$TMP/client/id_git"
export HOME="$TMP/client" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

# --- Wharf --------------------------------------------------------------------------------------------------------
publish_wharf
DATA="$TMP/wharf-data"
wharf admin user create bench --email bench@example.invalid --data "$DATA" >/dev/null
wharf admin key add bench --label bench --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
wharf admin repo create bench/repo --data "$DATA" >/dev/null
wharf admin repo create bench/blob --data "$DATA" >/dev/null
REPO="$DATA/repositories/bench/repo.git"
BLOB="$DATA/repositories/bench/blob.git"
[ -d "$REPO/objects" ] && [ -d "$BLOB/objects" ] || { echo "wharf did not create its repositories" >&2; exit 1; }

# --- the repositories ---------------------------------------------------------------------------------------------
synthesize() { # dir: a history of generated text, deterministic
  git init -q --bare "$1"
  "$PYTHON" - "$SYNTH_COMMITS" "$SYNTH_FILES" <<'PY' | git -C "$1" fast-import --quiet
import random, sys
commits, files = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(16)
words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9))) for _ in range(4000)]
content = {}
out = sys.stdout.buffer
def line():
    return ' '.join(rng.choice(words) for _ in range(rng.randint(3, 12)))
for c in range(commits):
    changed = rng.sample(range(files), 8 if c else files)
    out.write(b'commit refs/heads/main\nmark :%d\n' % (c + 1))
    out.write(b'committer Bench <bench@example.invalid> %d +0000\n' % (1500000000 + c * 600))
    msg = ('change %d: %s\n' % (c, line())).encode()
    out.write(b'data %d\n%s' % (len(msg), msg))
    for f in changed:
        lines = content.get(f) or [line() for _ in range(rng.randint(20, 200))]
        for _ in range(rng.randint(1, 6)):
            lines.insert(rng.randrange(len(lines) + 1), line())
        content[f] = lines
        body = ('\n'.join(lines) + '\n').encode()
        out.write(b'M 100644 inline src/d%02d/f%04d.txt\ndata %d\n%s\n' % (f % 50, f, len(body), body))
    if c % 500 == 499:
        out.write(b'tag v%d\nfrom :%d\ntagger Bench <bench@example.invalid> %d +0000\ndata 4\nrel\n' % (c // 500, c + 1, 1500000000 + c * 600))
PY
  git -C "$1" symbolic-ref HEAD refs/heads/main
}
if [ "$SRC" = synthetic ]; then
  echo "== making a synthetic history: $SYNTH_COMMITS commits over $SYNTH_FILES files"
  synthesize "$TMP/synthetic.git"
  SRC="$TMP/synthetic.git"; SRC_NAME="synthetic ($SYNTH_COMMITS commits over $SYNTH_FILES files of generated text, seed 16)"
else
  SRC_NAME=$SRC
fi
echo "== laying $SRC_NAME into both servers' directory"
lay "$SRC" "$REPO"
git -C "$REPO" fsck --connectivity-only --no-dangling --no-progress >/dev/null
echo "== making one incompressible ${BLOB_MB} MiB blob"
blob_repo "$TMP/blobwork" "$BLOB_MB"
lay "$TMP/blobwork" "$BLOB"
rm -rf "$TMP/blobwork"
report "== REPO: $SRC_NAME; HEAD $(git -C "$REPO" rev-parse HEAD); $(git -C "$REPO" rev-list --count HEAD) commits; $(git -C "$REPO" count-objects -v | awk '$1 == "in-pack:" { print $2 }') objects; pack $(pack_bytes "$REPO") bytes; $(git -C "$REPO" for-each-ref | wc -l) refs"
report "== BLOB: one ${BLOB_MB} MiB blob from /dev/urandom; pack $(pack_bytes "$BLOB") bytes"

# --- both servers -------------------------------------------------------------------------------------------------
WHARF_PORT=$(free_port); start_wharf wharf "$DATA" "$WHARF_PORT"; PIDS+=("$wharf_TIMEOUT_PID"); WHARF_PID=$wharf_PID
cat >"$TMP/git-wrap.sh" <<WRAP
#!/bin/bash
# sshd's forced command for key B: runs the client's command (git-upload-pack '...') as a child, then appends
# bash's \`times\` (its own CPU, then its reaped children's: git and everything git ran) for the benchmark.
eval "\$SSH_ORIGINAL_COMMAND"
rc=\$?
times >>"$TMP/git-times"
exit \$rc
WRAP
chmod 755 "$TMP/git-wrap.sh"
{ cat "$TMP/client/id_ed25519.pub"; echo "command=\"$TMP/git-wrap.sh\" $(cat "$TMP/client/id_git.pub")"; } >"$TMP/authorized_keys"
SSHD_PORT=$(free_port)
# MaxStartups raised so that sshd accepts the burst instead of dropping connections at random (its default 10:30:100);
# LoginGraceTime as Wharf's default (Ssh:LoginGraceTime, 60 s; sshd's own is 120 s), so that on an overloaded machine
# both give up on a slow login at the same point.
start_sshd sshd "$SSHD_PORT" "$TMP/authorized_keys" "MaxStartups $((BURST * 2)):30:$((BURST * 2 + IDLE_SESSIONS + 100))
LoginGraceTime 60"
PIDS+=("$sshd_PID"); SSHD_PID=$sshd_PID
ME=$(id -un)

SSH_BASE=(-F /dev/null -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostKeyAlgorithms=ssh-ed25519)
KEY_A=(-i "$TMP/client/id_ed25519"); KEY_B=(-i "$TMP/client/id_git")
ssh_sshd() { ssh "${SSH_BASE[@]}" "${KEY_A[@]}" "$@" -p "$SSHD_PORT" "$ME@127.0.0.1" true; }
ssh_wharf() { ssh "${SSH_BASE[@]}" "${KEY_A[@]}" "$@" -T -p "$WHARF_PORT" git@127.0.0.1 >/dev/null 2>&1; }
# git's ssh command and URL for a server: server key(A|B: sshd's wrapped git; Wharf knows only A) ssh-options... -> sets GIT_SSH_COMMAND and URL_repo, URL_blob
use() {
  local server=$1 key=$2; shift 2
  local k="${KEY_A[*]}"
  if [ "$server" = sshd ]; then
    [ "$key" = B ] && k="${KEY_B[*]}"
    export GIT_SSH_COMMAND="ssh ${SSH_BASE[*]} $k $* -p $SSHD_PORT"
    URL_repo="$ME@127.0.0.1:$REPO"; URL_blob="$ME@127.0.0.1:$BLOB"
  else
    export GIT_SSH_COMMAND="ssh ${SSH_BASE[*]} $k $*"
    URL_repo="ssh://git@127.0.0.1:$WHARF_PORT/bench/repo.git"; URL_blob="ssh://git@127.0.0.1:$WHARF_PORT/bench/blob.git"
  fi
}
# Own CPU (utime+stime) and children's (cutime+cstime) of a process, in ticks.
own_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
child_ticks() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$1/stat"; }
settle() { # pid: wait (at most 10 s) until it has reaped every child, so its counters are final
  local i
  for i in $(seq 1 100); do [ -z "$(pgrep -P "$1" || true)" ] && return 0; sleep 0.1; done
  echo "warning: process $1 still has children after 10 s" >&2
}
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
secs() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1e6 }'; }
tsecs() { awk -v t="$1" -v k="$TCK" 'BEGIN { printf "%.2f", t / k }'; }
# bash `times` lines (0m1.234s 0m0.567s) -> seconds on line N (1: the shell itself, 2: its children)
times_line() { awk -v n="$1" 'NR == n { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } printf "%.3f\n", s }'; }

ssh_sshd || { echo "ssh to sshd failed"; cat "$TMP/sshd.log"; exit 1; }
ssh "${SSH_BASE[@]}" "${KEY_A[@]}" -T -p "$WHARF_PORT" git@127.0.0.1 2>&1 | head -2 | sed 's/^/   wharf says: /'
EXPECT_REFS=$(git ls-remote "$REPO" | sort)

# --- warm both: 30 logins per kex, ls-remote, two clones of each repository per cipher (JIT, page cache) -------------
echo "== warming both servers"
for s in sshd wharf; do
  # 30 logins per key exchange, as bench/login-cpu.sh warms: the JIT's later tiers recompile a login's hot code
  # (sntrup761 above all) during its first few dozen runs, which would otherwise land in the measured ones.
  for kex in $KEX_LIST; do for i in $(seq 1 30); do "ssh_$s" -o KexAlgorithms="$kex"; done; done
  use "$s" A; git ls-remote "$URL_repo" >/dev/null
  # Every cipher the clones use, twice: each cipher is its own code path, and a path run once is still being
  # recompiled by the JIT's later tiers on its next runs, which would land in the first measured clones.
  for r in repo blob; do
    for cipher in $CLONE_CIPHERS $CLONE_CIPHERS; do
      u="URL_$r"; use "$s" A -c "$cipher"; rm -rf "$TMP/clone.git"; git clone -q --bare "${!u}" "$TMP/clone.git"
    done
  done
done
rm -rf "$TMP/clone.git"; git clone -q --bare "file://$REPO" "$TMP/clone.git"

# --- 1 + 2: logins and server CPU per login with git ----------------------------------------------------------------
report ""
report "1. login wall time, ms: median of $LOGIN_RUNS each, interleaved; ed25519 keys, chacha20-poly1305"
report "2. server CPU per login with git, ms: $LSREMOTE_RUNS git ls-remote each, interleaved; (listener + reaped children) / runs"
row "" sshd wharf ratio
for kex in $KEX_LIST; do
  opts=(-o "KexAlgorithms=$kex" -c chacha20-poly1305@openssh.com)
  k=${kex%%x25519-sha512@openssh.com}; k=${k%%-sha256}
  : >"$TMP/t-sshd"; : >"$TMP/t-wharf"
  for i in $(seq 1 "$LOGIN_RUNS"); do
    t0=$(now_ns); ssh_sshd "${opts[@]}"; t1=$(now_ns); echo $(((t1 - t0) / 1000)) >>"$TMP/t-sshd"
    t0=$(now_ns); ssh_wharf "${opts[@]}"; t1=$(now_ns); echo $(((t1 - t0) / 1000)) >>"$TMP/t-wharf"
  done
  a=$(median <"$TMP/t-sshd"); b=$(median <"$TMP/t-wharf")
  row "login wall ms, $k" "$(ms "$a")" "$(ms "$b")" "$(ratio "$b" "$a")"
  : >"$TMP/l-sshd"; : >"$TMP/l-wharf"
  settle "$SSHD_PID"; sleep 0.3; s0=$(cpu_ticks "$SSHD_PID"); w0=$(cpu_ticks "$WHARF_PID")
  for i in $(seq 1 "$LSREMOTE_RUNS"); do
    for s in sshd wharf; do
      use "$s" A "${opts[@]}"
      t0=$(now_ns); out=$(git ls-remote "$URL_repo" | sort); t1=$(now_ns)
      [ "$out" = "$EXPECT_REFS" ] || { echo "ls-remote from $s lists other refs" >&2; exit 1; }
      echo $(((t1 - t0) / 1000)) >>"$TMP/l-$s"
    done
  done
  settle "$SSHD_PID"; settle "$WHARF_PID"; sleep 0.3
  cs=$(awk -v t=$(($(cpu_ticks "$SSHD_PID") - s0)) -v n="$LSREMOTE_RUNS" -v k="$TCK" 'BEGIN { printf "%.1f", t * 1000 / k / n }')
  cw=$(awk -v t=$(($(cpu_ticks "$WHARF_PID") - w0)) -v n="$LSREMOTE_RUNS" -v k="$TCK" 'BEGIN { printf "%.1f", t * 1000 / k / n }')
  a=$(median <"$TMP/l-sshd"); b=$(median <"$TMP/l-wharf")
  row "ls-remote wall ms, $k" "$(ms "$a")" "$(ms "$b")" "$(ratio "$b" "$a")"
  row "server CPU ms per ls-remote (with git), $k" "$cs" "$cw" "$(ratio "$cw" "$cs")"
done

# --- 3 + 4: clones, server CPU per clone, and the file:// floor -------------------------------------------------------
med() { median <"$1" | awk '{ printf "%.2f", $1 }'; }
clone_once() { # server(sshd|wharf|file) repo(repo|blob) cipher -> appends wall us, client CPU s, server own/git CPU ticks
  local server=$1 r=$2 cipher=${3:-} url src t0 t1 o0 c0 own git client ticks wrap
  src=$REPO; [ "$r" = blob ] && src=$BLOB
  rm -rf "$TMP/clone.git"
  if [ "$server" = file ]; then
    url="file://$src"
  else
    use "$server" B -c "$cipher"; url="URL_$r"; url=${!url}
  fi
  [ "$server" = sshd ] && { settle "$SSHD_PID"; o0=$(cpu_ticks "$SSHD_PID"); : >"$TMP/git-times"; }
  [ "$server" = wharf ] && { o0=$(own_ticks "$WHARF_PID"); c0=$(child_ticks "$WHARF_PID"); }
  t0=$(now_ns)
  client=$(bash -c 'git clone -q --bare "$0" "$1" && times' "$url" "$TMP/clone.git" | times_line 2)
  t1=$(now_ns)
  [ "$(git -C "$TMP/clone.git" for-each-ref --format='%(objectname) %(refname)' | sort)" = \
    "$(git -C "$src" for-each-ref --format='%(objectname) %(refname)' | sort)" ] || { echo "clone from $server has other refs" >&2; exit 1; }
  echo $(((t1 - t0) / 1000)) >>"$TMP/c-$server"
  echo "$client" >>"$TMP/cc-$server"
  case $server in
    sshd)
      settle "$SSHD_PID"
      wrap=$(cat "$TMP/git-times")
      ticks=$(($(cpu_ticks "$SSHD_PID") - o0))
      git=$(printf '%s\n' "$wrap" | times_line 2); own=$(printf '%s\n' "$wrap" | times_line 1)
      # sshd's own = the listener's total minus the wrapper bash and git (both reaped through it).
      awk -v t="$ticks" -v k="$TCK" -v g="$git" -v w="$own" 'BEGIN { printf "%.3f\n", t / k - g - w }' >>"$TMP/so-$server"
      echo "$git" >>"$TMP/sg-$server" ;;
    wharf)
      settle "$WHARF_PID"
      awk -v t=$(($(own_ticks "$WHARF_PID") - o0)) -v k="$TCK" 'BEGIN { printf "%.3f\n", t / k }' >>"$TMP/so-$server"
      awk -v t=$(($(child_ticks "$WHARF_PID") - c0)) -v k="$TCK" 'BEGIN { printf "%.3f\n", t / k }' >>"$TMP/sg-$server" ;;
  esac
}
declare -A FLOOR
for r in repo blob; do
  report ""
  if [ "$r" = repo ]; then report "3. git clone --bare of REPO, $CLONE_RUNS runs each per cipher, interleaved, median"
  else report "3. transport-bound: git clone --bare of BLOB (${BLOB_MB} MiB incompressible), $CLONE_RUNS runs each per cipher, interleaved, median"; fi
  : >"$TMP/c-file"; : >"$TMP/cc-file"
  first=1
  for cipher in $CLONE_CIPHERS; do
    for f in c cc so sg; do : >"$TMP/$f-sshd"; : >"$TMP/$f-wharf"; done
    # The floor is interleaved with the first cipher's runs (file://, sshd, wharf, file://, ...).
    for i in $(seq 1 "$CLONE_RUNS"); do
      [ -n "$first" ] && clone_once file "$r"
      clone_once sshd "$r" "$cipher"; clone_once wharf "$r" "$cipher"
    done
    if [ -n "$first" ]; then
      first=""; FLOOR[$r]=$(median <"$TMP/c-file" | awk '{ printf "%.0f", $1 }')
      report "4. file:// floor (git clone --bare file://, no SSH, same directory): $(secs "${FLOOR[$r]}") s wall, $(med "$TMP/cc-file") s CPU (clone, upload-pack, pack-objects, index-pack)"
      row "" sshd wharf ratio
    fi
    # Whole microseconds: with an even number of runs the median is a mean of two.
    a=$(median <"$TMP/c-sshd" | awk '{ printf "%.0f", $1 }'); b=$(median <"$TMP/c-wharf" | awk '{ printf "%.0f", $1 }')
    row "${cipher%%@openssh.com} wall s" "$(secs "$a")" "$(secs "$b")" "$(ratio "$b" "$a")"
    row "  over the file:// floor, s" "$(secs $((a - FLOOR[$r])))" "$(secs $((b - FLOOR[$r])))" "$(ratio $((b - FLOOR[$r])) $((a - FLOOR[$r])))"
    a=$(med "$TMP/so-sshd"); b=$(med "$TMP/so-wharf")
    row "  server CPU s without git" "$a" "$b" "$(ratio "$b" "$a")"
    a=$(med "$TMP/sg-sshd"); b=$(med "$TMP/sg-wharf")
    row "  git's CPU s (upload-pack, pack-objects)" "$a" "$b" "$(ratio "$b" "$a")"
    a=$(med "$TMP/cc-sshd"); b=$(med "$TMP/cc-wharf")
    row "  client CPU s (clone, ssh, index-pack)" "$a" "$b" "$(ratio "$b" "$a")"
    report "   raw wall us sshd: $(tr '\n' ' ' <"$TMP/c-sshd")  wharf: $(tr '\n' ' ' <"$TMP/c-wharf")"
  done
done

# --- 5: idle memory per authenticated session ---------------------------------------------------------------------------
report ""
report "5. idle memory per authenticated session, KiB: $IDLE_SESSIONS held at once (bench/hold-sessions.py, curve25519)"
sleep 2
base_rss=$(rss_kib "$WHARF_PID"); base_pss=$(pss_kib "$WHARF_PID")
hold wharf-idle "$WHARF_PORT" git "$IDLE_SESSIONS" 0 ""
sleep 2
held_rss=$(rss_kib "$WHARF_PID"); held_pss=$(pss_kib "$WHARF_PID")
release wharf-idle || FAILED=1
hold sshd-idle "$SSHD_PORT" "$ME" "$IDLE_SESSIONS" 0 ""
sleep 2
sshd_rss=0; sshd_pss=0; nproc_sshd=0
for p in $(descendants "$SSHD_PID"); do
  nproc_sshd=$((nproc_sshd + 1))
  sshd_rss=$((sshd_rss + $(rss_kib "$p" 2>/dev/null || echo 0))); sshd_pss=$((sshd_pss + $(pss_kib "$p" 2>/dev/null || echo 0)))
done
release sshd-idle || FAILED=1
w=$(awk -v a="$held_pss" -v b="$base_pss" -v n="$IDLE_SESSIONS" 'BEGIN { printf "%.1f", (a - b) / n }')
s=$(awk -v a="$sshd_pss" -v n="$IDLE_SESSIONS" 'BEGIN { printf "%.1f", a / n }')
row "" sshd wharf ratio
row "PSS per session" "$s" "$w" "$(ratio "$w" "$s")"
row "RSS per session" "$(awk -v a="$sshd_rss" -v n="$IDLE_SESSIONS" 'BEGIN { printf "%.1f", a / n }')" \
  "$(awk -v a="$held_rss" -v b="$base_rss" -v n="$IDLE_SESSIONS" 'BEGIN { printf "%.1f", (a - b) / n }')" ""
report "   (wharf: growth of its one process, $base_rss -> $held_rss KiB RSS; sshd: $nproc_sshd per-connection processes summed)"

# --- 6: a burst of git ls-remote ------------------------------------------------------------------------------------
report ""
report "6. burst: $BURST git ls-remote started at once (default kex, chacha20-poly1305), $BURST_RUNS runs each, interleaved"
burst() { # server -> appends wall us and failures
  local i t0 t1 fail=0
  use "$1" A
  t0=$(now_ns)
  # Each one records its own exit status: with hundreds of jobs, bash forgets some statuses before `wait PID` asks.
  local jobs=()
  for i in $(seq 1 "$BURST"); do
    (git ls-remote "$URL_repo" >"$TMP/b-$i.out" 2>"$TMP/b-$i.err"; echo $? >"$TMP/b-$i.rc") &
    jobs+=($!)
  done
  # Only these: a bare `wait` would also wait for sshd and wharf serve, which this shell started, and never return.
  wait "${jobs[@]}"
  t1=$(now_ns)
  for i in $(seq 1 "$BURST"); do
    if [ "$(cat "$TMP/b-$i.rc")" != 0 ] || [ "$(sort "$TMP/b-$i.out")" != "$EXPECT_REFS" ]; then fail=$((fail + 1)); fi
  done
  if [ "$fail" != 0 ]; then
    FAILED=1
    echo "   $1: $fail failed; what the clients said, most frequent first:"
    cat "$TMP"/b-*.err | sort | uniq -c | sort -rn | head -4 | sed 's/^/     /'
    [ "$1" = wharf ] && grep -iE 'grace|refus|timed? ?out|too many' "$TMP/wharf.log" | sed 's/^.*\] //' | sort | uniq -c | sort -rn | head -3 | sed 's/^/     wharf log: /'
  fi
  echo $(((t1 - t0) / 1000)) >>"$TMP/bt-$1"; echo "$fail" >>"$TMP/bf-$1"
  rm -f "$TMP"/b-*.out "$TMP"/b-*.err "$TMP"/b-*.rc
}
: >"$TMP/bt-sshd"; : >"$TMP/bt-wharf"; : >"$TMP/bf-sshd"; : >"$TMP/bf-wharf"
for i in $(seq 1 "$BURST_RUNS"); do burst sshd; settle "$SSHD_PID"; burst wharf; settle "$WHARF_PID"; done
a=$(median <"$TMP/bt-sshd"); b=$(median <"$TMP/bt-wharf")
row "" sshd wharf ratio
row "burst wall s" "$(secs "$a")" "$(secs "$b")" "$(ratio "$b" "$a")"
row "failed ls-remote, all runs" "$(awk '{ s += $1 } END { print s + 0 }' "$TMP/bf-sshd")" "$(awk '{ s += $1 } END { print s + 0 }' "$TMP/bf-wharf")" ""
report "   raw wall us sshd: $(tr '\n' ' ' <"$TMP/bt-sshd")  wharf: $(tr '\n' ' ' <"$TMP/bt-wharf")"

report ""
report "== end: $(uptime)"
report "ratio = wharf / sshd: below 1 is better."
[ -n "${RESULTS_OUT:-}" ] && cp "$RESULTS" "$RESULTS_OUT"
[ -z "${FAILED:-}" ] || { echo "FAILURES above" >&2; exit 1; }
exit 0
