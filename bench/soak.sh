#!/usr/bin/env bash
# Soak: real `ssh -T` logins at a steady rate against one `wharf serve`, and what each minute costs the server.
#
#   bench/soak.sh                                   # publishes Wharf.Server (Release) first; 20 logins/s for 10 min
#   WHARF_DLL=/path/to/wharf.dll RATE=10 MINUTES=5 bench/soak.sh
#
# Every second RATE `ssh -T` logins are started (each greets and ends). For each minute it prints the logins
# started and how many succeeded, the server's CPU per login (user + system time of the `wharf serve` process,
# children included, divided by the logins of that minute) and its resident memory at the end of the minute.
# Before the first login and again after the last one has ended, it measures the server's idle CPU over
# IDLE_SECONDS (default 30): a server that keeps nothing alive for a closed connection returns to what it used
# when fresh. Loopback; one temp dir, removed on exit. Needs no root.
set -euo pipefail

RATE=${RATE:-20}
MINUTES=${MINUTES:-10}
IDLE_SECONDS=${IDLE_SECONDS:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/wharf-soak.XXXXXX)
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(ssh -V 2>&1); $RATE logins/s for $MINUTES min; idle CPU over $IDLE_SECONDS s"
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C soak -f "$TMP/client/id_ed25519"
publish_wharf
echo "== wharf: $WHARF_DLL"

DATA="$TMP/wharf-data"
wharf admin user create soak --email soak@example.invalid --data "$DATA" >/dev/null
wharf admin key add soak --label soak --data "$DATA" <"$TMP/client/id_ed25519.pub" >/dev/null
PORT=$(free_port); start_wharf wharf "$DATA" "$PORT"; PIDS+=("$wharf_TIMEOUT_PID")

SSH=(ssh -F /dev/null -i "$TMP/client/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=30 -T -p "$PORT" git@127.0.0.1)
# The greeting names the account: that is a successful login, whatever the exit status of the shell.
login() { # minute; a failure records the client's first line of output (why it failed)
  local out
  out=$("${SSH[@]}" </dev/null 2>&1 || true)
  if [[ $out == *soak* ]]; then echo >>"$TMP/ok.$1"; else echo "${out%%$'\n'*}" >>"$TMP/fail.$1"; fi
}
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
idle_cpu() { # ms of CPU per second over IDLE_SECONDS
  local t0; t0=$(cpu_ticks "$wharf_PID"); sleep "$IDLE_SECONDS"
  awk -v a="$(cpu_ticks "$wharf_PID")" -v b="$t0" -v t="$TCK" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.1f", (a - b) * 1000 / t / s }'
}

# A few logins first so the JIT and the database are warm, then the fresh server's idle CPU.
for i in 1 2 3 4 5; do login warmup; done
sleep 5
fresh_idle=$(idle_cpu)
fresh_rss=$(rss_kib "$wharf_PID")
echo "== fresh server: idle CPU $fresh_idle ms/s, RSS $((fresh_rss / 1024)) MB"

for m in $(seq 1 "$MINUTES"); do
  t_cpu=$(cpu_ticks "$wharf_PID")
  end=$(( $(date +%s) + 60 ))
  started=0
  while [ "$(date +%s)" -lt "$end" ]; do
    second=$(( $(date +%s) + 1 ))
    # RATE logins at the start of each second (a shell loop pacing each one would add a process per login); on a
    # loaded machine a second's batch may take longer than the second, and the table shows the logins started.
    for ((i = 0; i < RATE; i++)); do login "$m" & started=$((started + 1)); done
    while [ "$(date +%s)" -lt "$second" ]; do sleep 0.02; done
  done
  cpu_ms=$(awk -v a="$(cpu_ticks "$wharf_PID")" -v b="$t_cpu" -v t="$TCK" 'BEGIN { print (a - b) * 1000 / t }')
  rss=$(rss_kib "$wharf_PID")
  echo "$m $started $cpu_ms $rss" >>"$TMP/minutes"
  echo "   minute $m: $started logins started, $(awk -v c="$cpu_ms" -v n="$started" 'BEGIN { printf "%.2f", c / n }') ms CPU per login, RSS $((rss / 1024)) MB"
done
wait_logins() { local i; for i in $(seq 1 120); do [ -z "$(jobs -pr)" ] && return; sleep 0.5; done; }
wait_logins
total_ok=0; total_fail=0
echo ""
printf '%-7s %8s %8s %8s %14s %8s\n' minute started ok failed "CPU ms/login" "RSS MB"
while read -r m started cpu_ms rss; do
  ok=$(lines "$TMP/ok.$m"); fail=$(lines "$TMP/fail.$m")
  total_ok=$((total_ok + ok)); total_fail=$((total_fail + fail))
  printf '%-7s %8s %8s %8s %14s %8s\n' "$m" "$started" "$ok" "$fail" \
    "$(awk -v c="$cpu_ms" -v n="$started" 'BEGIN { printf "%.2f", c / n }')" "$(awk -v r="$rss" 'BEGIN { printf "%.0f", r / 1024 }')"
done <"$TMP/minutes"
echo "== logins: $total_ok succeeded, $total_fail failed"
[ "$total_fail" = 0 ] || { echo "   failures, most frequent first:"; cat "$TMP"/fail.* | sort | uniq -c | sort -rn | head -5 | sed 's/^/   /'; }
sleep 5
after_idle=$(idle_cpu)
after_rss=$(rss_kib "$wharf_PID")
metric() { curl -fsS "$wharf_HTTP/metrics" 2>/dev/null | awk -v m="$1" '$1 == m { print $2 }' || true; }
echo "== after the run: idle CPU $after_idle ms/s (fresh: $fresh_idle ms/s), RSS $((after_rss / 1024)) MB"
echo "   metrics: wharf_ssh_connections_open $(metric wharf_ssh_connections_open), wharf_ssh_connections_alive $(metric wharf_ssh_connections_alive)," \
  "wharf_ssh_background_tasks $(metric wharf_ssh_background_tasks) (the last two are empty on builds that predate them)"
# Flatness from the second minute to the last (the first one warms the JIT and the heap).
if [ "$MINUTES" -ge 3 ]; then
  awk 'NR >= 2 { c = $3 / $2; r = $4; if (!n++) { c0 = c; r0 = r } cl = c; rl = r }
       END { printf "== minute 2 -> %d: CPU/login %+.0f%%, RSS %+.0f%%\n", NR, (cl - c0) * 100 / c0, (rl - r0) * 100 / r0 }' "$TMP/minutes"
fi
[ "$total_fail" = 0 ] || { echo "FAILED logins above" >&2; exit 1; }
