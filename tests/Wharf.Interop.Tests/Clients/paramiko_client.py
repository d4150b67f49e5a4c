"""A minimal ssh(1) stand-in built on paramiko, for Wharf's interop tests. Run it with /usr/bin/python3
(Debian's python3-paramiko belongs to that interpreter).

    paramiko_client.py --key FILE --host-key FILE [-v] [-p PORT] [-o OPTION]... [-4|-6] [USER@]HOST [COMMAND...]

Without COMMAND it opens a session without a PTY and asks for a shell (what `ssh -T` does) and copies what
the server prints. With COMMAND it execs it and copies stdin to the channel and the channel to stdout and
stderr, so that git can use it as its ssh program (GIT_SSH_COMMAND, GIT_SSH_VARIANT=ssh). With
`-o SendEnv=GIT_PROTOCOL` the GIT_PROTOCOL variable is sent as an `env` request, as OpenSSH does.
The server's host key must equal the OpenSSH public key in --host-key. The exit status is the remote one,
255 for a connection or protocol failure and when the server sent no exit-status.
"""
import argparse
import base64
import hashlib
import logging
import os
import sys
import threading

import paramiko


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


def fingerprint(blob):
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def pump(read, fd):
    while True:
        data = read(32768)
        if not data:
            return
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]


def main():
    args = parse(sys.argv[1:])
    if args.v:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    user, _, host = args.destination.rpartition("@")
    user = user or "git"
    expected = base64.b64decode(open(args.host_key).read().split()[1])

    transport = paramiko.Transport((host, args.p))
    try:
        transport.start_client(timeout=30)
        served = transport.get_remote_server_key()
        if served.asbytes() != expected:
            print(f"paramiko_client: host key mismatch: server sent {served.get_name()} {fingerprint(served.asbytes())}, "
                  f"expected {fingerprint(expected)}", file=sys.stderr)
            return 255
        print(f"paramiko_client: server host key {served.get_name()} {fingerprint(served.asbytes())}", file=sys.stderr)
        transport.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(args.key))
        print(f"paramiko_client: authenticated; cipher {transport.remote_cipher}, mac {transport.remote_mac}", file=sys.stderr)

        channel = transport.open_session(timeout=30)
        if not args.command:
            channel.invoke_shell()  # a shell request without a pty-req, as `ssh -T`
            channel.shutdown_write()
        else:
            if "SendEnv=GIT_PROTOCOL" in args.o and os.environ.get("GIT_PROTOCOL"):
                channel.set_environment_variable("GIT_PROTOCOL", os.environ["GIT_PROTOCOL"])
            channel.exec_command(" ".join(args.command))

            def feed():
                try:
                    while True:
                        data = os.read(0, 32768)
                        if not data:
                            break
                        channel.sendall(data)
                finally:
                    channel.shutdown_write()

            threading.Thread(target=feed, daemon=True).start()

        out = threading.Thread(target=pump, args=(channel.recv, 1))
        err = threading.Thread(target=pump, args=(channel.recv_stderr, 2))
        out.start()
        err.start()
        out.join()
        err.join()
        status = channel.recv_exit_status()
        channel.close()
        if status < 0:
            print("paramiko_client: the server sent no exit-status", file=sys.stderr)
            return 255
        return status
    except (paramiko.SSHException, OSError) as e:
        print(f"paramiko_client: {type(e).__name__}: {e}", file=sys.stderr)
        return 255
    finally:
        transport.close()


if __name__ == "__main__":
    sys.exit(main())
