#!/usr/bin/env bash
# Repository maintenance (issue 16, point 4): is a repository built by many small pushes as fast to clone and
# list as the same repository fully repacked, once `wharf serve` has maintained it?
#
#   bench/maintenance.sh
#   PUSHES=1000 RUNS=7 DELAY=00:00:05 WHARF_DLL=src/Wharf.Server/bin/Release/net10.0/wharf.dll bench/maintenance.sh
#
# Makes PUSHES small commits locally (git fast-import: 200 files in 20 directories, then two files changed per
# commit, a tag every 100), and pushes them one by one over SSH into alice/pushed of a fresh `wharf serve`, one
# connection reused for all pushes (OpenSSH ControlMaster) so the loop stays quick; the server runs with its default
# Maintenance thresholds but Maintenance:Delay=DELAY (default 1 minute) so the run fits in minutes. The same pushes
# go over file:// (the same git receive-pack, so the same loose objects) into alice/raw, which no SSH push touches, so
# Wharf never maintains it: the "before" shape. alice/full is alice/raw copied and repacked with
# `git repack -adf --write-bitmap-index`: the "fully repacked" shape. Once the server's maintenance is idle, times a
# bare clone and a `git ls-remote` of each over SSH (a fresh connection each, RUNS rounds, interleaved) and prints
# medians in ms and the ratios to the fully repacked repository. Loopback only; one temp directory, removed on exit.
set -euo pipefail

PUSHES=${PUSHES:-1000}
RUNS=${RUNS:-7}
DELAY=${DELAY:-00:00:05}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/wharf-maintenance.XXXXXX)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

publish_wharf
DATA="$TMP/data"
mkdir -p "$DATA"
wharf admin user create alice --email alice@example.org --data "$DATA" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/key"
wharf admin key add alice --label bench --data "$DATA" <"$TMP/key.pub" >/dev/null
for r in pushed raw full; do wharf admin repo create "alice/$r" --data "$DATA" >/dev/null; done
REPOS="$DATA/repositories/alice"
PORT=$(free_port)
export WHARF_Maintenance__Delay=$DELAY
start_wharf WHARF "$DATA" "$PORT"
unset WHARF_Maintenance__Delay
PIDS+=("$WHARF_TIMEOUT_PID")

echo "== making $PUSHES commits"
git init -q "$TMP/src"
python3 - "$PUSHES" >"$TMP/stream" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
files = {f"d{i // 10:02}/f{i % 10}.txt": f"file {i}\n" for i in range(200)}
def blob(text):
    data = text.encode()
    out.write(b"data %d\n" % len(data) + data + b"\n")
for c in range(1, n + 1):
    changed = files.keys() if c == 1 else [f"d{(c * 7) % 20:02}/f{c % 10}.txt", f"d{(c * 3) % 20:02}/f{(c + 5) % 10}.txt"]
    out.write(b"commit refs/heads/main\nmark :%d\n" % c)
    out.write(b"committer Bench <bench@example.org> %d +0000\n" % (1700000000 + c))
    blob(f"change {c}\n")
    if c > 1: out.write(b"from :%d\n" % (c - 1))
    for path in changed:
        files[path] += f"line {c}\n"
        out.write(f"M 100644 inline {path}\n".encode())
        blob(files[path])
    out.write(b"\n")
PY
git -C "$TMP/src" fast-import --quiet <"$TMP/stream"
mapfile -t COMMITS < <(git -C "$TMP/src" rev-list --reverse main)

SSH="ssh -i $TMP/key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
MUX="$SSH -o ControlMaster=auto -o ControlPath=$TMP/mux-%C -o ControlPersist=600"
URL="ssh://git@127.0.0.1:$PORT/alice"
refspecs() { # commit number: sets specs to the refs its push updates (no subshell: the loop runs 2,000 times)
  local i=$1
  specs=("${COMMITS[$((i - 1))]}:refs/heads/main")
  [ $((i % 100)) -ne 0 ] || specs+=("${COMMITS[$((i - 1))]}:refs/tags/v$i")
}
echo "== $PUSHES pushes over SSH into alice/pushed, and over file:// into alice/raw"
t0=$(now_ns)
for i in $(seq 1 "$PUSHES"); do
  refspecs "$i"
  git -C "$TMP/src" -c core.sshCommand="$MUX" push -q "$URL/pushed.git" "${specs[@]}"
