"""Process start-up for the Chainlit app: settings, sign-in secret and first account, data layer."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
from collections.abc import Callable

from chains.settings import Settings, get_settings
from chains.ui.persistence import OncoGuideDataLayer, ensure_schema
from chains.ui.users import UserStore, ensure_first_user

log = logging.getLogger("oncoguide.app")
settings = get_settings()


def warn_without_care_team_number(settings: Settings) -> bool:
    """Urgent replies show the care-team line as configured; say so at start-up when it holds no phone number."""
    if any(ch.isdigit() for ch in settings.care_team_line):
        return False
    log.warning(
        "ONCOGUIDE_CARE_TEAM_LINE has no phone number (%r): urgent replies cannot give patients the number to call. "
        "Set it to the deployment's 24-hour line, e.g. 'the 24-hour oncology line, (555) 010-2400'.",
        settings.care_team_line,
    )
    return True


def configure_auth(settings: Settings) -> UserStore:
    """Chainlit signs session tokens with CHAINLIT_AUTH_SECRET; keep one per deployment if none is set."""
    if not os.environ.get("CHAINLIT_AUTH_SECRET"):
        secret_file = settings.data_dir / "auth-secret"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(48))
            secret_file.chmod(0o600)
        os.environ["CHAINLIT_AUTH_SECRET"] = secret_file.read_text().strip()
    users = UserStore(settings)
    created = ensure_first_user(users)
    if created:
        name, password = created
        banner = f"No accounts yet: created '{name}' with password '{password}' (add your own: python -m chains.ui.users add NAME)"
        print(f"\n  {banner}\n", flush=True)
        log.warning(banner)
    return users


def _run_in_thread(coroutine_factory: Callable) -> None:
    """Run a coroutine to completion whether or not an event loop is already running here."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine_factory())
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def data_layer_factory(settings: Settings) -> Callable[[], OncoGuideDataLayer]:
    """Chainlit asks for the data layer lazily; the schema is created on first use."""
    layer: list[OncoGuideDataLayer] = []

    def factory() -> OncoGuideDataLayer:
        if not layer:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            _run_in_thread(lambda: ensure_schema(settings.sqlalchemy_url))
            from chains.ui.file_store import storage_client

            layer.append(OncoGuideDataLayer(settings.sqlalchemy_url, storage_client(settings), settings.keep_uploads))
        return layer[0]

    return factory
