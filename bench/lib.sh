# Shared by the bench/*.sh scripts (sourced, not run): ports, timing, statistics, and starting `wharf serve`
# and a private Debian sshd. Each script sets TMP (its mktemp -d directory) and ROOT (the repository) first.

# What a script started in the background (kill on exit) and its TMP directory: `trap cleanup EXIT` removes both.
# A script that holds more defines its own cleanup after sourcing this file.
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}

free_port() { # a loopback port nobody listens on, from a bounded number of tries
  local p i
  for i in $(seq 1 50); do
    # Below the ephemeral range (32768 and up): a port there may be the local end of some client connection (a soak
    # run holds a thousand), and binding it fails although nothing listens on it.
    p=$((20000 + RANDOM % 12000))
    ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  echo "no free port" >&2; exit 1
}
wait_port() { # port, seconds
  local i
  for i in $(seq 1 $(($2 * 10))); do
    ss -ltnH "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1 after $2 s" >&2; exit 1
}
now_ns() { date +%s%N; }
# utime+stime+cutime+cstime of a process, in clock ticks: the process and every child it has reaped,
# which for sshd -D is each per-connection sshd (and the shell or git it ran) once the connection ended.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
p95() { sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.95 + 0.999); if (i < 1) i = 1; print a[i] }'; } # nearest rank
ratio() { awk -v w="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", w / s; else print "n/a" }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }  # resident set of one process
pss_kib() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; } # its proportional share (shared pages split)

install_missing() { # command:package ...
  local need="" cmd
  for cmd in "$@"; do
    [ -x "/usr/sbin/${cmd%%:*}" ] || command -v "${cmd%%:*}" >/dev/null || need="$need ${cmd#*:}"
  done
  [ -z "$need" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
}

publish_wharf() { # sets WHARF_DLL, publishing Wharf.Server (Release) into TMP unless it is set
  if [ -z "${WHARF_DLL:-}" ]; then
    echo "== publishing Wharf.Server (Release)"
    dotnet publish "$ROOT/src/Wharf.Server/Wharf.Server.csproj" -c Release --artifacts-path "$TMP/art" -v q -nologo >/dev/null
    WHARF_DLL=$(find "$TMP/art/publish" -name wharf.dll | head -1)
  fi
  [ -f "$WHARF_DLL" ] || { echo "wharf.dll not found" >&2; exit 1; }
}
wharf() { dotnet "$WHARF_DLL" "$@"; }

# start_wharf NAME DATA PORT: runs `wharf serve` under timeout; sets NAME_PID (the dotnet process) and
# NAME_TIMEOUT_PID (what cleanup kills). HTTP on a free port too, recorded in NAME_HTTP.
start_wharf() {
  local name=$1 data=$2 port=$3 http tpid pid
  http=$(free_port)
  timeout --kill-after=10s 90m dotnet "$WHARF_DLL" serve --data "$data" --ssh "127.0.0.1:$port" --http "127.0.0.1:$http" \
    >"$TMP/$name.log" 2>&1 &
  tpid=$!
  wait_port "$port" 120
  pid=$(pgrep -P "$tpid" -x dotnet || true)
  [ -n "$pid" ] || { echo "wharf serve ($name) is not running"; cat "$TMP/$name.log"; exit 1; }
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_TIMEOUT_PID" '%s' "$tpid"
  printf -v "${name}_HTTP" '%s' "http://127.0.0.1:$http"
}

# alice_wharf NAME DATA REPOSITORY PUBLIC_KEY: alice, that key of hers and REPOSITORY (OWNER/NAME) in DATA, then
# `wharf serve` on it as NAME (start_wharf's variables, and NAME_PORT); its timeout process joins PIDS.
alice_wharf() {
  local port timeout_pid
  mkdir -p "$2"
  wharf admin user create alice --email alice@example.org --data "$2" >/dev/null
  wharf admin key add alice --label bench --data "$2" <"$4" >/dev/null
  wharf admin repo create "$3" --data "$2" >/dev/null
  port=$(free_port)
  start_wharf "$1" "$2" "$port"
  printf -v "$1_PORT" '%s' "$port"
  timeout_pid="$1_TIMEOUT_PID"
  PIDS+=("${!timeout_pid}")
}

# start_sshd NAME PORT AUTHORIZED_KEYS [EXTRA_CONFIG_LINES]: Debian's sshd on a private port and config; sets NAME_PID.
start_sshd() {
  local name=$1 port=$2 keys=$3 extra=${4:-} dir="$TMP/$1"
  mkdir -p "$dir" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
  cat >"$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $dir/host_ed25519
PidFile none
AuthorizedKeysFile $keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
# git protocol v2 with both servers (Wharf accepts GIT_PROTOCOL; Debian's default config would leave sshd on v0).
AcceptEnv GIT_PROTOCOL
LogLevel ERROR
$extra
CONF
  /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$TMP/$name.log" &
  printf -v "${name}_PID" '%s' "$!"
  wait_port "$port" 20
}

# lay SOURCE DEST: SOURCE's objects as one pack (a `git clone --bare --no-local`) and its refs, into the empty bare
# repository DEST. Servers laid from one source send the same bytes. Needs TMP.
lay() {
  rm -rf "$TMP/seed.git"
  git clone -q --bare --no-local "$1" "$TMP/seed.git"
  cp "$TMP/seed.git"/objects/pack/* "$2/objects/pack/"
  cp "$TMP/seed.git/packed-refs" "$2/packed-refs"
  (cd "$TMP/seed.git" && find refs -type f -exec cp --parents {} "$2/" \;)
  cp "$TMP/seed.git/HEAD" "$2/HEAD"
  rm -rf "$TMP/seed.git"
}

# blob_repo DIR MB: a new repository at DIR whose one commit holds one incompressible MB MiB blob from /dev/urandom
# (the transport-bound case: nothing for zlib or deltas to save).
blob_repo() {
  git init -q -b main "$1"
  head -c $(($2 * 1024 * 1024)) /dev/urandom >"$1/blob.bin"
  git -C "$1" -c core.compression=0 add blob.bin
  git -C "$1" -c user.name=bench -c user.email=bench@example.invalid commit -q -m blob
}

pack_bytes() { du -cb "$1"/objects/pack/*.pack | tail -1 | cut -f1; } # the size of a repository's packs

# The code-page benchmarks (browse.sh, browse-history.sh): a fresh `wharf serve` with alice, her key and
# alice/bench, SOURCE's REF (default HEAD; a tag such as v2.0.0 pushes its commit) pushed into it as main over SSH,
# and a signed-in cookie jar. SOURCE may be a bare repository. Needs TMP, PIDS and publish_wharf's WHARF_DLL; sets
# DATA, BASE, BARE and JAR.
browse_setup() { # source
  local password="bench password long enough" ssh_port token status ssh
  DATA="$TMP/data"
  mkdir -p "$DATA"
  echo "$password" | wharf admin user create alice --email alice@example.org --password-stdin --data "$DATA" >/dev/null
  ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/key"
  wharf admin key add alice --label bench --data "$DATA" <"$TMP/key.pub" >/dev/null
  wharf admin repo create alice/bench --data "$DATA" >/dev/null
  ssh_port=$(free_port)
  start_wharf WHARF "$DATA" "$ssh_port"
  PIDS+=("$WHARF_TIMEOUT_PID")
  BASE=$WHARF_HTTP
  echo "== pushing $1 (${REF:-HEAD} as main) over SSH"
  ssh="ssh -i $TMP/key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
  git -C "$1" -c core.sshCommand="$ssh" push -q "ssh://git@127.0.0.1:$ssh_port/alice/bench.git" "${REF:-HEAD}^{commit}:refs/heads/main"
  BARE="$DATA/repositories/alice/bench.git"
  echo "== signing in"
  JAR="$TMP/cookies"
  token=$(curl -s -c "$JAR" -b "$JAR" "$BASE/signin" | sed -n 's/.*name="__RequestVerificationToken" value="\([^"]*\)".*/\1/p' | head -1)
  status=$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" --data-urlencode "username=alice" --data-urlencode "password=$password" \
    --data-urlencode "__RequestVerificationToken=$token" "$BASE/signin")
  [ "$status" = 302 ] || { echo "sign-in failed: HTTP $status" >&2; exit 1; }
}

page_ms() { # path: curl's time to the last byte with the signed-in jar, in ms; fails unless 200
  local out
  out=$(curl -s -o /dev/null -b "$JAR" -w '%{http_code} %{time_total}' "$BASE$1")
  [ "${out%% *}" = 200 ] || { echo "GET $1 answered ${out%% *}" >&2; exit 1; }
  awk -v t="${out#* }" 'BEGIN { printf "%.3f\n", t * 1000 }'
}

git_ms() { # git arguments: wall-clock of one git process on BARE, in ms
  local t0 t1
  t0=$(now_ns)
  git --git-dir "$BARE" "$@" >/dev/null
  t1=$(now_ns)
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e6 }'
}

