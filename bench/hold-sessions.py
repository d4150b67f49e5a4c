#!/usr/bin/env python3
"""Opens and holds many authenticated SSH connections at once, for bench/sessions.sh and bench/soak.sh (asyncssh,
one process).

    hold-sessions.py --port P --user U --key KEY --idle N --git M --repo PATH --ready FILE --release FILE
                     [--keepalive SECONDS] [--status FILE]

idle: a connection that logged in and opened nothing (what `ssh -N` holds). git: a connection running
`git-upload-pack 'PATH'` that has read the whole ref advertisement and waits, as a fetch does while the
client thinks; released with a flush packet (no wants), after which upload-pack must exit 0.
At most --parallel handshakes run at a time. Once everything is open it writes --ready, holds until --release
exists, then closes everything and prints one summary line; exit status 1 if anything failed.
--keepalive: every connection sends a keepalive@openssh.com request this often (as `ssh -o ServerAliveInterval`
does) and drops the connection after 3 unanswered; that traffic keeps an idle connection from the server's idle
timeout. --status: while holding, rewritten every 5 s with "ALIVE LOST GIT_ENDED": connections still open, ones the
server closed, and held git-upload-pack runs that ended before release.
"""
import argparse, asyncio, os, sys
import asyncssh

failures = []
lost = 0


class Watch(asyncssh.SSHClient):
    def __init__(self):
        self.releasing = False

    def connection_lost(self, exc):
        global lost
        if not self.releasing:
            lost += 1


async def read_advertisement(stdout):
    while True:
        size = int((await stdout.readexactly(4)).decode(), 16)
        if size == 0:
            return  # flush: end of the ref advertisement
        await stdout.readexactly(size - 4)


async def open_one(a, kind, i, sem):
    async with sem:
        try:
            conn, client = await asyncio.wait_for(asyncssh.create_connection(
                Watch, a.host, a.port, username=a.user, client_keys=[a.key], known_hosts=None,
                kex_algs=[a.kex], agent_path=None, keepalive_interval=a.keepalive or None), 120)
        except Exception as e:
            failures.append(f"{kind} {i}: login: {e!r}")
            return None
        if kind == "idle":
            return conn, client, None
        try:
            proc = await conn.create_process(f"git-upload-pack '{a.repo}'", encoding=None)
            await asyncio.wait_for(read_advertisement(proc.stdout), 120)
            return conn, client, proc
        except Exception as e:
            failures.append(f"git {i}: {e!r}")
            conn.close()
            return None


async def finish(kind, i, held):
    conn, client, proc = held
    client.releasing = True
    if proc is not None:
        try:
            proc.stdin.write(b"0000")
            proc.stdin.write_eof()
            done = await asyncio.wait_for(proc.wait(), 120)
            if done.exit_status != 0:
                failures.append(f"git {i}: exit status {done.exit_status}")
        except Exception as e:
            failures.append(f"git {i}: release: {e!r}")
    conn.close()
    await conn.wait_closed()


def git_ended(held):
    return sum(1 for h in held if h is not None and h[2] is not None and h[2].exit_status is not None)


async def write_status(path, held, opened):
    while True:
        with open(path + ".tmp", "w") as f:
            f.write(f"{opened - lost} {lost} {git_ended(held)}\n")
        os.replace(path + ".tmp", path)
        await asyncio.sleep(5)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--idle", type=int, default=0)
    p.add_argument("--git", type=int, default=0)
    p.add_argument("--repo", default="")
    p.add_argument("--kex", default="curve25519-sha256")
    p.add_argument("--parallel", type=int, default=100)
    p.add_argument("--ready", required=True)
    p.add_argument("--release", required=True)
    p.add_argument("--keepalive", type=float, default=0)
    p.add_argument("--status", default="")
    a = p.parse_args()
    sem = asyncio.Semaphore(a.parallel)
    kinds = [("git", i) for i in range(a.git)] + [("idle", i) for i in range(a.idle)]
    held = await asyncio.gather(*(open_one(a, k, i, sem) for k, i in kinds))
    opened = sum(h is not None for h in held)
    status = asyncio.ensure_future(write_status(a.status, held, opened)) if a.status else None
    open(a.ready, "w").write(f"{opened}\n")
    while not os.path.exists(a.release):
        await asyncio.sleep(0.2)
    if status is not None:
        status.cancel()
    held_lost = lost
    ended = git_ended(held)
    if ended:
        failures.append(f"{ended} held git-upload-pack runs ended before release")
    await asyncio.gather(*(finish(k, i, h) for (k, i), h in zip(kinds, held) if h is not None))
    if held_lost:
        failures.append(f"{held_lost} connections closed by the server while held")
    print(f"hold-sessions: opened {opened} of {len(kinds)} ({a.git} git upload-pack, {a.idle} idle); failures: {len(failures)}")
    for f in failures[:20]:
        print("   " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
