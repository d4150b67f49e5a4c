#!/usr/bin/env bash
# Writes a PNG of every page of the browser walk, at 1280 px and at 390 px (a phone), into docs/screenshots/:
# NAME-1280.png and NAME-390.png for each page of tests/Wharf.Browser.Tests/SitePages.cs (ssh-keys-1280.png,
# guide-390.png, ...). It runs the walk (PageWalkTests) with WHARF_SCREENSHOTS=docs/screenshots: one
# in-process `wharf serve` on SQLite with demo data (DemoSite: accounts, SSH keys, repositories with commits
# pushed over SSH, a grant, an access key, a token) and Debian's /usr/bin/chromium; nothing is downloaded.
# Each row takes its screenshot before its checks, so the pictures are written even when the walk finds
# problems; those are printed, and do not change the exit status.
#
# Exit status: 0 when every page has both pictures and every picture README.md shows exists; 1 otherwise.
# Needs the .NET SDK, git, openssh-client and chromium (scripts/test.sh installs them).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=docs/screenshots
project=tests/Wharf.Browser.Tests

[[ -x /usr/bin/chromium ]] || { echo "error: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }

dotnet build "$project" -c Release -nologo -clp:NoSummary -v quiet
mkdir -p "$out"
rm -f "$out"/*.png

walk=0
WHARF_SCREENSHOTS="$out" WHARF_TEST_DATABASE=sqlite \
  dotnet test "$project" -c Release --no-build -nologo \
    --filter "FullyQualifiedName~Wharf.Browser.Tests.PageWalkTests" --logger "console;verbosity=minimal" || walk=$?
if ((walk)); then
  echo "note: the walk found problems on some pages (listed above); their screenshots are written all the same" >&2
fi

status=0
# Every page in the walk's list, at both widths.
pages=$(sed -n 's/^ *new("\([^"]*\)", "\/.*/\1/p' "$project/SitePages.cs")
for page in $pages; do
  for width in 1280 390; do
    [[ -s "$out/$page-$width.png" ]] || { echo "error: no screenshot of '$page' at $width px ($out/$page-$width.png)" >&2; status=1; }
  done
done
# Every screenshot README.md shows.
for image in $(grep -o 'docs/screenshots/[A-Za-z0-9._-]*\.png' README.md | sort -u); do
  [[ -s "$image" ]] || { echo "error: README.md shows $image, which the walk did not write (is its page in $project/SitePages.cs?)" >&2; status=1; }
done

echo "$(find "$out" -name '*.png' | wc -l) screenshots in $out/"
exit "$status"
