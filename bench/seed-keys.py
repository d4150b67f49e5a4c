#!/usr/bin/env python3
"""Registers many SSH keys in a Wharf SQLite database at once, for bench/key-scale.sh.

    seed-keys.py --db DATA/wharf.db --keys 1000000 [--users 1000]
    seed-keys.py --authorized-keys FILE --keys 100000      # the same kind of lines for OpenSSH

Keys are ssh-ed25519 public keys with 32 random bytes as the point: nobody holds their private halves, but
every row is what `wharf admin key add` stores (normalised line, SHA256 fingerprint, type, bits, label,
uuid, ticks), so the unique fingerprint index has a million real entries to search. The column formats are
copied from a row `wharf admin key add` wrote first (the script refuses an empty table), and everything is
inserted in one transaction with one prepared statement.
"""
import argparse, base64, hashlib, os, sqlite3, struct, sys, time, uuid


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def random_key():
    blob = ssh_string(b"ssh-ed25519") + ssh_string(os.urandom(32))
    line = "ssh-ed25519 " + base64.b64encode(blob).decode()
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return line, fingerprint


def seed_database(path, keys, users):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    template = db.execute("SELECT CreatedAt FROM ssh_keys ORDER BY Id LIMIT 1").fetchone()
    if template is None:
        sys.exit("seed-keys: add one key with `wharf admin key add` first (its row is the format template)")
    ticks = template[0]
    started = time.monotonic()
    db.execute("BEGIN")
    user_ids = []
    for u in range(users):
        name = f"seed{u:07d}"
        cur = db.execute(
            "INSERT INTO users (Name, LowerName, Email, CreatedAt, IsAdmin, Uuid) VALUES (?, ?, ?, ?, 0, ?)",
            (name, name, f"{name}@example.invalid", ticks, str(uuid.uuid4()).upper()))
        user_ids.append(cur.lastrowid)
    rows = ((user_ids[i % users], fp, line, "ssh-ed25519", 256, f"seed-{i}", ticks, str(uuid.uuid4()).upper())
            for i, (line, fp) in enumerate(random_key() for _ in range(keys)))
    db.executemany(
        "INSERT INTO ssh_keys (UserId, Fingerprint, PublicKey, KeyType, Bits, Label, CreatedAt, Uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    total = db.execute("SELECT count(*) FROM ssh_keys").fetchone()[0]
    print(f"seed-keys: {keys} keys for {users} users in {time.monotonic() - started:.1f} s; ssh_keys now holds {total} rows")


def write_authorized_keys(path, keys, last):
    with open(path, "w") as f:
        for i in range(keys - (1 if last else 0)):
            f.write(random_key()[0] + f" seed-{i}\n")
        if last:
            # The client's key last: sshd reads the file from the top until a line matches (worst case).
            f.write(open(last).read().strip() + "\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--db")
    p.add_argument("--authorized-keys")
    p.add_argument("--last-key", help="public key file appended as the last authorized_keys line")
    p.add_argument("--keys", type=int, required=True)
    p.add_argument("--users", type=int, default=1000)
    a = p.parse_args()
    if a.db:
        seed_database(a.db, a.keys, a.users)
    elif a.authorized_keys:
        write_authorized_keys(a.authorized_keys, a.keys, a.last_key)
    else:
        p.error("--db or --authorized-keys")


if __name__ == "__main__":
    main()
