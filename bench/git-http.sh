#!/usr/bin/env bash
# git clone over Wharf's smart HTTP beside the two servers git ships: `git http-backend` run as a CGI program by
# Debian's lighttpd (mod_cgi), and `git daemon` (git://), all on loopback and all serving the same bare repository
# directory (Wharf's own copy of it, so the bytes are the same). Wharf is cloned twice: anonymously (the repository
# is public) and with HTTP Basic and an API token, as CI does. Runs are interleaved (daemon, http-backend, wharf,
# wharf with token, daemon, ...) so background load falls on all alike; medians reported, with the ratio of Wharf's
# time to each of the others (above 1.00: slower) and the server CPU per clone (utime+stime of the server process
# and of the children it reaped: the git programs it ran).
#
#   bench/git-http.sh                                  # this repository's history, 11 runs (installs lighttpd if missing)
#   REPO_SOURCE=/path/to/any/repository RUNS=5 bench/git-http.sh
#   WHARF_DLL=/path/to/wharf.dll bench/git-http.sh     # skip the publish step
#   BASE_DLL=/path/to/other/wharf.dll bench/git-http.sh  # also an older build ("base"), on a copy of the same data,
#                                                        # interleaved with the rest: before/after on one machine state
set -euo pipefail

RUNS=${RUNS:-11}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPO_SOURCE=${REPO_SOURCE:-$ROOT}

TMP=$(mktemp -d /tmp/wharf-bench-git-http.XXXXXX)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
install_missing git:git lighttpd:lighttpd
BACKEND=$(git --exec-path)/git-http-backend
DAEMON=$(git --exec-path)/git-daemon
[ -x "$BACKEND" ] && [ -x "$DAEMON" ] || { echo "git-http-backend or git-daemon missing from $(git --exec-path)" >&2; exit 1; }
publish_wharf

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(git --version); $(lighttpd -v 2>&1 | head -1)"
export HOME="$TMP/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
mkdir -p "$HOME"

