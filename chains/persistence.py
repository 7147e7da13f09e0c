"""Conversation persistence through Chainlit's SQLAlchemy data layer.

SQLite (a file in the data directory) by default, PostgreSQL when ``DATABASE_URL`` is set. The schema
is created on first start. OncoGuide keeps each thread's conversation state (memory, focus, the pending
clarification and the patient profile) in a table of its own, ``oncoguide_states``, rather than in the
thread's metadata: Chainlit read-modify-writes that metadata on its own schedule (e.g. at disconnect),
and concurrent writes there lost the saved state.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chains.settings import Settings

log = logging.getLogger("oncoguide.persistence")

# Chainlit's documented schema (docs.chainlit.io/data-layers/sqlalchemy), with portable types so the
# same statements create it on SQLite; PostgreSQL gets UUID/JSONB/TEXT[] from the _PG variant.
_TABLES = {
    "users": """CREATE TABLE IF NOT EXISTS users (
        "id" {uuid} PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE, "metadata" {json} NOT NULL, "createdAt" TEXT)""",
    "threads": """CREATE TABLE IF NOT EXISTS threads (
        "id" {uuid} PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" {uuid}, "userIdentifier" TEXT,
        "tags" {array}, "metadata" {json},
        FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE)""",
    "steps": """CREATE TABLE IF NOT EXISTS steps (
        "id" {uuid} PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL, "threadId" {uuid} NOT NULL,
        "parentId" {uuid}, "streaming" BOOLEAN NOT NULL, "waitForAnswer" BOOLEAN, "isError" BOOLEAN,
        "metadata" {json}, "tags" {array}, "input" TEXT, "output" TEXT, "createdAt" TEXT, "command" TEXT,
        "start" TEXT, "end" TEXT, "generation" {json}, "showInput" TEXT, "language" TEXT, "indent" INT,
        "defaultOpen" BOOLEAN, "autoCollapse" BOOLEAN, "modes" {json}, "icon" TEXT,
        FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
    "elements": """CREATE TABLE IF NOT EXISTS elements (
        "id" {uuid} PRIMARY KEY, "threadId" {uuid}, "type" TEXT, "url" TEXT, "chainlitKey" TEXT,
        "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT, "page" INT, "language" TEXT,
        "forId" {uuid}, "mime" TEXT, "props" {json}, "autoPlay" BOOLEAN, "playerConfig" {json},
        FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
    "oncoguide_states": """CREATE TABLE IF NOT EXISTS oncoguide_states (
        "threadId" TEXT PRIMARY KEY, "state" TEXT NOT NULL, "updatedAt" TEXT)""",
    "feedbacks": """CREATE TABLE IF NOT EXISTS feedbacks (
        "id" {uuid} PRIMARY KEY, "forId" {uuid} NOT NULL, "threadId" {uuid} NOT NULL, "value" INT NOT NULL,
        "comment" TEXT, FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
}
_SQLITE = {"uuid": "TEXT", "json": "TEXT", "array": "TEXT"}
_PG = {"uuid": "UUID", "json": "JSONB", "array": "TEXT[]"}


async def ensure_schema(url: str) -> None:
    """Create Chainlit's tables if they do not exist yet."""
    types = _PG if url.startswith("postgresql") else _SQLITE
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for ddl in _TABLES.values():
                await connection.execute(text(ddl.format(**types)))
    finally:
        await engine.dispose()


class OncoGuideDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy layer, with list values stored as JSON text on SQLite."""

    def __init__(self, url: str) -> None:
        super().__init__(conninfo=url, user_thread_limit=200)
        self._sqlite = url.startswith("sqlite")

    async def execute_sql(self, query: str, parameters: dict) -> Any:  # type: ignore[override]
        if self._sqlite:
            parameters = {
                key: json.dumps(value) if isinstance(value, list | dict) else value for key, value in parameters.items()
            }
        return await super().execute_sql(query=query, parameters=parameters)

    async def get_thread(self, thread_id: str):
        """Thread metadata as a dict: asyncpg returns JSONB as text, and Chainlit's resume needs a dict."""
        thread = await super().get_thread(thread_id)
        if thread and isinstance(thread.get("metadata"), str):
            try:
                thread["metadata"] = json.loads(thread["metadata"])
            except json.JSONDecodeError:
                thread["metadata"] = {}
        return thread


async def build_data_layer(settings: Settings) -> OncoGuideDataLayer:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await ensure_schema(settings.sqlalchemy_url)
    return OncoGuideDataLayer(settings.sqlalchemy_url)


async def save_state(thread_id: str | None, state_dict: dict[str, Any]) -> None:
    """Store the conversation state of a thread (no-op without a data layer)."""
    from chainlit.data import get_data_layer

    data_layer = get_data_layer()
    if data_layer is None or not thread_id:
        return
    try:
        await data_layer.execute_sql(
            query='INSERT INTO oncoguide_states ("threadId", "state", "updatedAt") VALUES (:thread_id, :state, :now) '
            'ON CONFLICT ("threadId") DO UPDATE SET "state" = EXCLUDED."state", "updatedAt" = EXCLUDED."updatedAt"',
            parameters={"thread_id": thread_id, "state": json.dumps(state_dict), "now": _now()},
        )
    except Exception:  # persistence must never break the conversation
        log.exception("could not save the conversation state")


async def load_state(thread_id: str) -> dict[str, Any] | None:
    """The saved conversation state of a thread, if any."""
    from chainlit.data import get_data_layer

    data_layer = get_data_layer()
    if data_layer is None:
        return None
    rows = await data_layer.execute_sql(
        query='SELECT "state" FROM oncoguide_states WHERE "threadId" = :thread_id', parameters={"thread_id": thread_id}
    )
    if not isinstance(rows, list) or not rows:
        return None
    raw = rows[0].get("state")
    try:
        state = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return None
    return state if isinstance(state, dict) else None


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat()
