"""A minimal ssh(1) stand-in built on asyncssh, with zlib@openssh.com compression, for Wharf's interop tests.
Run it with /usr/bin/python3 (Debian's python3-asyncssh belongs to that interpreter).

    asyncssh_client.py --key FILE --host-key FILE [-v] [-p PORT] [-o OPTION]... [-4|-6] [USER@]HOST [COMMAND...]

Without COMMAND it asks for a shell without a PTY (what `ssh -T` does) and copies what the server prints.
With COMMAND it execs it and copies stdin to the channel and the channel to stdout and stderr, so that git
can use it as its ssh program (GIT_SSH_COMMAND, GIT_SSH_VARIANT=ssh); `-o SendEnv=GIT_PROTOCOL` sends
GIT_PROTOCOL as an `env` request. Only zlib@openssh.com is offered for compression, so the session fails
unless the server does it. The server's host key must equal the OpenSSH public key in --host-key. The
exit status is the remote one, 255 for a connection or protocol failure or a missing exit-status.
"""
import argparse
import asyncio
import logging
import os
import sys
import warnings

# Debian's cryptography warns about ciphers asyncssh merely imports; that is noise on git's stderr.
warnings.simplefilter("ignore")

import asyncssh  # noqa: E402


def parse(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--key", required=True)
    p.add_argument("--host-key", required=True)
    p.add_argument("-v", action="store_true")
    p.add_argument("-p", type=int, default=22)
    p.add_argument("-o", action="append", default=[])
    p.add_argument("-4", dest="ipv4", action="store_true")
    p.add_argument("-6", dest="ipv6", action="store_true")
    p.add_argument("destination")
    p.add_argument("command", nargs=argparse.REMAINDER)
    return p.parse_args(argv)


async def copy_stdin(writer):
    loop = asyncio.get_running_loop()
    while True:
        data = await loop.run_in_executor(None, os.read, 0, 32768)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.write_eof()


async def copy_out(reader, fd):
    while True:
        data = await reader.read(32768)
        if not data:
            return
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]


async def run(args):
    user, _, host = args.destination.rpartition("@")
    host_key = asyncssh.read_public_key(args.host_key)
    async with asyncssh.connect(
        host,
        args.p,
        username=user or "git",
        client_keys=[args.key],
        agent_path=None,
        known_hosts=([host_key], [], []),
        compression_algs=["zlib@openssh.com"],
        config=[],
        login_timeout=30,
    ) as conn:
        print(
            "asyncssh_client: authenticated; compression "
            f"{conn.get_extra_info('send_compression')}/{conn.get_extra_info('recv_compression')}, "
            f"cipher {conn.get_extra_info('send_cipher')}",
            file=sys.stderr,
        )
        env = {}
        if args.command and "SendEnv=GIT_PROTOCOL" in args.o and os.environ.get("GIT_PROTOCOL"):
            env["GIT_PROTOCOL"] = os.environ["GIT_PROTOCOL"]
        process = await conn.create_process(
            " ".join(args.command) if args.command else None, term_type=None, env=env, encoding=None)
        copies = [copy_out(process.stdout, 1), copy_out(process.stderr, 2)]
        if args.command:
            feeder = asyncio.ensure_future(copy_stdin(process.stdin))
        else:
            process.stdin.write_eof()
            feeder = None
        await asyncio.gather(*copies)
        await process.wait_closed()
        if feeder is not None:
            feeder.cancel()
        status = process.exit_status
        if status is None or status < 0:
            print("asyncssh_client: the server sent no exit-status", file=sys.stderr)
            return 255
        return status


def main():
    args = parse(sys.argv[1:])
    if args.v:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        asyncssh.set_debug_level(2)
    try:
        status = asyncio.run(run(args))
    except (asyncssh.Error, OSError) as e:
        print(f"asyncssh_client: {type(e).__name__}: {e}", file=sys.stderr)
        status = 255
    sys.stdout.flush()
    # The thread blocked in os.read(0) on a still-open stdin must not keep the process alive.
    os._exit(status)


if __name__ == "__main__":
    main()