echo "== setting up: alice, a token, the public repository alice/bench holding $REPO_SOURCE's refs in one pack"
DATA="$TMP/data"
mkdir -p "$DATA"
wharf admin user create alice --email alice@example.org --data "$DATA" >/dev/null
TOKEN=$(wharf admin token create alice --name bench --scopes repository:read --data "$DATA" | tail -1)
wharf admin repo create alice/bench --public --data "$DATA" >/dev/null
REPO="$DATA/repositories/alice/bench.git"
[ -d "$REPO/objects" ] || { echo "wharf did not create $REPO" >&2; exit 1; }
git clone -q --bare "$REPO_SOURCE" "$TMP/source.git"
# One pack with a bitmap, as a maintained server repository has.
git -C "$TMP/source.git" repack -q -a -d --write-bitmap-index
cp "$TMP/source.git"/objects/pack/* "$REPO/objects/pack/"
git -C "$TMP/source.git" for-each-ref --format='create %(refname) %(objectname)' | git -C "$REPO" update-ref --stdin
git -C "$REPO" pack-refs --all
git -C "$REPO" symbolic-ref HEAD "$(git -C "$TMP/source.git" symbolic-ref HEAD)"
REFS=$(git -C "$REPO" for-each-ref --format='%(objectname) %(refname)' | sha256sum | cut -d' ' -f1)
PACK_BYTES=$(du -cb "$REPO"/objects/pack/*.pack | tail -1 | cut -f1)
echo "   $(git -C "$REPO" for-each-ref | wc -l) refs, $(git -C "$REPO" rev-list --all | wc -l) commits, pack $PACK_BYTES bytes"

# Wharf: its HTTP port; the SSH port is unused here.
if [ -n "${BASE_DLL:-}" ]; then
  # The other build serves a copy of the same data directory (same token, same pack), from its own process.
  cp -a "$DATA" "$TMP/data-base"
  NEW_DLL=$WHARF_DLL
  WHARF_DLL=$BASE_DLL start_wharf BASE "$TMP/data-base" "$(free_port)"
  WHARF_DLL=$NEW_DLL
  PIDS+=("$BASE_TIMEOUT_PID")
  wait_port "${BASE_HTTP##*:}" 60
fi
start_wharf WHARF "$DATA" "$(free_port)"
PIDS+=("$WHARF_TIMEOUT_PID")
wait_port "${WHARF_HTTP##*:}" 60   # start_wharf waits for the SSH port only

# git http-backend under lighttpd's mod_cgi, as git-http-backend(1) shows for lighttpd: every repository under
# GIT_PROJECT_ROOT exported, the request and response bodies streamed (not buffered whole).
LIGHTTPD_PORT=$(free_port)
mkdir -p "$TMP/www" "$TMP/lighttpd-uploads"
cat >"$TMP/lighttpd.conf" <<CONF
server.modules = ("mod_alias", "mod_setenv", "mod_cgi")
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $LIGHTTPD_PORT
server.errorlog = "$TMP/lighttpd.log"
server.upload-dirs = ("$TMP/lighttpd-uploads")
server.stream-request-body = 1
server.stream-response-body = 1
alias.url = ("/git" => "$BACKEND")
\$HTTP["url"] =~ "^/git" {
  cgi.assign = ("" => "")
  setenv.add-environment = ("GIT_PROJECT_ROOT" => "$DATA/repositories", "GIT_HTTP_EXPORT_ALL" => "")
}
CONF
lighttpd -tt -f "$TMP/lighttpd.conf" >/dev/null
lighttpd -D -f "$TMP/lighttpd.conf" &
LIGHTTPD_PID=$!
PIDS+=("$LIGHTTPD_PID")
wait_port "$LIGHTTPD_PORT" 20

# git daemon: its own program (not the `git` wrapper, which would hold the children's CPU until it exits).
DAEMON_PORT=$(free_port)
"$DAEMON" --reuseaddr --listen=127.0.0.1 --port="$DAEMON_PORT" --base-path="$DATA/repositories" --export-all \
  --log-destination=none &
DAEMON_PID=$!
PIDS+=("$DAEMON_PID")
wait_port "$DAEMON_PORT" 20

BASIC="Authorization: Basic $(printf 'alice:%s' "$TOKEN" | base64 -w0)"
url() {
  case "$1" in
    daemon) echo "git://127.0.0.1:$DAEMON_PORT/alice/bench.git" ;;
    backend) echo "http://127.0.0.1:$LIGHTTPD_PORT/git/alice/bench.git" ;;
    wharf|wharf_token) echo "$WHARF_HTTP/alice/bench.git" ;;
    base|base_token) echo "$BASE_HTTP/alice/bench.git" ;;
  esac
}
server_pid() { case "$1" in daemon) echo "$DAEMON_PID" ;; backend) echo "$LIGHTTPD_PID" ;; base*) echo "$BASE_PID" ;; *) echo "$WHARF_PID" ;; esac; }
git_for() { # target, git arguments...
  local target=$1; shift
  case "$target" in *_token) git -c http.extraHeader="$BASIC" "$@" ;; *) git "$@" ;; esac
}
TARGETS="daemon backend wharf wharf_token"
[ -z "${BASE_DLL:-}" ] || TARGETS="$TARGETS base base_token"

echo "== protocol check (ls-remote with GIT_TRACE_PACKET): every server must answer in version 2"
for t in $TARGETS; do
  v=$(GIT_TRACE_PACKET=1 git_for "$t" ls-remote "$(url "$t")" 2>&1 >/dev/null | grep -c '< version 2' || true)
  [ "$v" -ge 1 ] || { echo "$t did not answer in protocol version 2" >&2; exit 1; }
done

clone_once() { # target: one bare clone, checked; prints "target seconds cpu_ticks"
  local t=$1 pid t0 t1 c0 c1 dest="$TMP/clone-$1"
  rm -rf "$dest"
  pid=$(server_pid "$t")
  c0=$(cpu_ticks "$pid")
  t0=$(now_ns)
  git_for "$t" clone -q --bare "$(url "$t")" "$dest"
  t1=$(now_ns)
  c1=$(cpu_ticks "$pid")
  [ "$(git -C "$dest" for-each-ref --format='%(objectname) %(refname)' | sha256sum | cut -d' ' -f1)" = "$REFS" ] \
    || { echo "the clone from $t has other refs than the repository" >&2; exit 1; }
  echo "$t $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }') $((c1 - c0))"
}

echo "== one clone from each, not timed (page cache, JIT)"
for t in $TARGETS; do clone_once "$t" >/dev/null; done
: >"$TMP/r"
for i in $(seq 1 "$RUNS"); do
  for t in $TARGETS; do clone_once "$t" >>"$TMP/r"; done
done

med() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/r" | median; }
cpu_ms() { awk -v k="$1" -v tck="$TCK" '$1 == k { s += $3; n++ } END { printf "%.0f", s * 1000 / tck / n }' "$TMP/r"; }
echo
echo "bare clone of $PACK_BYTES pack bytes, $RUNS runs each, interleaved; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %12s %12s %14s\n' "" "median s" "vs daemon" "vs backend" "server cpu ms"
d=$(med daemon); b=$(med backend)
for t in $TARGETS; do
  m=$(med "$t")
  label=$(case "$t" in daemon) echo "git daemon (git://)";; backend) echo "git http-backend (lighttpd CGI)";;
    wharf) echo "wharf (anonymous, public)";; wharf_token) echo "wharf (Basic, API token)";;
    base) echo "base build (anonymous, public)";; base_token) echo "base build (Basic, API token)";; esac)
  printf '%-34s %10s %12s %12s %14s\n' "$label" "$m" "$(ratio "$m" "$d")" "$(ratio "$m" "$b")" "$(cpu_ms "$t")"
done
echo "raw seconds:"
for t in $TARGETS; do echo "  $t: $(awk -v k="$t" '$1 == k { printf "%s ", $2 }' "$TMP/r")"; done
echo "ratio = time / the column's server's time (above 1.00: slower); server cpu = utime+stime per clone, with reaped children"
