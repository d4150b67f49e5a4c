#!/usr/bin/env bash
# Soak (issue 16, point 5): HOLD concurrent sessions held for the whole run while real `ssh -T` logins arrive at a
# steady rate, and what each minute costs one `wharf serve`.
#
#   bench/soak.sh                                   # publishes Wharf.Server (Release) first; 1,000 held, 20 logins/s, 30 min
#   WHARF_DLL=/path/to/wharf.dll HOLD=200 MINUTES=3 bench/soak.sh
#
# 1. A fresh server, warmed along every path the soak takes (WARM_LOGINS logins, an ls-remote, 20 held sessions
#    released): its idle CPU over IDLE_SECONDS and its RSS, split into code and data (below).
# 2. HOLD authenticated connections opened by one asyncssh process (bench/hold-sessions.py) and held to the end:
#    GIT_HELD of them run `git-upload-pack` that has sent its ref advertisement and waits for the client's wants,
#    the rest are idle (logged in, nothing open, a keepalive every KEEPALIVE s as `ssh -o ServerAliveInterval`).
# 3. For MINUTES minutes, RATE `ssh -T` logins a second, evenly spaced (each gets the greeting and ends). Per
#    minute: logins started, succeeded, failed, the p95 login wall time, the server's CPU per login (user + system
#    time of the `wharf serve` process, children included, divided by the logins of that minute), its RSS at the
#    end of the minute, and the held connections still open.
# 4. Once the last login has ended: every held connection must still be open (hold-sessions.py's count and the
#    server's wharf_ssh_connections_open), then they are released (each upload-pack gets a flush and must exit 0),
#    and after SETTLE_SECONDS the idle CPU and RSS are measured again against the fresh server's.
# 5. One verdict line per criterion; exit status 1 if any fails.
#
# The server runs with its product defaults except Ssh:NoProgressTimeout (see SOAK_NO_PROGRESS below). Loopback;
# one temp dir, removed on exit. Needs no root, but 4 open files per held session (the soft limit is raised).
set -euo pipefail

RATE=${RATE:-20}
MINUTES=${MINUTES:-30}
HOLD=${HOLD:-1000}
GIT_HELD=${GIT_HELD:-$((HOLD / 5))}
KEEPALIVE=${KEEPALIVE:-60}
# The logins' key exchange. curve25519-sha256 by default: OpenSSH 9.2's default, sntrup761x25519, costs the client
# a Streamlined NTRU Prime key pair per login, which the 2 shared cores cannot afford 20 times a second beside the
# server. KEX=default leaves OpenSSH's own choice.
KEX=${KEX:-curve25519-sha256}
IDLE_SECONDS=${IDLE_SECONDS:-30}
# Long enough for two of the server's 30 s memory checks once the release is over (docs/OPERATIONS.md).
SETTLE_SECONDS=${SETTLE_SECONDS:-90}
PARALLEL=${PARALLEL:-50}
# Warm-up logins: past the runtime's tier-1 threshold (a method is recompiled with full optimisation after 30 calls),
# so that the code a login runs is compiled once before the fresh figures are taken, not counted as growth later.
WARM_LOGINS=${WARM_LOGINS:-40}
# Debian's interpreter: python3-asyncssh is installed for it, not for a pyenv or venv python on PATH.
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$GIT_HELD" -le "$HOLD" ] || { echo "GIT_HELD ($GIT_HELD) is more than HOLD ($HOLD)" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((HOLD * 4 + 1000)) ] ||
  { echo "open files limit $(ulimit -n) is too low for $HOLD sessions" >&2; exit 2; }

