#!/usr/bin/env bash
# History pages' speed: the commit list and a commit with its diff, served by a running `wharf serve`, against git
# itself reading the same things from the same bare repository.
#
#   bench/browse-history.sh                         # this repository's own history (the clone bench/.. lives in)
#   bench/browse-history.sh /path/to/any/repository # any git repository (its HEAD is pushed as main)
#   RUNS=100 FIRST=20 COMMIT=<id> WHARF_DLL=/path/to/wharf.dll bench/browse-history.sh
#   REF=v2.0.0 bench/browse-history.sh /tmp/git.git # a tag or branch of any repository, bare or not, pushed as main
#
# Pushes the repository's HEAD, or REF, (as main) over SSH into a fresh `wharf serve`, signs in through the web form,
# times first views once each (FIRST list pages after the first, FIRST other commits; default RUNS), then times,
# interleaved RUNS times each: the commit list (/OWNER/NAME/commits, 30 commits), a commit page with its diff
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
browse_setup "$SOURCE"
COMMIT=${COMMIT:-$(git --git-dir "$BARE" rev-list -n 1 --no-merges main)}
COMMITS=$(git --git-dir "$BARE" rev-list --count main)
CHANGED=$(git --git-dir "$BARE" diff-tree -r --root --no-commit-id --name-only -m --first-parent "$COMMIT" | wc -l)
LINES=$(git --git-dir "$BARE" show --format= "$COMMIT" | wc -l)
echo "   $COMMITS commits; commit $COMMIT: $CHANGED files, $LINES patch lines"

# Warm up: JIT, the first process starts, the page cache. Pages 2 and later of the list and the other commits are not
# loaded yet, so their views below are first views.
for _ in 1 2 3 4 5; do page_ms /alice/bench/commits >/dev/null; page_ms "/alice/bench/commits/$COMMIT" >/dev/null; done

# First views: a list page or a commit never shown before reads git (a list kept by the branch's commit, a small diff
# kept by commit id, serve later views). Pages 2 to FIRST+1 of the list once each, next to `git log -n 30 --skip=S main`;
# FIRST other non-merge commits once each, next to `git show OTHER`.
FIRST=${FIRST:-$RUNS}
: >"$TMP/cold-list"; : >"$TMP/cold-log"; : >"$TMP/cold-commit"; : >"$TMP/cold-show"
echo "== first views: $FIRST list pages and $FIRST other commits, once each"
for page in $(seq 2 $((FIRST + 1))); do
  page_ms "/alice/bench/commits?page=$page" >>"$TMP/cold-list"
  git_ms log -n 30 --skip=$(((page - 1) * 30)) main >>"$TMP/cold-log"
done
git --git-dir "$BARE" rev-list -n $((FIRST + 1)) --no-merges main >"$TMP/others"
while read -r other; do
  [ "$other" = "$COMMIT" ] && continue
  page_ms "/alice/bench/commits/$other" >>"$TMP/cold-commit"
  git_ms show "$other" >>"$TMP/cold-show"
done <"$TMP/others"

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
report "list pages 2 to $((FIRST + 1)), first view (once each)" cold-list cold-log "log -n 30 --skip=S main"
report "other commits, first view ($(wc -l <"$TMP/cold-commit") commits, once each)" cold-commit cold-show "show OTHER"
