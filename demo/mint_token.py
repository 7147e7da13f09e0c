"""Mint a signed access token for the OncoGuide widget, as a clinic's back end does when sign-in is on.

    .venv/bin/python demo/mint_token.py PATIENT_ID [--name NAME]     # prints the token
    .venv/bin/python demo/mint_token.py demo-patient --link          # prints a demo page link with it

The token is made by Chainlit's own helper (``chainlit.auth.create_jwt``): HS256, signed with
CHAINLIT_AUTH_SECRET, valid for ``[project] user_session_timeout`` of .chainlit/config.toml. The secret
is the server's: CHAINLIT_AUTH_SECRET from the environment, else the one OncoGuide generated on its
first start with sign-in on (``<ONCOGUIDE_DATA_DIR>/auth-secret``). The host page passes the token to
``window.mountChainlitWidget({accessToken: ...})``; the widget exchanges it at ``POST /auth/jwt`` for
the session cookie. See docs/WIDGET.md. Never mint tokens in the browser: the secret stays on the server.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# Chainlit reads .chainlit/config.toml (and creates .files/) under its app root when imported.
os.environ.setdefault("CHAINLIT_APP_ROOT", str(ROOT))


def server_secret() -> str | None:
    if os.environ.get("CHAINLIT_AUTH_SECRET"):
        return os.environ["CHAINLIT_AUTH_SECRET"]
    sys.path.insert(0, str(ROOT))
    from chains.settings import get_settings

    secret_file = get_settings().data_dir / "auth-secret"
    return secret_file.read_text().strip() if secret_file.exists() else None


def mint(identifier: str, display_name: str | None = None, metadata: dict | None = None) -> str:
    """A signed token for one patient; CHAINLIT_AUTH_SECRET must be set."""
    from chainlit.auth import create_jwt
    from chainlit.user import User

    return create_jwt(User(identifier=identifier, display_name=display_name, metadata=metadata or {}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("identifier", help="the patient's stable id in the clinic's system (not a name or e-mail)")
    parser.add_argument("--name", default=None, help="display name shown in the widget")
    parser.add_argument("--link", action="store_true", help="print the demo clinic page link carrying the token")
    parser.add_argument("--demo", default="http://localhost:8080/", help="demo page address (with --link)")
    parser.add_argument("--server", default="http://localhost:8000", help="OncoGuide server (with --link)")
    args = parser.parse_args()
    secret = server_secret()
    if not secret:
        sys.exit("No secret: set CHAINLIT_AUTH_SECRET to the server's, or start the server once with sign-in on")
    os.environ["CHAINLIT_AUTH_SECRET"] = secret
    token = mint(args.identifier, args.name, {"source": "clinic-portal"})
    if args.link:
        # The token travels in the fragment, which browsers never send to a server.
        print(f"{args.demo}?server={quote(args.server, safe=':/')}#access_token={token}")
    else:
        print(token)


if __name__ == "__main__":
    main()
