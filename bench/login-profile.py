#!/usr/bin/env python3
"""Sorts the perf samples that bench/login-profile.sh recorded into the phases of a login.

    bench/login-profile.py OUT_DIR [CPU_MS_PER_LOGIN]
    bench/login-profile.py --trace OUT_DIR/trace.speedscope.json     (dotnet-trace's managed samples instead)

Each sample (weighted by its period) goes to the first phase whose pattern matches a frame of its stack, in
the order of PHASES below (so a signature inside the key exchange counts as the signature). With
CPU_MS_PER_LOGIN (the "perf" phase's figure from login-profile.sh) each share is also given in ms per login.
"""
import gzip
import re
import sys

# (phase, regular expression on a frame's symbol or library), first match wins.
PHASES = [
    ("sntrup761 encapsulation", r"NtruPrime|Sntrup761"),
    ("ML-KEM encapsulation", r"MLKEM|mlkem"),
    ("X25519", r"X25519|crypto_scalarmult|curve25519"),
    ("host key signature (Ed25519)", r"SshHostKey::Sign"),
    ("user signature verification", r"SignatureVerifier"),
    ("exchange hash, key derivation", r"KeyDerivation|ServerKeyExchange"),
    ("key lookup at login (database)", r"FindPrincipalAsync|FindByFingerprintAsync"),
    ("key re-check per command (database)", r"KeyStanding.*CheckAsync|<CheckAsync>"),
    ("database writes (audit rows, last-used)", r"KeyUsageFlusher|SaveChanges|AuditLog|FlushAsync.*KeyUsage"),
    ("logging", r"Microsoft\.Extensions\.Logging|LoggerMessage|ConsoleLogger|SimpleConsoleFormatter|JsonConsoleFormatter"),
    ("git process start (fork/exec, pipes)", r"System\.Diagnostics\.Process|ForkAndExecProcess|SystemNative_ForkAndExec|copy_process|kernel_clone|do_fork|__x64_sys_vfork|__x64_sys_clone"),
    ("repository session (access check, command)", r"RepositorySessions|RepositoryCommand|AccessPolicy"),
    ("packet protection (cipher, MAC)", r"ChaCha20Poly1305Protection|AesGcmProtection|AesCtrProtection|Poly1305|chacha20"),
    ("thread-pool workers waiting for work (spin, sleep, wake)", r"LowLevelLifoSemaphore"),
    ("garbage collection", r"gc_heap|WKS::|SVR::|GCHeap|GarbageCollect"),
    ("JIT and tiering", r"libclrjit|TieredCompilation|CallCountingManager|MethodDesc::DoPrestub|ThePreStub"),
    ("sockets and the kernel's network path", r"tcp_|__sys_sendto|__sys_recvfrom|sock_|inet_|ip_|epoll|Socket"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in PHASES]


def samples(path):
    comm, period, frames = None, 0, []
    with gzip.open(path, "rt", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if comm is not None:
                    yield comm, period, frames
                comm, period, frames = None, 0, []
            elif not line.startswith(("\t", " ")):
                parts = line.split()
                # comm may contain spaces (".NET TP Worker"): the last two fields are tid and period.
                comm, period, frames = " ".join(parts[:-2]), int(parts[-1]), []
            else:
                frames.append(line.strip())
    if comm is not None:
        yield comm, period, frames


def trace_phases(path):
    """The speedscope file dotnet-trace wrote: its samples of threads running managed code, by phase.

    dotnet-trace's thread-time samples cover every thread, running or waiting; a running one has CPU_TIME as its
    innermost frame (a waiting one UNMANAGED_CODE_TIME), so only those count. Native code (libsodium, OpenSSL,
    SQLite, the kernel) shows as UNMANAGED_CODE_TIME and is missing here: perf is the measure of CPU.
    """
    import json
    with open(path) as f:
        doc = json.load(f)
    names = [frame["name"] for frame in doc["shared"]["frames"]]
    totals = {}
    for profile in doc["profiles"]:
        stack, last = [], None
        for event in profile.get("events", []):
            at = event["at"]
            if last is not None and stack and at > last:
                frames = [names[i] for i in stack]
                if frames[-1] == "CPU_TIME":
                    phase = "the rest"
                    for name, pattern in COMPILED:
                        if any(pattern.search(frame) for frame in frames):
                            phase = name
                            break
                    totals[phase] = totals.get(phase, 0) + at - last
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                stack.pop()
    return totals


def main():
    if sys.argv[1] == "--trace":
        totals = trace_phases(sys.argv[2])
        total = sum(totals.values())
        for name, value in sorted(totals.items(), key=lambda kv: -kv[1]):
            print(f"{name:48} {value / total * 100:6.1f}%")
        return
    out = sys.argv[1]
    per_login = float(sys.argv[2]) if len(sys.argv) > 2 else None
    totals, children, total = {}, 0, 0
    for comm, period, frames in samples(f"{out}/perf.script.gz"):
        total += period
        if comm.startswith("git"):
            children += period
            continue
        phase = "the rest (runtime, threads, async machinery, other)"
        for name, pattern in COMPILED:
            if any(pattern.search(frame) for frame in frames):
                phase = name
                break
        totals[phase] = totals.get(phase, 0) + period
    rows = sorted(totals.items(), key=lambda kv: -kv[1]) + [("git processes (after exec)", children)]
    print(f"{'phase':48} {'share':>7}" + (f" {'ms/login':>9}" if per_login else ""))
    for name, value in rows:
        share = value / total if total else 0
        print(f"{name:48} {share * 100:6.1f}%" + (f" {share * per_login:9.2f}" if per_login else ""))


if __name__ == "__main__":
    main()
