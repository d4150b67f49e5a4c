#!/usr/bin/env bash
# Code browsing speed: the source pages of a running `wharf serve` against git itself on the same repository.
#
#   bench/browse.sh                         # this repository's own history (the clone bench/.. lives in)
#   bench/browse.sh /path/to/any/repository # any git repository (its HEAD branch is pushed as main)
#   RUNS=100 FILE=README.md WHARF_DLL=/path/to/wharf.dll bench/browse.sh
#
# Pushes the repository's HEAD (as main) over SSH into a fresh `wharf serve`, signs in through the web form,
# then times, interleaved RUNS times each: the root tree page (/OWNER/NAME/src/main/), a file page
# (/OWNER/NAME/src/main/FILE), and git's own reads of the same things on the server's bare repository
# (`git ls-tree main`, `git cat-file -p main:FILE`, each a fresh process as a script would run it). Page times
# are curl's time to the last byte on loopback; git times are wall-clock per process. Prints median and p95 in
# milliseconds and the page/git ratios. Loopback only; everything lives in one temp dir removed on exit.
set -euo pipefail

RUNS=${RUNS:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${1:-$ROOT}
TMP=$(mktemp -d /tmp/wharf-browse.XXXXXX)
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
COMMITS=$(git --git-dir "$BARE" rev-list --count main)
ENTRIES=$(git --git-dir "$BARE" ls-tree main | wc -l)
FILES=$(git --git-dir "$BARE" ls-tree -r main | wc -l)
FILE=${FILE:-$(git --git-dir "$BARE" ls-tree -r --name-only main | grep -m1 -E '\.(cs|c|py|js|rs|go|java)$' || git --git-dir "$BARE" ls-tree -r --name-only main | head -1)}
FILE_BYTES=$(git --git-dir "$BARE" cat-file -s "main:$FILE")
echo "   $COMMITS commits, $ENTRIES entries at the root, $FILES files; file: $FILE ($FILE_BYTES bytes)"

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

ESCAPED_FILE=$(python3 -c 'import sys, urllib.parse; print("/".join(urllib.parse.quote(s, safe="") for s in sys.argv[1].split("/")))' "$FILE")
# Warm up: JIT, the first process starts, the page cache.
for _ in 1 2 3 4 5; do page_ms /alice/bench/src/main/ >/dev/null; page_ms "/alice/bench/src/main/$ESCAPED_FILE" >/dev/null; done

: >"$TMP/tree"; : >"$TMP/file"; : >"$TMP/ls-tree"; : >"$TMP/cat-file"
echo "== $RUNS runs each, interleaved"
for _ in $(seq 1 "$RUNS"); do
  page_ms /alice/bench/src/main/ >>"$TMP/tree"
  git_ms ls-tree main >>"$TMP/ls-tree"
  page_ms "/alice/bench/src/main/$ESCAPED_FILE" >>"$TMP/file"
  git_ms cat-file -p "main:$FILE" >>"$TMP/cat-file"
done

report() { # label page-file git-file git-label
  local pm pp gm gp
  pm=$(median <"$TMP/$2"); pp=$(p95 <"$TMP/$2"); gm=$(median <"$TMP/$3"); gp=$(p95 <"$TMP/$3")
  printf '| %s | %.1f | %.1f | `git %s` | %.1f | %.1f | %s |\n' "$1" "$pm" "$pp" "$4" "$gm" "$gp" "$(ratio "$pm" "$gm")"
}
echo
echo "| page | median ms | p95 ms | git command | median ms | p95 ms | page / git (median) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
report "root tree \`/src/main/\`" tree ls-tree "ls-tree main"
report "file \`/src/main/$FILE\`" file cat-file "cat-file -p main:$FILE"