TMP=$(mktemp -d /tmp/wharf-soak.XXXXXX)
. "$ROOT/bench/lib.sh"
install_missing ssh:openssh-client git:git python3:python3
"$PYTHON" -c 'import asyncssh' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-asyncssh >/dev/null
cleanup() {
  set +e
  [ -n "${HOLD_PID:-}" ] && kill "$HOLD_PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(ssh -V 2>&1), kex $KEX; asyncssh $("$PYTHON" -W ignore -c 'import asyncssh; print(asyncssh.__version__)'); $(git --version)"
echo "== $HOLD held ($GIT_HELD git-upload-pack waiting, $((HOLD - GIT_HELD)) idle), $RATE logins/s for $MINUTES min;" \
  "idle CPU over $IDLE_SECONDS s, $SETTLE_SECONDS s after the release"
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C soak -f "$TMP/client/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C hold -f "$TMP/client/hold_ed25519"
export HOME="$TMP/client" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
publish_wharf
echo "== wharf: $WHARF_DLL (commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ' plus uncommitted changes to src/'))"

# Two accounts, so the held upload-packs (GIT_HELD commands running at once) and the logins each stay inside
# Ssh:MaxSessionsPerKey (256) and Ssh:MaxSessionsPerAccount (512) with the defaults.
DATA="$TMP/wharf-data"
wharf admin user create soak --email soak@example.invalid --data "$DATA" >/dev/null
wharf admin key add soak --label soak --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
wharf admin user create hold --email hold@example.invalid --data "$DATA" >/dev/null
wharf admin key add hold --label hold --data "$DATA" <"$TMP/client/hold_ed25519.pub" >/dev/null
wharf admin repo create hold/r --data "$DATA" >/dev/null
git init -q -b main "$TMP/work"
for i in $(seq 1 20); do echo "branch $i" >"$TMP/work/f"; git -C "$TMP/work" add f
  git -C "$TMP/work" -c user.name=s -c user.email=s@example.invalid commit -q -m "$i"; git -C "$TMP/work" branch "b$i"; done
git -C "$TMP/work" push -q "$DATA/repositories/hold/r.git" --all
# SOAK_NO_PROGRESS: a held upload-pack moves no byte for the whole run, and Ssh:NoProgressTimeout (10 minutes) would
# end it, as it should end a stalled fetch. The soak sets it to the run's length plus 30 minutes; nothing else is
# changed (the idle sessions' keepalives keep them inside Ssh:IdleTimeout, as a client's ServerAliveInterval does).
no_progress=$((MINUTES + 30))
printf -v SOAK_NO_PROGRESS '%02d:%02d:00' $((no_progress / 60)) $((no_progress % 60))
cat >"$DATA/wharf.json" <<JSON
{ "Ssh": { "NoProgressTimeout": "$SOAK_NO_PROGRESS" } }
JSON
echo "== DATA/wharf.json: $(tr -d '\n' <"$DATA/wharf.json")"
PORT=$(free_port); start_wharf wharf "$DATA" "$PORT"; PIDS+=("$wharf_TIMEOUT_PID")

SSH=(ssh -F /dev/null -i "$TMP/client/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=30 -T -p "$PORT")
[ "$KEX" = default ] || SSH+=(-o "KexAlgorithms=$KEX")
SSH+=(git@127.0.0.1)
# The greeting names the account: that is a successful login, whatever the exit status of the shell. A success
# records its wall time in ms; a failure the client's first line of output (why it failed).
login() { # minute
  local out t0=$EPOCHREALTIME
  out=$("${SSH[@]}" </dev/null 2>&1 || true)
  if [[ $out == *soak* ]]; then
    echo $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 )) >>"$TMP/ok.$1"
  else echo "${out%%$'\n'*}" >>"$TMP/fail.$1"; fi
}
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
idle_cpu() { # ms of CPU per second over IDLE_SECONDS
  local t0; t0=$(cpu_ticks "$wharf_PID"); sleep "$IDLE_SECONDS"
  awk -v a="$(cpu_ticks "$wharf_PID")" -v b="$t0" -v t="$TCK" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.2f", (a - b) * 1000 / t / s }'
}
metric() { curl -fsS "$wharf_HTTP/metrics" 2>/dev/null | awk -v m="$1" '$1 == m { print $2 }' || true; }
held_alive() { [ -f "$TMP/hold-status" ] && cut -d' ' -f1 "$TMP/hold-status" || echo "?"; }
# RSS by kind, from /proc/PID/smaps: code (mapped files: the runtime, the framework's and Wharf's ReadyToRun code; and
# the JIT's code, which the runtime maps twice, writable and executable, from a memfd "doublemapper") and data
# (anonymous memory: the GC's heap, native allocations, thread stacks).
rss_split() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { kind = "data"; if (NF >= 6 && $6 !~ /^\[/) kind = ($6 ~ /doublemapper|memfd/) ? "jit" : "files" }
       /^Rss:/ { r[kind] += $2 }
       END { printf "code %.0f MB (files %.0f, JIT %.0f), data %.0f MB", (r["files"] + r["jit"]) / 1024, r["files"] / 1024, r["jit"] / 1024, r["data"] / 1024 }' "/proc/$1/smaps"
}
threads() { awk '/^Threads:/ { print $2 }' "/proc/$wharf_PID/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
# A sleep without a process per call (bash's read times out on a descriptor nobody writes to).
exec {NAP}<> <(:)
nap() { read -r -t "$1" -u "$NAP" || true; }

hold() { # tag idle git -> hold-sessions.py in the background until release_held; sets HOLD_PID and OPENED
  rm -f "$TMP/ready" "$TMP/release" "$TMP/hold-status"
  "$PYTHON" -W ignore "$ROOT/bench/hold-sessions.py" --port "$PORT" --user git --key "$TMP/client/hold_ed25519" \
    --idle "$2" --git "$3" --repo /hold/r.git --parallel "$PARALLEL" --keepalive "$KEEPALIVE" \
    --ready "$TMP/ready" --release "$TMP/release" --status "$TMP/hold-status" >"$TMP/hold-$1.txt" 2>&1 &
  HOLD_PID=$!
  while [ ! -e "$TMP/ready" ]; do
    kill -0 "$HOLD_PID" 2>/dev/null || { cat "$TMP/hold-$1.txt"; echo "hold-sessions ended early" >&2; exit 1; }
    sleep 0.5
  done
  OPENED=$(tr -d '\n' <"$TMP/ready")
}
release_held() { # tag -> hold-sessions.py's exit status (0: no failure), its summary on stdout
  touch "$TMP/release"
  local rc=0; wait "$HOLD_PID" || rc=$?; HOLD_PID=""
  sed 's/^/   /' "$TMP/hold-$1.txt"
  return "$rc"
}

# --- 1. the fresh server ----------------------------------------------------------------------------------------------
# Warm: every path the soak takes, once at a small scale (greetings, a fetch's advertisement, held sessions with their
# keepalives and upload-packs, their release), so that the fresh figures include the code the JIT compiles for them.
for i in $(seq 1 "$WARM_LOGINS"); do login warmup; done
git -c core.sshCommand="ssh -F /dev/null -i $TMP/client/hold_ed25519 -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR" \
  ls-remote "ssh://git@127.0.0.1:$PORT/hold/r.git" >/dev/null
[ "$(lines "$TMP/ok.warmup")" = "$WARM_LOGINS" ] || { echo "warm-up logins failed:"; cat "$TMP/fail.warmup"; exit 1; }
hold warmup 15 5
[ "$OPENED" = 20 ] || { echo "warm-up: $OPENED of 20 sessions opened" >&2; exit 1; }
release_held warmup >/dev/null || { cat "$TMP/hold-warmup.txt"; exit 1; }
sleep 20 # the JIT's background recompilation of what the warm-up ran
fresh_idle=$(idle_cpu)
fresh_rss=$(rss_kib "$wharf_PID")
echo "== fresh server, warmed: idle CPU $fresh_idle ms/s, RSS $(mb "$fresh_rss") MB ($(rss_split "$wharf_PID")), $(threads) threads"

# --- 2. the held sessions ----------------------------------------------------------------------------------------------
t0=$(date +%s)
hold soak $((HOLD - GIT_HELD)) "$GIT_HELD"
echo "== held: $OPENED of $HOLD sessions open after $(($(date +%s) - t0)) s; wharf_ssh_connections_open $(metric wharf_ssh_connections_open)"
[ "$OPENED" = "$HOLD" ] || { release_held soak || true; echo "not every session opened" >&2; exit 1; }
sleep 5
held_idle=$(idle_cpu)
held_rss=$(rss_kib "$wharf_PID")
echo "== with $HOLD held and no logins: CPU $held_idle ms/s, RSS $(mb "$held_rss") MB, $(threads) threads"

# --- 3. the logins -------------------------------------------------------------------------------------------------------
# Login k is due at start + k / RATE. A loop that falls more than a second behind (a loaded machine) drops the missed
# slots rather than bursting to catch up; the table shows the logins started.
step_us=$((1000000 / RATE))
due=${EPOCHREALTIME/./}
for m in $(seq 1 "$MINUTES"); do
  t_cpu=$(cpu_ticks "$wharf_PID")
  end=$((due + 60000000))
  started=0
  while [ "$due" -lt "$end" ]; do
    now=${EPOCHREALTIME/./}
    if [ "$now" -lt "$due" ]; then nap "$(awk -v u=$((due - now)) 'BEGIN { printf "%.6f", u / 1e6 }')"
    elif [ "$now" -gt $((due + 1000000)) ]; then due=$((now - now % step_us)); [ "$due" -lt "$end" ] || break
    fi
    login "$m" & started=$((started + 1))
    due=$((due + step_us))
  done
  now=${EPOCHREALTIME/./}; [ "$now" -ge "$end" ] || nap "$(awk -v u=$((end - now)) 'BEGIN { printf "%.6f", u / 1e6 }')"
  due=$end
  cpu_ms=$(awk -v a="$(cpu_ticks "$wharf_PID")" -v b="$t_cpu" -v t="$TCK" 'BEGIN { print (a - b) * 1000 / t }')
  rss=$(rss_kib "$wharf_PID")
  alive=$(held_alive)
  echo "$m $started $cpu_ms $rss $alive $(cut -d' ' -f1-3 /proc/loadavg)" >>"$TMP/minutes"
  echo "   minute $m: $started started, $(lines "$TMP/ok.$m") ok so far, $(awk -v c="$cpu_ms" -v n="$started" 'BEGIN { printf "%.2f", c / n }') ms CPU per login," \
    "RSS $(mb "$rss") MB, held alive $alive, load $(cut -d' ' -f1 /proc/loadavg)"
done
# Every login started has ended once it wrote its line (ok or fail); ConnectTimeout and Ssh:LoginGraceTime bound each.
ended() { cat "$TMP"/ok.[0-9]* "$TMP"/fail.[0-9]* 2>/dev/null | wc -l; }
all_started=$(awk '{ s += $2 } END { print s }' "$TMP/minutes")
for i in $(seq 1 240); do [ "$(ended)" -ge "$all_started" ] && break; sleep 0.5; done

total_started=0; total_ok=0; total_fail=0
echo ""
printf '%-7s %8s %8s %8s %8s %14s %8s %6s %6s\n' minute started ok failed "p95 ms" "CPU ms/login" "RSS MB" held load
while read -r m started cpu_ms rss alive l1 _; do
  ok=$(lines "$TMP/ok.$m"); fail=$(lines "$TMP/fail.$m")
  total_started=$((total_started + started)); total_ok=$((total_ok + ok)); total_fail=$((total_fail + fail))
  p=$([ -f "$TMP/ok.$m" ] && p95 <"$TMP/ok.$m" || echo -)
  printf '%-7s %8s %8s %8s %8s %14s %8s %6s %6s\n' "$m" "$started" "$ok" "$fail" "$p" \
    "$(awk -v c="$cpu_ms" -v n="$started" 'BEGIN { printf "%.2f", c / n }')" "$(mb "$rss")" "$alive" "$l1"
done <"$TMP/minutes"
echo "== logins: $total_started started, $total_ok succeeded, $total_fail failed"
[ "$total_fail" = 0 ] || { echo "   failures, most frequent first:"; cat "$TMP"/fail.* | sort | uniq -c | sort -rn | head -5 | sed 's/^/   /'; }

# --- 4. the held sessions at the end, the release, and the server at rest -------------------------------------------------
sleep 6 # one more status write from hold-sessions.py
end_alive=$(held_alive); end_open=$(metric wharf_ssh_connections_open)
echo "== held at the end: $end_alive alive (hold-sessions.py: alive lost git-ended = $(cat "$TMP/hold-status")); wharf_ssh_connections_open $end_open"
hold_rc=0; release_held soak || hold_rc=$?
sleep "$SETTLE_SECONDS"
after_idle=$(idle_cpu)
after_rss=$(rss_kib "$wharf_PID")
echo "== after the release and $SETTLE_SECONDS s: idle CPU $after_idle ms/s (fresh: $fresh_idle ms/s), RSS $(mb "$after_rss") MB (fresh: $(mb "$fresh_rss") MB), $(threads) threads"
echo "   RSS by kind: $(rss_split "$wharf_PID")"
echo "   metrics: wharf_ssh_connections_open $(metric wharf_ssh_connections_open), wharf_ssh_connections_alive $(metric wharf_ssh_connections_alive)," \
  "wharf_ssh_background_tasks $(metric wharf_ssh_background_tasks), wharf_ssh_connections_refused_total $(metric wharf_ssh_connections_refused_total)"
echo "   the server's log: $(grep -c 'returned unused memory' "$TMP/wharf.log" || true) memory trims (event 1202, docs/OPERATIONS.md):"
grep -o '[0-9:]* .*returned unused memory.*' "$TMP/wharf.log" | sed 's/^/     /' || true

# --- 5. verdicts -----------------------------------------------------------------------------------------------------------
# Flatness from minute 2 to the last (the first warms the JIT and the heap). CPU per login of one minute moves with the
# load other work puts on the shared cores, and RSS with where the GC's sawtooth stands when it is read, so each compares
# the mean of the first W minutes from minute 2 with the mean of the last W (W = a third of those minutes, at most 5);
# the per-minute range is printed beside it.
verdicts=0
verdict() { # ok text...
  if [ "$1" = 1 ]; then echo "PASS  ${*:2}"; else echo "FAIL  ${*:2}"; verdicts=1; fi
}
echo ""
if [ "$MINUTES" -ge 3 ]; then
  flat() { # cpu|rss -> "OK TEXT"
    awk -v what="$1" 'NR >= 2 { v[++n] = what == "cpu" ? $3 / $2 : $4 / 1024 }
      END { w = int(n / 3); if (w > 5) w = 5; if (w < 1) w = 1
            for (i = 1; i <= w; i++) { a += v[i]; b += v[n - w + i] }; a /= w; b /= w; d = (b - a) * 100 / a
            lo = v[1]; hi = v[1]; for (i = 2; i <= n; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i] }
            f = what == "cpu" ? "%.2f ms" : "%.0f MB"
            printf "%d %s flat: minutes 2-%d " f ", minutes %d-%d " f ": %+.1f%% (limit 10%%; per-minute range " f " to " f ")\n",
              (d <= 10 && d >= -10), what == "cpu" ? "CPU per login" : "RSS", w + 1, a, NR - w + 1, NR, b, d, lo, hi }' "$TMP/minutes"
  }
  read -r ok text < <(flat cpu); verdict "$ok" "$text"
  read -r ok text < <(flat rss); verdict "$ok" "$text"
