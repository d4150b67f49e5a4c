#!/usr/bin/env bash
# Runs every Wharf test. Run from anywhere on a fresh Debian 12 machine that has the .NET SDK, as root (the
# OpenSSH front-end tests start Debian's sshd with a config of their own, which only root may do; as another
# user the script stops at once and says so): it installs the Debian packages the tests use (only when one is
# missing), builds Wharf.slnx, starts a private PostgreSQL server (scripts/postgres-test-server.sh: its own data
# directory and port, stopped and removed at the end, also on failure), runs every test project with TRX results
# in TestResults/, then runs tests/Wharf.Server.Tests a second time on PostgreSQL (TRX in TestResults/postgres/),
# fuzzes every parser under AFL++ for about two minutes (scripts/fuzz.sh; a crash or hang counts as a failed test),
# and ends with one summary line that counts both runs:
#   N passed, N failed, N skipped
# Exit status: 0 only when at least one test ran and none failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
configuration="${WHARF_TEST_CONFIGURATION:-Release}"
results="$root/TestResults"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }

summary() { # passed failed skipped
  printf '\n%s passed, %s failed, %s skipped\n' "$1" "$2" "$3"
}

if [[ "$(id -u)" -ne 0 ]]; then
  echo "error: scripts/test.sh must run as root (for example: sudo env \"PATH=\$PATH\" scripts/test.sh): it installs" \
    "Debian packages, and the OpenSSH front-end tests start sshd, which needs root" >&2
  summary 0 0 0
  exit 1
fi

# ---------------------------------------------------------------------------------------------------------
# 1. Debian packages: the real clients the interop tests drive (openssh-client, git, ssh-audit), openssh-server
#    for the OpenSSH front-end tests (tests/Wharf.Interop.Tests/OpenSshFrontEndTests.cs run Debian's sshd in
#    front of `wharf keys authorized` and `wharf shell`), mercurial for the hg tests, python3 for the summary
#    below, procps (pgrep and kill: the graceful-shutdown tests signal `wharf serve`, the PuTTY tests end pageant),
#    and the client matrix (tests/Wharf.Interop.Tests/Clients): PuTTY's plink and puttygen (putty-tools) and
#    pageant (putty), dropbear's dbclient, paramiko and asyncssh for /usr/bin/python3, and libssh-dev with gcc
#    and pkg-config to compile a small libssh client at test time; chromium for the browser tests
#    (tests/Wharf.Browser.Tests, Playwright drives /usr/bin/chromium: nothing is downloaded by Playwright
#    itself); python3-aiosmtpd, the real SMTP server the mail tests (tests/Wharf.Server.Tests/MailTests.cs) send
#    to; postgresql for the second run of the server tests and the several-nodes interop tests (only its
#    binaries are used: the policy below keeps the package from starting the system's cluster); haproxy
#    (tests/Wharf.Interop.Tests/ProxyProtocolTests.cs and SeveralNodesBehindHaproxyTests.cs put it in front of one
#    and of two `wharf serve` with send-proxy-v2; the
#    same policy keeps its service from starting), python3-pygit2 and curl (libgit2 and curl on libssh2 1.10,
#    tests/Wharf.Interop.Tests/Clients/Libssh2ClientTests.cs), git-lfs (tests/Wharf.Interop.Tests/LfsTests.cs), openssh-tests (OpenSSH's software security key,
#    /usr/lib/openssh/regress/misc/sk-dummy/sk-dummy.so: ed25519-sk and ecdsa-sk keys sign commits and log in
#    without hardware, tests/Wharf.Interop.Tests/SecurityKeySigningTests.cs), afl++ (coverage-guided fuzzing of the
#    parsers, scripts/fuzz.sh, step 3b).
# ---------------------------------------------------------------------------------------------------------
packages=(openssh-client openssh-server git ssh-audit mercurial python3 procps
  putty-tools putty dropbear-bin python3-paramiko python3-asyncssh libssh-dev gcc libc6-dev pkg-config chromium
  python3-aiosmtpd postgresql haproxy python3-pygit2 curl git-lfs openssh-tests afl++)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  say "installing missing Debian packages: ${missing[*]}"
  # Installing openssh-server or postgresql must not start an sshd or a PostgreSQL cluster on this machine: a
  # policy-rc.d that says 101 ("action forbidden") keeps invoke-rc.d from starting services. The trap removes it
  # again however this block ends (apt done, apt failed, Ctrl+C or a kill), so no service start stays blocked.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    trap 'rm -f "$policy"' EXIT
    trap 'rm -f "$policy"; exit 130' INT
    trap 'rm -f "$policy"; exit 143' TERM
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
  fi
  status=0
  { apt-get update -q &&
    apt-get install -y -q --no-install-recommends "${missing[@]}"; } || status=$?
  if [[ "$(trap -p EXIT)" == *policy* ]]; then
    rm -f "$policy"
    trap - EXIT INT TERM
  fi
  if ((status)); then
    echo "error: apt-get could not install: ${missing[*]}" >&2
    summary 0 0 0
    exit 1
  fi