done
t1=$(now_ns)
for i in $(seq 1 "$PUSHES"); do
  refspecs "$i"
  git -C "$TMP/src" push -q "file://$REPOS/raw.git" "${specs[@]}"
done
$MUX -O exit -p "$PORT" git@127.0.0.1 2>/dev/null || true
echo "   $PUSHES SSH pushes took $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1e9 }') s"

echo "== waiting for the server's maintenance to go idle"
maintained() { grep -c "Maintained alice/pushed" "$TMP/WHARF.log" || true; }
seconds=$(awk -v d="$DELAY" 'BEGIN { split(d, p, ":"); print p[1] * 3600 + p[2] * 60 + p[3] }')
last=-1
while :; do
  sleep $((seconds * 2 + 2))
  now=$(maintained)
  [ "$now" != "$last" ] || [ -e "$REPOS/pushed.git/wharf-maintenance.lock" ] || break
  last=$now
done
echo "   $(maintained) maintenance runs of alice/pushed during and after the pushes"

rm -rf "$REPOS/full.git"
cp -a "$REPOS/raw.git" "$REPOS/full.git"
git --git-dir "$REPOS/full.git" repack -q -adf --write-bitmap-index

for r in raw pushed full; do
  [ "$(git --git-dir "$REPOS/$r.git" for-each-ref)" = "$(git --git-dir "$REPOS/raw.git" for-each-ref)" ] || { echo "refs of $r differ" >&2; exit 1; }
  git --git-dir "$REPOS/$r.git" fsck --no-progress 2>/dev/null || { echo "fsck of $r failed" >&2; exit 1; }
  printf '   %-7s %s\n' "$r" "$(git --git-dir "$REPOS/$r.git" count-objects -v | awk -F': ' '{ v[$1] = $2 } END { printf "%d loose objects, %d packs (%d KiB)", v["count"], v["packs"], v["size-pack"] }')"
done

wall_ms() { # command...: its wall-clock time in ms
  local a b
  a=$(now_ns); "$@" >/dev/null 2>&1; b=$(now_ns)
  awk -v d=$((b - a)) 'BEGIN { printf "%.1f\n", d / 1e6 }'
}
clone() { rm -rf "$TMP/clone"; git -c core.sshCommand="$SSH" clone -q --bare "$URL/$1.git" "$TMP/clone"; }
ls_remote() { git -c core.sshCommand="$SSH" ls-remote "$URL/$1.git"; }
for r in raw pushed full; do clone "$r"; ls_remote "$r" >/dev/null; : >"$TMP/clone-$r"; : >"$TMP/ls-$r"; done # warm up
echo "== $RUNS rounds, interleaved"
for _ in $(seq 1 "$RUNS"); do
  for r in raw pushed full; do
    wall_ms clone "$r" >>"$TMP/clone-$r"
    wall_ms ls_remote "$r" >>"$TMP/ls-$r"
  done
done
printf '%-30s %12s %12s\n' "median ms" "bare clone" "ls-remote"
declare -A C L
for r in raw pushed full; do
  C[$r]=$(median <"$TMP/clone-$r"); L[$r]=$(median <"$TMP/ls-$r")
done
printf '%-30s %12s %12s\n' "before maintenance (raw)" "${C[raw]}" "${L[raw]}"
printf '%-30s %12s %12s\n' "after Wharf's maintenance" "${C[pushed]}" "${L[pushed]}"
printf '%-30s %12s %12s\n' "fully repacked" "${C[full]}" "${L[full]}"
printf '%-30s %12s %12s\n' "ratio before / repacked" "$(ratio "${C[raw]}" "${C[full]}")" "$(ratio "${L[raw]}" "${L[full]}")"
printf '%-30s %12s %12s\n' "ratio maintained / repacked" "$(ratio "${C[pushed]}" "${C[full]}")" "$(ratio "${L[pushed]}" "${L[full]}")"
