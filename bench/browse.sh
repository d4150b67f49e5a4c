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
browse_setup "$SOURCE"
COMMITS=$(git --git-dir "$BARE" rev-list --count main)
ENTRIES=$(git --git-dir "$BARE" ls-tree main | wc -l)
FILES=$(git --git-dir "$BARE" ls-tree -r main | wc -l)
FILE=${FILE:-$(git --git-dir "$BARE" ls-tree -r --name-only main | grep -m1 -E '\.(cs|c|py|js|rs|go|java)$' || git --git-dir "$BARE" ls-tree -r --name-only main | head -1)}
FILE_BYTES=$(git --git-dir "$BARE" cat-file -s "main:$FILE")
echo "   $COMMITS commits, $ENTRIES entries at the root, $FILES files; file: $FILE ($FILE_BYTES bytes)"

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
