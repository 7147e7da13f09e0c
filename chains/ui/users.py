"""Patients' sign-in accounts: names with bcrypt password hashes, from a JSON file or the environment.

.venv/bin/python -m chains.ui.users add NAME        # asks for a password, stores only its hash
.venv/bin/python -m chains.ui.users list
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys

import bcrypt

from chains.settings import Settings, get_settings


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


class UserStore:
    """Reads users once; verifies passwords against their bcrypt hashes."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.users_path
        self._users: dict[str, str] = {}
        if self.path.exists():
            self._users.update(json.loads(self.path.read_text(encoding="utf-8")))
        for entry in (settings.users or "").split(","):
            if ":" in entry:
                name, hashed = entry.split(":", 1)
                self._users[name.strip()] = hashed.strip()

    def __len__(self) -> int:
        return len(self._users)

    def names(self) -> list[str]:
        return sorted(self._users)

    def verify(self, name: str, password: str) -> bool:
        hashed = self._users.get(name)
        if not hashed:
            bcrypt.checkpw(b"timing", hash_password("equaliser"))  # same cost whether or not the user exists
            return False
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))

    def add(self, name: str, password: str) -> None:
        self._users[name] = hash_password(password)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stored = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        stored[name] = self._users[name]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)


def ensure_first_user(store: UserStore) -> tuple[str, str] | None:
    """On a deployment with no accounts yet, create 'demo' with a random password (returned once)."""
    if len(store):
        return None
    password = secrets.token_urlsafe(9)
    store.add("demo", password)
    return "demo", password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage OncoGuide sign-in accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add or reset a user")
    add.add_argument("name")
    sub.add_parser("list", help="list user names")
    args = parser.parse_args(argv)
    store = UserStore(get_settings())
    if args.command == "list":
        print("\n".join(store.names()))
        return 0
    password = getpass.getpass(f"Password for {args.name}: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if len(password) < 8:
        print("Use at least 8 characters.", file=sys.stderr)
        return 1
    store.add(args.name, password)
    print(f"Saved {args.name} in {store.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
