#!/usr/bin/env bash
# Records the seed corpora in tests/Wharf.Fuzz/corpus/ from real clients: runs `Wharf.Fuzz record` (an SSH server of
# the Wharf library on 127.0.0.1 that keeps what each client sends, after decryption, in every target's input format)
# and drives OpenSSH's ssh (every cipher, MAC and key exchange the server offers, several key types, a certificate,
# compression, env, pty, agent and port-forwarding requests), git (clone, fetch with protocol v2, push) and hg (clone)
# at it. The text targets get what OpenSSH's ssh-keygen writes: public keys in each format users paste, a
# certificate, an SSHSIG signature; PROXY headers are written as HAProxy sends them. Run it again after a protocol
# change and commit the new files; it only adds files. Needs openssh-client, git and mercurial.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$(pwd)"
corpus="$root/tests/Wharf.Fuzz/corpus"
configuration="${WHARF_TEST_CONFIGURATION:-Release}"
work="$(mktemp -d "${TMPDIR:-/tmp}/wharf-fuzz-record.XXXXXX")"
recorder_pid=
cleanup() {
  if [[ -n "$recorder_pid" ]]; then kill "$recorder_pid" 2>/dev/null || true; wait "$recorder_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build tests/Wharf.Fuzz/Wharf.Fuzz.csproj -c "$configuration" -nologo -clp:NoSummary -v q >/dev/null
fuzz="$root/tests/Wharf.Fuzz/bin/$configuration/net10.0/Wharf.Fuzz"

# Repositories the recorder serves: a few commits, so clones and pushes carry real pack negotiation.
git init -q --bare "$work/repo.git"
git init -q "$work/src"
for i in 1 2 3; do
  echo "line $i" >>"$work/src/file.txt"
  git -C "$work/src" add file.txt
  git -C "$work/src" -c user.name=fuzz -c user.email=fuzz@example.com commit -q -m "commit $i"
done
git -C "$work/src" push -q "$work/repo.git" HEAD:refs/heads/main
git --git-dir="$work/repo.git" symbolic-ref HEAD refs/heads/main
hg init "$work/hgrepo"
echo hello >"$work/hgrepo/a.txt"
hg -R "$work/hgrepo" commit -q -A -m one -u fuzz

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$corpus"
WHARF_FUZZ_GIT_REPO="$work/repo.git" WHARF_FUZZ_HG_REPO="$work/hgrepo" "$fuzz" record "$corpus" "$port" >"$work/recorder.log" 2>&1 &
recorder_pid=$!
for _ in $(seq 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then break; fi
  sleep 0.2
done

for type in ed25519 ecdsa rsa; do ssh-keygen -q -t "$type" -N '' -C "fuzz $type" -f "$work/$type"; done
ssh-keygen -q -t ed25519 -N '' -C "fuzz ca" -f "$work/ca"
ssh-keygen -q -s "$work/ca" -I fuzz-cert -n git -V +52w -O source-address=127.0.0.1 "$work/ed25519"

base=(-p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes -o BatchMode=yes)
run_ssh() { ssh "${base[@]}" "$@" </dev/null >/dev/null 2>&1 || echo "note: ssh $* exited $?"; }

# Every cipher and MAC, and every key exchange the server offers by default.
run_ssh -i "$work/ed25519" git@127.0.0.1 "git-upload-pack 'a/b.git'"
run_ssh -i "$work/ed25519" -c chacha20-poly1305@openssh.com -o KexAlgorithms=curve25519-sha256 git@127.0.0.1 whoami
run_ssh -i "$work/ecdsa" -c aes128-gcm@openssh.com -o KexAlgorithms=sntrup761x25519-sha512@openssh.com git@127.0.0.1 info
run_ssh -i "$work/rsa" -c aes256-gcm@openssh.com git@127.0.0.1 keys
run_ssh -i "$work/ed25519" -c aes128-ctr -m hmac-sha2-256-etm@openssh.com -o KexAlgorithms=diffie-hellman-group16-sha512 git@127.0.0.1 help
run_ssh -i "$work/ed25519" -c aes192-ctr -m hmac-sha2-512-etm@openssh.com -o KexAlgorithms=diffie-hellman-group18-sha512 git@127.0.0.1 host_key_info
run_ssh -i "$work/ecdsa" -c aes256-ctr -m hmac-sha2-256 -o KexAlgorithms=curve25519-sha256@libssh.org git@127.0.0.1 "help --json"
run_ssh -i "$work/rsa" -c aes128-ctr -m hmac-sha2-512 -o PubkeyAcceptedAlgorithms=rsa-sha2-256 git@127.0.0.1 whoami
# Compression, a pty, env, agent forwarding, remote port forwarding (a global request), the certificate.
run_ssh -C -i "$work/ed25519" git@127.0.0.1 "git-receive-pack 'a/b.git'"
run_ssh -tt -o SetEnv="GIT_PROTOCOL=version=2 LANG=C" -A -i "$work/ed25519" git@127.0.0.1 whoami
run_ssh -R 40999:127.0.0.1:1 -o ExitOnForwardFailure=no -i "$work/ed25519" git@127.0.0.1 info
run_ssh -o CertificateFile="$work/ed25519-cert.pub" -i "$work/ed25519" git@127.0.0.1 whoami
run_ssh -T -i "$work/ed25519" git@127.0.0.1

# git over ssh: clone (protocol v2 through GIT_PROTOCOL), fetch, push; hg clone.
export GIT_SSH_COMMAND="ssh ${base[*]} -i $work/ed25519"
git clone -q "ssh://git@127.0.0.1:$port/a/b.git" "$work/clone" || echo "note: git clone failed"
git -C "$work/clone" -c protocol.version=0 fetch -q origin || echo "note: git fetch failed"
(cd "$work/clone" && echo more >>file.txt && git add file.txt && git -c user.name=fuzz -c user.email=fuzz@example.com commit -q -m more &&
  git push -q origin HEAD:refs/heads/pushed) || echo "note: git push failed"
git archive --remote="ssh://git@127.0.0.1:$port/a/b.git" HEAD >/dev/null 2>&1 || true
hg clone -q --ssh "ssh ${base[*]} -i $work/ed25519" "ssh://git@127.0.0.1:$port/a/b" "$work/hgclone" || echo "note: hg clone failed"
unset GIT_SSH_COMMAND

"$fuzz" mlkem-seed "$corpus/kex-mlkem768x25519"
sleep 1
kill "$recorder_pid"
wait "$recorder_pid" 2>/dev/null || true
recorder_pid=

save() { # TARGET FILE: adds FILE to the target's corpus under a content name
  mkdir -p "$corpus/$1"
  cp "$2" "$corpus/$1/$(sha1sum "$2" | cut -c1-16)"
}

# Pasted key text: each format users paste (OpenSSH line, with options, RFC 4716, PEM SubjectPublicKeyInfo, PKCS#1).
for type in ed25519 ecdsa rsa; do
  save key-text "$work/$type.pub"
  ssh-keygen -e -f "$work/$type.pub" >"$work/$type.rfc4716" && save key-text "$work/$type.rfc4716"
  ssh-keygen -e -m PKCS8 -f "$work/$type.pub" >"$work/$type.pkcs8" && save key-text "$work/$type.pkcs8"
done
ssh-keygen -e -m PEM -f "$work/rsa.pub" >"$work/rsa.pem" && save key-text "$work/rsa.pem"
printf 'no-pty,command="git-shell -c \\"x\\"" %s' "$(cat "$work/ed25519.pub")" >"$work/options.pub" && save key-text "$work/options.pub"
save key-text "$work/ed25519-cert.pub"
# Certificates as a line (the blob is recorded from the login above).
save certificate "$work/ed25519-cert.pub"
ssh-keygen -q -s "$work/ca" -I host-cert -h -n localhost "$work/ecdsa" && save certificate "$work/ecdsa-cert.pub"
# SSHSIG over the message the sshsig target verifies, armored and binary.
printf 'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n' >"$work/message"
for type in ed25519 ecdsa rsa; do
  ssh-keygen -q -Y sign -f "$work/$type" -n git "$work/message" 2>/dev/null
  mv "$work/message.sig" "$work/$type.sig"
  save sshsig "$work/$type.sig"
  grep -v -- '-----' "$work/$type.sig" | base64 -d >"$work/$type.sigblob" && save sshsig "$work/$type.sigblob"
done
# Exec command lines beyond what the clients above sent.
for line in "git upload-pack 'a/b.git'" "hg -R a/b serve --stdio" "git-lfs-transfer a/b.git download" \
  "git-lfs-authenticate \"/a/b.git\" upload" "git-upload-archive '~/a/b'" "whoami --json"; do
  printf '%s' "$line" >"$work/command" && save command "$work/command"
done
# PROXY headers as HAProxy's send-proxy and send-proxy-v2 write them (proxy-protocol.txt), followed by the SSH banner.
printf 'PROXY TCP4 192.0.2.1 198.51.100.2 51234 22\r\nSSH-2.0-OpenSSH_9.2\r\n' >"$work/p1" && save proxy "$work/p1"
printf 'PROXY TCP6 2001:db8::1 2001:db8::2 51234 22\r\n' >"$work/p2" && save proxy "$work/p2"
printf 'PROXY UNKNOWN\r\n' >"$work/p3" && save proxy "$work/p3"
python3 - "$work" <<'PY'
import struct, sys
sig = b"\r\n\r\n\x00\r\nQUIT\n"
v4 = bytes([192, 0, 2, 1, 198, 51, 100, 2]) + struct.pack(">HH", 51234, 22)
tlv = b"\x04" + struct.pack(">H", 5) + b"vpc-1"
v6 = bytes(range(16)) + bytes(range(16, 32)) + struct.pack(">HH", 1, 2)
unix = b"/tmp/a".ljust(108, b"\0") + b"/tmp/b".ljust(108, b"\0")
headers = {
    "v2tcp4": sig + bytes([0x21, 0x11]) + struct.pack(">H", len(v4 + tlv)) + v4 + tlv,
    "v2tcp6": sig + bytes([0x21, 0x21]) + struct.pack(">H", len(v6)) + v6,
    "v2unix": sig + bytes([0x21, 0x31]) + struct.pack(">H", len(unix)) + unix,
    "v2local": sig + bytes([0x20, 0x00, 0x00, 0x00]),
}
for name, data in headers.items():
    open(f"{sys.argv[1]}/{name}", "wb").write(data + b"SSH-2.0-OpenSSH_9.2\r\n")
PY
for f in v2tcp4 v2tcp6 v2unix v2local; do save proxy "$work/$f"; done

for d in "$corpus"/*/; do printf '%-36s %3d seeds\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"; done
