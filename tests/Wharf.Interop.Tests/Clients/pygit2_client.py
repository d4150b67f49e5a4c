#!/usr/bin/python3
"""libgit2 over libssh2 (Debian's python3-pygit2) against Wharf: clone, commit and push, clone again.

Usage: pygit2_client.py URL WORKDIR PUBLIC_KEY PRIVATE_KEY

Prints "pushed COMMIT" and "cloned COMMIT" (the second clone's HEAD) and exits 0; on any failure prints
libgit2's message to stderr and exits 1. libgit2 1.5 gives the application no host key to check over SSH
(pygit2's certificate_check receives none), so this test-only client accepts the host.
"""
import os
import sys

import pygit2


class Callbacks(pygit2.RemoteCallbacks):
    def __init__(self, public_key, private_key):
        super().__init__(credentials=pygit2.Keypair("git", public_key, private_key, ""))

    def certificate_check(self, certificate, valid, host):
        return True

    def push_update_reference(self, refname, message):
        if message is not None:
            raise RuntimeError(f"push of {refname} refused: {message}")


def main():
    url, workdir, public_key, private_key = sys.argv[1:5]
    callbacks = Callbacks(public_key, private_key)
    first = os.path.join(workdir, "first")
    repo = pygit2.clone_repository(url, first, callbacks=callbacks)

    with open(os.path.join(first, "README.md"), "w") as f:
        f.write("# pushed through libgit2 on libssh2\n")
    os.makedirs(os.path.join(first, "data"))
    with open(os.path.join(first, "data", "noise.bin"), "wb") as f:
        f.write(os.urandom(2 * 1024 * 1024))
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    signature = pygit2.Signature("Alice", "alice@example.com")
    commit = repo.create_commit("refs/heads/main", signature, signature, "First commit through pygit2", tree, [])
    repo.set_head("refs/heads/main")
    repo.remotes["origin"].push(["refs/heads/main:refs/heads/main"], callbacks=callbacks)
    print(f"pushed {commit}", flush=True)

    second = pygit2.clone_repository(url, os.path.join(workdir, "second"), callbacks=callbacks)
    print(f"cloned {second.head.target}", flush=True)
    with open(os.path.join(second.workdir, "data", "noise.bin"), "rb") as f:
        with open(os.path.join(first, "data", "noise.bin"), "rb") as g:
            if f.read() != g.read():
                print("the second clone's data/noise.bin differs from the pushed one", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (pygit2.GitError, RuntimeError, KeyError) as e:
        print(f"pygit2: {e}", file=sys.stderr)
        sys.exit(1)