else
  say "Debian packages present: ${packages[*]}"
fi

command -v dotnet >/dev/null || { echo "error: the .NET SDK (dotnet) is not on PATH" >&2; summary 0 0 0; exit 1; }
say "dotnet $(dotnet --version), git $(git --version | cut -d' ' -f3), $(ssh -V 2>&1)"

# ---------------------------------------------------------------------------------------------------------
# The Bitbucket API client BitbucketClientTests drives (tests/Wharf.Server.Tests/BitbucketClient): the
# `bitbucket` npm package at the version its package-lock.json pins, installed into that folder's
# node_modules by npm from the npm registry. Needs node and npm on PATH.
# ---------------------------------------------------------------------------------------------------------
bitbucket_client="$root/tests/Wharf.Server.Tests/BitbucketClient"
command -v npm >/dev/null || { echo "error: npm is not on PATH (needed for $bitbucket_client)" >&2; summary 0 0 0; exit 1; }
say "npm ci in $bitbucket_client"
if ! (cd "$bitbucket_client" && npm ci --no-audit --no-fund); then
  echo "error: npm ci failed in $bitbucket_client" >&2
  summary 0 0 0
  exit 1
fi

# ---------------------------------------------------------------------------------------------------------
# 2. Build once, then test every project of the solution without building again.
# ---------------------------------------------------------------------------------------------------------
rm -rf "$results"
mkdir -p "$results"

say "dotnet build Wharf.slnx -c $configuration"
if ! dotnet build Wharf.slnx -c "$configuration" -nologo -clp:NoSummary; then
  echo "error: the build failed (warnings are errors)" >&2
  summary 0 0 0
  exit 1
fi

# ---------------------------------------------------------------------------------------------------------
# 3. A private PostgreSQL server for this run: WHARF_TEST_POSTGRES names it to the tests. Without it the
#    PostgreSQL tests would fail one by one; say why once and stop instead.
# ---------------------------------------------------------------------------------------------------------
pgdir="$(mktemp -d "${TMPDIR:-/tmp}/wharf-postgres.XXXXXX")"
stop_postgres() { bash "$root/scripts/postgres-test-server.sh" stop "$pgdir" || true; }
trap stop_postgres EXIT
say "starting a private PostgreSQL server in $pgdir"
if ! pgenv="$(bash "$root/scripts/postgres-test-server.sh" start "$pgdir")"; then
  echo "error: could not start PostgreSQL for the tests (see above)" >&2
  summary 0 1 0
  exit 1
fi
eval "$pgenv"

say "dotnet test Wharf.slnx -c $configuration"
test_status=0
# The hang timeout kills a test host stuck for 10 minutes (and records which test it was in), so a hang
# fails the run instead of eating CI's 90 minutes; the outer timeouts (50 and 25 minutes, room for a loaded
# 2-core machine, inside CI's 90) are the last resort.
timeout --kill-after=30s 50m \
  dotnet test Wharf.slnx -c "$configuration" --no-build -nologo \
    --results-directory "$results" \
    --logger trx \
    --logger "console;verbosity=minimal" \
    --blame-hang-timeout 10m --blame-hang-dump-type none \
  || test_status=$?

say "dotnet test tests/Wharf.Server.Tests -c $configuration on PostgreSQL (WHARF_TEST_DATABASE=postgres)"
timeout --kill-after=30s 25m env WHARF_TEST_DATABASE=postgres \
  dotnet test tests/Wharf.Server.Tests/Wharf.Server.Tests.csproj -c "$configuration" --no-build -nologo \
    --results-directory "$results/postgres" \
    --logger "trx;LogFileName=Wharf.Server.Tests.postgres.trx" \
    --logger "console;verbosity=minimal" \
    --blame-hang-timeout 10m --blame-hang-dump-type none \
  || test_status=$?