else
  echo "----  flatness needs MINUTES >= 3"
fi
zero=$([ "$total_fail" = 0 ] && [ "$total_ok" = "$total_started" ] && [ "$hold_rc" = 0 ] && [ "$end_alive" = "$HOLD" ] && [ "$end_open" = "$HOLD" ] && echo 1 || echo 0)
verdict "$zero" "zero failures: $total_ok of $total_started logins succeeded ($total_fail failed); held: $end_alive of $HOLD alive at the end" \
  "(server: $end_open open), release $([ "$hold_rc" = 0 ] && echo clean || echo 'with failures, above')"
# Idle CPU of a few ms/s is a handful of timer ticks; "back to fresh" allows the larger of 20% and 1 ms/s (0.1% of a core).
verdict "$(awk -v a="$after_idle" -v f="$fresh_idle" 'BEGIN { m = f * 0.2; if (m < 1) m = 1; print (a <= f + m) ? 1 : 0 }')" \
  "idle CPU back to fresh: $after_idle ms/s after, $fresh_idle ms/s fresh (limit: fresh + max(20%, 1 ms/s))"
verdict "$(awk -v a="$after_rss" -v f="$fresh_rss" 'BEGIN { print (a <= f * 1.2) ? 1 : 0 }')" \
  "memory back to fresh: RSS $(mb "$after_rss") MB after, $(mb "$fresh_rss") MB fresh: $(awk -v a="$after_rss" -v f="$fresh_rss" 'BEGIN { printf "%+.1f%%", (a - f) * 100 / f }') (limit +20%)"
exit "$verdicts"
