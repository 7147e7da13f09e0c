"""Conversation persistence through Chainlit's SQLAlchemy data layer.

SQLite (a file in the data directory) by default, PostgreSQL when ``DATABASE_URL`` is set. The schema
is created on first start. OncoGuide keeps each thread's conversation state (memory, focus, the pending
clarification and the patient profile) in a table of its own, ``oncoguide_states``, rather than in the
thread's metadata: Chainlit read-modify-writes that metadata on its own schedule (e.g. at disconnect),
and concurrent writes there lost the saved state.

A resumed thread must look as it did (issue 14, item 1). Three things here make it so:

- every step has a creation time, in one sortable format: Chainlit gives a streamed message none (it is
  created by ``stream_token`` and persisted by ``update``), and orders a thread's steps by that text; SQLite
  sorts the NULLs first, so the answers came before the run steps they belong to and the page, which drops a
  step whose parent it has not seen yet, showed none of them;
- writes of one step are applied in the order Chainlit issued them: it fires each write as a task of its own,
  and a step's first write (``send``, empty output) could land after its update and erase the output;
- elements (source cards) are kept through a storage client (chains/file_store.py), a local file store by
  default. An uploaded record is not kept unless ``ONCOGUIDE_KEEP_UPLOADS`` says so: it is read, then deleted.

Thread names are the first question, shortened to what the history shows, and distinct among the patient's
threads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import weakref
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
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


TITLE_CHARS = 22  # a thread's name: the first question's words that fit here, so the history shows it whole


def step_time(value: str | None) -> str:
    """A step's creation time as Chainlit writes it, always with microseconds (``isoformat`` drops them when
    they are zero, and '…:05Z' sorts after '…:05.1Z'); now, if it has none."""
    if value:
        try:
            moment = dt.datetime.fromisoformat(value.removesuffix("Z"))
        except ValueError:
            return value
    else:
        moment = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def thread_title(first_message: str, taken: set[str]) -> str:
    """A thread's name: its first question (the words of it that fit the history's width), numbered when the
    patient has a thread of that name already, so that no two look the same."""
    words = first_message.split()
    title = ""
    for word in words:
        if title and len(title) + 1 + len(word) > TITLE_CHARS:
            title += "…"
            break
        title = f"{title} {word}".strip()
    title = title[: TITLE_CHARS + 1] if title else "New chat"
    if title not in taken:
        return title
    n = 2
    while f"{title} ({n})" in taken:
        n += 1
    return f"{title} ({n})"


class OncoGuideDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy layer, with list values stored as JSON text on SQLite, ordered step writes,
    element content in a storage client, and distinct thread names."""

    def __init__(self, url: str, storage: BaseStorageClient | None = None, keep_uploads: bool = False) -> None:
        super().__init__(conninfo=url, user_thread_limit=200, storage_provider=storage)
        self._sqlite = url.startswith("sqlite")
        self._keep_uploads = keep_uploads
        self._step_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def create_step(self, step_dict):  # type: ignore[override]
        """Write a step (update_step comes here too) after earlier writes of the same step.

        Chainlit starts each write as its own task; the tasks start in the order they were issued, and each
        takes the step's lock before its first await, so the lock's queue is that order."""
        step_dict = {**step_dict, "createdAt": step_time(step_dict.get("createdAt"))}
        lock = self._step_locks.get(step_dict["id"])
        if lock is None:
            lock = self._step_locks[step_dict["id"]] = asyncio.Lock()
        async with lock:
            await super().create_step(step_dict)

    async def create_element(self, element):  # type: ignore[override]
        if getattr(element, "path", None) and not self._keep_uploads:
            return  # an uploaded record: read, proposed, deleted; a copy is not kept
        await super().create_element(element)

    async def update_thread(self, thread_id: str, name: str | None = None, user_id: str | None = None, **kwargs):  # type: ignore[override]
        if name is not None and user_id is not None:
            rows = await self.execute_sql(
                query='SELECT "name" FROM threads WHERE "userId" = :user_id AND "id" != :thread_id',
                parameters={"user_id": user_id, "thread_id": thread_id},
            )
            taken = {r["name"] for r in rows if r.get("name")} if isinstance(rows, list) else set()
            name = thread_title(name, taken)
        await super().update_thread(thread_id, name=name, user_id=user_id, **kwargs)

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
    from chains.ui.file_store import storage_client

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await ensure_schema(settings.sqlalchemy_url)
    return OncoGuideDataLayer(settings.sqlalchemy_url, storage_client(settings), settings.keep_uploads)


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
    return dt.datetime.now(dt.UTC).isoformat()