# ---------------------------------------------------------------------------------------------------------
# 3b. Coverage-guided fuzzing (scripts/fuzz.sh, tests/Wharf.Fuzz): every target for WHARF_FUZZ_SECONDS (default 3)
#     under AFL++, about two minutes in all. A crash or hang fails the run and counts as one failed test.
# ---------------------------------------------------------------------------------------------------------
say "scripts/fuzz.sh ${WHARF_FUZZ_SECONDS:-3}"
fuzz_status=0
timeout --kill-after=30s 20m bash "$root/scripts/fuzz.sh" "${WHARF_FUZZ_SECONDS:-3}" || fuzz_status=$?

# ---------------------------------------------------------------------------------------------------------
# 4. Count what ran from the TRX files: one per test project (a test host that crashed writes none, and
#    then dotnet test's own exit status says so). Default TRX names: the logger makes each one unique.
# ---------------------------------------------------------------------------------------------------------
py="$(command -v /usr/bin/python3 || command -v python3 || echo python3)"
count_trx() { # DIR: prints "passed failed skipped files" for the TRX files below DIR
  "$py" - "$1" <<'PY'
import glob, os, sys
import xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
passed = failed = skipped = files = 0
# Count each test result by its outcome: the Counters element leaves skipped tests out of notExecuted.
for path in sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True)):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"unreadable TRX {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    files += 1
    for result in root.iter(f"{ns}UnitTestResult"):
        outcome = result.get("outcome", "")
        if outcome == "Passed":
            passed += 1
        elif outcome in ("NotExecuted", "Inconclusive", "Pending"):
            skipped += 1
        else:  # Failed, Error, Timeout, Aborted, ...
            failed += 1
print(passed, failed, skipped, files)
PY
}
counts="$(count_trx "$results")" || { echo "error: could not read the TRX results" >&2; counts="0 1 0 0"; }
read -r passed failed skipped projects <<<"$counts"
pg_counts="$(count_trx "$results/postgres")" || pg_counts="0 1 0 0"
read -r pg_passed pg_failed pg_skipped pg_projects <<<"$pg_counts"
say "on PostgreSQL (TestResults/postgres): $pg_passed passed, $pg_failed failed, $pg_skipped skipped"
say "on SQLite and the other projects: $((passed - pg_passed)) passed, $((failed - pg_failed)) failed, $((skipped - pg_skipped)) skipped"

# The failed tests last, by name with the start of their message and stack, so the end of a long log says
# which test failed and why without a search through the output above.
"$py" - "$results" <<'PY' || true
import glob, os, sys
import xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
for path in sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True)):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        continue
    for result in root.iter(f"{ns}UnitTestResult"):
        if result.get("outcome") in ("Passed", "NotExecuted"):
            continue
        print(f"FAILED {result.get('testName')} ({os.path.relpath(path, sys.argv[1])}, {result.get('duration')})")
        for tag, lines in (("Message", 25), ("StackTrace", 12)):
            element = result.find(f".//{ns}{tag}")
            if element is not None and element.text:
                for line in element.text.strip().splitlines()[:lines]:
                    print(f"    {line}")
PY
say "TRX results: $projects file(s) in ${results#"$root"/}"
exit_status=0
if ((test_status != 0)); then
  echo "error: dotnet test exited with status $test_status" >&2
  exit_status=1
  # A crashed or killed test host leaves no failed test in the counts: count the run itself as one.
  if ((failed == 0)); then failed=1; fi
fi
if ((fuzz_status != 0)); then
  echo "error: scripts/fuzz.sh exited with status $fuzz_status (a crash, a hang, or afl-fuzz could not run: see above)" >&2
  failed=$((failed + 1))
fi
if ((failed > 0)); then exit_status=1; fi
if ((passed + failed == 0)); then
  echo "error: no test ran" >&2
  exit_status=1
fi
if ((pg_passed + pg_failed == 0)); then
  echo "error: no test ran on PostgreSQL" >&2
  exit_status=1
  failed=$((failed + 1))
fi

summary "$passed" "$failed" "$skipped"
exit "$exit_status"
