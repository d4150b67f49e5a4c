#!/usr/bin/env bash
# Code browsing speed: the source pages of a running `wharf serve` against git itself on the same repository.
#
#   bench/browse.sh                         # this repository's own history (the clone bench/.. lives in)
#   bench/browse.sh /path/to/any/repository # any git repository (its HEAD is pushed as main)
#   RUNS=100 FILE=README.md WHARF_DLL=/path/to/wharf.dll bench/browse.sh
#   REF=v2.0.0 bench/browse.sh /tmp/git.git # a tag or branch of any repository, bare or not, pushed as main
#
# Pushes the repository's HEAD, or REF, (as main) over SSH into a fresh `wharf serve`, signs in through the web form,
# times the first (cold) view of the root tree and of up to RUNS other directories once each (the last commit per
# entry is looked up then, and kept for later views of the same directory at the same commit) and of up to RUNS
# other files of FILE's type (highlighted then, and kept by blob), then times,
# interleaved RUNS times each: the root tree page (/OWNER/NAME/src/main/), a file page
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
# Listed into a file first: with pipefail, git killed by SIGPIPE when grep -m1 stops early would fail the script.
git --git-dir "$BARE" ls-tree -r --name-only main >"$TMP/paths"
FILE=${FILE:-$(grep -m1 -E '\.(cs|c|py|js|rs|go|java)$' "$TMP/paths" || head -1 "$TMP/paths")}
FILE_BYTES=$(git --git-dir "$BARE" cat-file -s "main:$FILE")
echo "   $COMMITS commits, $ENTRIES entries at the root, $FILES files; file: $FILE ($FILE_BYTES bytes)"

escape() { python3 -c 'import sys, urllib.parse; print("/".join(urllib.parse.quote(s, safe="") for s in sys.argv[1].split("/")))' "$1"; }
ESCAPED_FILE=$(escape "$FILE")
# The directories other than the root, for the first views below (the first one only warms up the tree page's code).
mapfile -t DIRS < <(git --git-dir "$BARE" ls-tree -r -d --name-only main | head -n $((RUNS + 1)))
# Warm up: JIT, the first process starts, the page cache. The root tree is not loaded yet, so its first view below is cold.
for _ in 1 2 3 4 5; do page_ms "/alice/bench/src/main/$ESCAPED_FILE" >/dev/null; done
if [ "${#DIRS[@]}" -gt 0 ]; then for _ in 1 2 3 4 5; do page_ms "/alice/bench/src/main/$(escape "${DIRS[0]}")/" >/dev/null; done; fi

# First views: a directory at a commit it was never shown at runs the last-commit walk (`git log --name-only`);
# later views take the kept answer. The root once, then each other directory once, next to `git ls-tree main DIR/`.
echo "== first views: the root, then ${#DIRS[@]} - 1 other directories once each"
ROOT_COLD=$(page_ms /alice/bench/src/main/)
ROOT_COLD_GIT=$(git_ms ls-tree main)
: >"$TMP/cold"; : >"$TMP/cold-git"
for dir in "${DIRS[@]:1}"; do
  page_ms "/alice/bench/src/main/$(escape "$dir")/" >>"$TMP/cold"
  git_ms ls-tree main "$dir/" >>"$TMP/cold-git"
done
# A file's first view highlights it; later views of the same blob take the kept lines. Other files of the same
# kind as FILE, each once, next to `git cat-file -p main:OTHER`.
mapfile -t OTHERS < <(grep -F -x -v "$FILE" "$TMP/paths" | grep -E "\.${FILE##*.}\$" | head -n "$RUNS" || true)
: >"$TMP/cold-file"; : >"$TMP/cold-cat"
for other in "${OTHERS[@]}"; do
  page_ms "/alice/bench/src/main/$(escape "$other")" >>"$TMP/cold-file"
  git_ms cat-file -p "main:$other" >>"$TMP/cold-cat"
done
for _ in 1 2 3 4 5; do page_ms /alice/bench/src/main/ >/dev/null; done

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
printf '| root tree, first view (one sample) | %.1f | | `git ls-tree main` | %.1f | | %s |\n' "$ROOT_COLD" "$ROOT_COLD_GIT" "$(ratio "$ROOT_COLD" "$ROOT_COLD_GIT")"
if [ -s "$TMP/cold-file" ]; then report "other .${FILE##*.} files, first view ($(wc -l <"$TMP/cold-file") files, once each)" cold-file cold-cat "cat-file -p main:OTHER"; fi
if [ -s "$TMP/cold" ]; then report "other directories, first view ($(wc -l <"$TMP/cold") directories, once each)" cold cold-git "ls-tree main DIR/"; fi
