#!/usr/bin/env bash
# History pages' speed: the commit list and a commit with its diff, served by a running `wharf serve`, against git
# itself reading the same things from the same bare repository.
#
#   bench/browse-history.sh                         # this repository's own history (the clone bench/.. lives in)
#   bench/browse-history.sh /path/to/any/repository # any git repository (its HEAD branch is pushed as main)
#   RUNS=100 COMMIT=<id> WHARF_DLL=/path/to/wharf.dll bench/browse-history.sh
#
# Pushes the repository's HEAD (as main) over SSH into a fresh `wharf serve`, signs in through the web form, then
# times, interleaved RUNS times each: the commit list (/OWNER/NAME/commits, 30 commits), a commit page with its diff
# (/OWNER/NAME/commits/COMMIT; by default the newest non-merge commit of main), and git's own reads of the same
# things (`git log -n 30 main` and `git show COMMIT`, each a fresh process as a script would run it). Page times are
# curl's time to the last byte on loopback; git times are wall-clock per process. Prints median and p95 in
# milliseconds and the page/git ratios. Loopback only; everything lives in one temp dir removed on exit.
set -euo pipefail

RUNS=${RUNS:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${1:-$ROOT}
TMP=$(mktemp -d /tmp/wharf-browse-history.XXXXXX)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

publish_wharf
DATA="$TMP/data"
PASSWORD="bench password long enough"
mkdir -p "$DATA"
echo "$PASSWORD" | wharf admin user create alice --email alice@example.org --password-stdin --data "$DATA" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/key"
wharf admin key add alice --label bench --data "$DATA" <"$TMP/key.pub" >/dev/null
wharf admin repo create alice/bench --data "$DATA" >/dev/null

SSH_PORT=$(free_port)
start_wharf WHARF "$DATA" "$SSH_PORT"
PIDS+=("$WHARF_TIMEOUT_PID")
BASE=$WHARF_HTTP

echo "== pushing $SOURCE (HEAD as main) over SSH"
SSH="ssh -i $TMP/key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
git -C "$SOURCE" -c core.sshCommand="$SSH" push -q "ssh://git@127.0.0.1:$SSH_PORT/alice/bench.git" HEAD:refs/heads/main
BARE="$DATA/repositories/alice/bench.git"
COMMIT=${COMMIT:-$(git --git-dir "$BARE" rev-list -n 1 --no-merges main)}
COMMITS=$(git --git-dir "$BARE" rev-list --count main)
CHANGED=$(git --git-dir "$BARE" diff-tree -r --root --no-commit-id --name-only -m --first-parent "$COMMIT" | wc -l)
LINES=$(git --git-dir "$BARE" show --format= "$COMMIT" | wc -l)
echo "   $COMMITS commits; commit $COMMIT: $CHANGED files, $LINES patch lines"

echo "== signing in"
JAR="$TMP/cookies"
TOKEN=$(curl -s -c "$JAR" -b "$JAR" "$BASE/signin" | sed -n 's/.*name="__RequestVerificationToken" value="\([^"]*\)".*/\1/p' | head -1)
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" --data-urlencode "username=alice" --data-urlencode "password=$PASSWORD" \
  --data-urlencode "__RequestVerificationToken=$TOKEN" "$BASE/signin")
[ "$STATUS" = 302 ] || { echo "sign-in failed: HTTP $STATUS" >&2; exit 1; }

page_ms() { # path: time to the last byte, in ms; fails unless 200
  local out
  out=$(curl -s -o /dev/null -b "$JAR" -w '%{http_code} %{time_total}' "$BASE$1")
  [ "${out%% *}" = 200 ] || { echo "GET $1 answered ${out%% *}" >&2; exit 1; }
  awk -v t="${out#* }" 'BEGIN { printf "%.3f\n", t * 1000 }'
}
git_ms() { # git arguments: wall-clock of one process, in ms
  local t0 t1
  t0=$(now_ns)
  git --git-dir "$BARE" "$@" >/dev/null
  t1=$(now_ns)
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e6 }'
}

# Warm up: JIT, the first process starts, the page cache.
for _ in 1 2 3 4 5; do page_ms /alice/bench/commits >/dev/null; page_ms "/alice/bench/commits/$COMMIT" >/dev/null; done

: >"$TMP/list"; : >"$TMP/commit"; : >"$TMP/log"; : >"$TMP/show"
echo "== $RUNS runs each, interleaved"
for _ in $(seq 1 "$RUNS"); do
  page_ms /alice/bench/commits >>"$TMP/list"
  git_ms log -n 30 main >>"$TMP/log"
  page_ms "/alice/bench/commits/$COMMIT" >>"$TMP/commit"
  git_ms show "$COMMIT" >>"$TMP/show"
done

report() { # label page-file git-file git-label
  local pm pp gm gp
  pm=$(median <"$TMP/$2"); pp=$(p95 <"$TMP/$2"); gm=$(median <"$TMP/$3"); gp=$(p95 <"$TMP/$3")
  printf '| %s | %.1f | %.1f | `git %s` | %.1f | %.1f | %s |\n' "$1" "$pm" "$pp" "$4" "$gm" "$gp" "$(ratio "$pm" "$gm")"
}
echo
echo "| page | median ms | p95 ms | git command | median ms | p95 ms | page / git (median) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
report "commit list \`/commits\`" list log "log -n 30 main"
report "commit with diff \`/commits/${COMMIT:0:12}\`" commit show "show ${COMMIT:0:12}"