# small_repo BARE: 20 commits on main and a branch at each of them (20 more refs), pushed into the bare repository
# BARE, so that `git ls-remote` lists something real (bench/login-cpu.sh, bench/login-profile.sh). Needs TMP.
small_repo() {
  local work="$TMP/small-repo" i
  git init -q -b main "$work"
  for i in $(seq 1 20); do
    echo "line $i" >>"$work/file.txt"
    git -C "$work" add file.txt
    git -C "$work" -c user.name=bench -c user.email=bench@example.invalid commit -q -m "commit $i"
    git -C "$work" branch "branch-$i"
  done
  git -C "$work" push -q "$1" 'refs/heads/*:refs/heads/*'
  rm -rf "$work"
}

# Holding many authenticated sessions at once (bench/hold-sessions.py, asyncssh; needs PYTHON, PARALLEL and the
# client key HOLD_KEY, default TMP/client/id_ed25519). Used by sessions.sh and side-by-side.sh.
hold() { # tag port user idle git repo -> runs hold-sessions.py in the background until release; sets HOLD_PID
  rm -f "$TMP/ready" "$TMP/release"
  "$PYTHON" -W ignore "$ROOT/bench/hold-sessions.py" --port "$2" --user "$3" --key "${HOLD_KEY:-$TMP/client/id_ed25519}" --idle "$4" --git "$5" \
    --repo "$6" --parallel "$PARALLEL" --ready "$TMP/ready" --release "$TMP/release" >"$TMP/hold-$1.txt" 2>&1 &
  HOLD_PID=$!
  local t0; t0=$(date +%s)
  while [ ! -e "$TMP/ready" ]; do
    kill -0 "$HOLD_PID" 2>/dev/null || { cat "$TMP/hold-$1.txt"; echo "hold-sessions ended early" >&2; exit 1; }
    sleep 0.5
  done
  echo "   $1: $(cat "$TMP/ready" | tr -d '\n') sessions open after $(($(date +%s) - t0)) s"
}
release() { # tag -> 0 when hold-sessions reported no failure
  touch "$TMP/release"
  local rc=0; wait "$HOLD_PID" || rc=$?; HOLD_PID=""
  sed 's/^/   /' "$TMP/hold-$1.txt"
  return $rc
}
descendants() { # every process below PID, depth first
  local c; for c in $(pgrep -P "$1" || true); do echo "$c"; descendants "$c"; done
}
