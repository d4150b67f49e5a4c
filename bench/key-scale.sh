#!/usr/bin/env bash
# Does login time grow with the number of registered keys? (issue 6, point 4)
#
#   sudo bench/key-scale.sh                        # publishes Wharf.Server (Release) first
#   WHARF_DLL=/path/to/wharf.dll RUNS=50 bench/key-scale.sh
#
# Two `wharf serve` processes, one whose database holds 10 keys and one with 1,000,000 (KEYS), and three
# Debian sshd processes whose authorized_keys files hold 1,000 / 10,000 / 100,000 lines (AK_SIZES), the
# client's key last (sshd reads the file until a line matches). The same client key logs in to all five.
# RUNS rounds of one `ssh` to each target in turn (so background load on this shared machine falls on all
# alike); median and p95 of connect+authenticate+exit per target. Wharf: `ssh -T git@` (the greeting);
# sshd: `ssh root@ true`. Everything lives in one temp dir removed on exit.
set -euo pipefail

RUNS=${RUNS:-50}
KEYS=${KEYS:-1000000}
AK_SIZES=${AK_SIZES:-"1000 10000 100000"}
KEX=${KEX:-curve25519-sha256}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root: sshd needs it for a private config with -f" >&2; exit 2; }

TMP=$(mktemp -d /tmp/wharf-key-scale.XXXXXX)
. "$ROOT/bench/lib.sh"
install_missing sshd:openssh-server ssh:openssh-client sqlite3:sqlite3 python3:python3
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "== $(/usr/sbin/sshd -V 2>&1 | head -1 || true); $(ssh -V 2>&1)"
mkdir -p "$TMP/client"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/client/id_ed25519"
export HOME="$TMP/client"
publish_wharf

# --- two Wharf databases: 10 keys and KEYS keys, the client's among them ----------------------------------------
seed() { # name total
  local data="$TMP/$1-data"
  wharf admin user create bench --email bench@example.invalid --data "$data" >/dev/null
  wharf admin key add bench --label bench --data "$data" <"$TMP/client/id_ed25519.pub" >/dev/null
  python3 "$ROOT/bench/seed-keys.py" --db "$data/wharf.db" --keys $(($2 - 1)) --users $(($2 < 1000 ? 1 : 1000))
}
echo "== seeding"
seed small 10
seed large "$KEYS"
echo "== the login lookup, as SQLite plans it on the large database:"
sqlite3 "$TMP/large-data/wharf.db" "EXPLAIN QUERY PLAN SELECT s.Id, s.PublicKey, u.Id, u.Name FROM ssh_keys AS s
  INNER JOIN users AS u ON s.UserId = u.Id WHERE s.Fingerprint = 'SHA256:x' LIMIT 2" | sed 's/^/   /'
echo "   ($(du -h "$TMP/large-data/wharf.db" | cut -f1) database)"

SMALL_PORT=$(free_port); start_wharf small "$TMP/small-data" "$SMALL_PORT"; PIDS+=("$small_TIMEOUT_PID")
LARGE_PORT=$(free_port); start_wharf large "$TMP/large-data" "$LARGE_PORT"; PIDS+=("$large_TIMEOUT_PID")

# --- sshd with authorized_keys of each size ------------------------------------------------------------------------
declare -A SSHD_PORTS
for n in $AK_SIZES; do
  python3 "$ROOT/bench/seed-keys.py" --authorized-keys "$TMP/ak-$n" --keys "$n" --last-key "$TMP/client/id_ed25519.pub"
  SSHD_PORTS[$n]=$(free_port)
  start_sshd "sshd$n" "${SSHD_PORTS[$n]}" "$TMP/ak-$n"
  pid_var="sshd${n}_PID"; PIDS+=("${!pid_var}")
done

SSH_COMMON=(-F /dev/null -i "$TMP/client/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes -o KexAlgorithms="$KEX"
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostKeyAlgorithms=ssh-ed25519)
login() { # target -> one connect+auth+exit; fails the script if the login fails
  case $1 in
    wharf-*) local port=$SMALL_PORT; [ "$1" = wharf-large ] && port=$LARGE_PORT
             ssh "${SSH_COMMON[@]}" -T -p "$port" git@127.0.0.1 >/dev/null 2>"$TMP/err" ;;
    sshd-*)  ssh "${SSH_COMMON[@]}" -p "${SSHD_PORTS[${1#sshd-}]}" "$(id -un)@127.0.0.1" true 2>"$TMP/err" ;;
  esac || { echo "login to $1 failed:"; cat "$TMP/err"; tail -20 "$TMP/${1#wharf-}.log" 2>/dev/null; exit 1; }
}
TARGETS="wharf-small wharf-large"
for n in $AK_SIZES; do TARGETS="$TARGETS sshd-$n"; done
for t in $TARGETS; do login "$t"; login "$t"; : >"$TMP/t-$t"; done # warm up (JIT, page cache) and check
for i in $(seq 1 "$RUNS"); do
  for t in $TARGETS; do
    t0=$(now_ns); login "$t"; t1=$(now_ns); echo $(((t1 - t0) / 1000)) >>"$TMP/t-$t"
  done
done

echo ""
echo "connect+authenticate+exit, $RUNS rounds, targets interleaved; kex $KEX, ed25519 keys; ms"
printf '%-34s %10s %10s\n' target median p95
for t in $TARGETS; do
  case $t in
    wharf-small) label="wharf, 10 keys in the database" ;;
    wharf-large) label="wharf, $KEYS keys in the database" ;;
    sshd-*)      label="sshd, ${t#sshd-} authorized_keys lines" ;;
  esac
  printf '%-34s %10s %10s\n' "$label" "$(median <"$TMP/t-$t" | awk '{ printf "%.1f", $1 / 1000 }')" "$(p95 <"$TMP/t-$t" | awk '{ printf "%.1f", $1 / 1000 }')"
done
ws=$(median <"$TMP/t-wharf-small"); wl=$(median <"$TMP/t-wharf-large")
echo ""
echo "wharf median ratio, $KEYS keys / 10 keys: $(ratio "$wl" "$ws")"
first=${AK_SIZES%% *}; last=${AK_SIZES##* }
echo "sshd median ratio, $last lines / $first lines: $(ratio "$(median <"$TMP/t-sshd-$last")" "$(median <"$TMP/t-sshd-$first")")"
