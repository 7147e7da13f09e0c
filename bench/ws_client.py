"""A Chainlit client that talks to the real server over its Socket.IO websocket, as the browser does.

Used by the server tests and the load benchmark. One ``ChainlitClient`` is one browser tab: it
connects with a session id, sends user messages, clicks actions over HTTP, and collects the
assistant messages the server emits until that message's turn ends.

A turn ends at the ``task_end`` that follows the end of the ``on_message`` step run for *this*
message (Chainlit gives that step the user message's id as ``parentId``). Counting ``task_start`` /
``task_end`` alone is not enough: Chainlit emits an unpaired ``task_end`` when it handles
``connection_successful``, and a message sent before that event arrives would end on it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio


@dataclass
class Turn:
    """What the server sent for one user message: assistant messages (final content), steps, timing."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0

    @property
    def assistant(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == "assistant_message"]

    @property
    def text(self) -> str:
        return "\n\n".join(str(m.get("output", "")) for m in self.assistant)

    @property
    def actions(self) -> list[dict[str, Any]]:
        return [a for m in self.assistant for a in m.get("actions", [])]


async def login(base_url: str, username: str, password: str) -> dict[str, str]:
    """Sign in with the password form, as the login page does; returns the cookie header to send."""
    import httpx

    async with httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=30) as http:
        response = await http.post("/login", data={"username": username, "password": password})
        response.raise_for_status()
        token = response.cookies.get("access_token")
    if not token:
        raise RuntimeError("sign-in returned no access token")
    return {"Cookie": f"access_token={token}"}


class ChainlitClient:
    """One websocket session against a running ``chainlit run app.py`` server."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, thread_id: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session_id = str(uuid.uuid4())
        self.thread_id = thread_id
        # The browser's page sets the cookie X-Chainlit-Session-id before it connects (a balancer keeps a chat on
        # one app process by it: deploy/nginx.conf.template); every request of this client carries it too.
        self.headers = dict(headers or {})
        session_cookie = f"X-Chainlit-Session-id={self.session_id}"
        cookie = self.headers.get("Cookie")
        self.headers["Cookie"] = f"{cookie}; {session_cookie}" if cookie else session_cookie
        self.sio = socketio.AsyncClient(reconnection=False)
        self._messages: dict[str, dict[str, Any]] = {}
        self._order: list[str] = []
        self._steps: list[dict[str, Any]] = []
        self._actions: dict[str, list[dict[str, Any]]] = {}
        self._tokens = 0
        self._task_done = asyncio.Event()
        self._pending_message: str | None = None  # the user message whose turn we are waiting for
        self._finished_runs: set[str] = set()  # user message ids whose on_message step has ended
        self.chat_started = asyncio.Event()  # on_chat_start has finished
        self._last_event = 0.0  # loop time of the last message event (for clicks, which have no turn marker)
        self._resumed = asyncio.Event()
        self._register()

    def _register(self) -> None:
        sio = self.sio

        @sio.on("new_message")
        async def new_message(data: dict[str, Any]) -> None:
            self._upsert(data)

        @sio.on("update_message")
        async def update_message(data: dict[str, Any]) -> None:
            self._upsert(data)

        @sio.on("stream_start")
        async def stream_start(data: dict[str, Any]) -> None:
            self._upsert(data)

        @sio.on("stream_token")
        async def stream_token(data: dict[str, Any]) -> None:
            self._tokens += 1
            self._last_event = asyncio.get_running_loop().time()
            message = self._messages.get(data.get("id", ""))
            if message is not None and not data.get("isInput"):
                message["output"] = str(message.get("output", "")) + data.get("token", "")

        @sio.on("action")
        async def action(data: dict[str, Any]) -> None:
            self._actions.setdefault(data.get("forId", ""), []).append(data)

        @sio.on("resume_thread")
        async def resume_thread(data: Any = None) -> None:
            self._resumed.set()

        @sio.on("first_interaction")
        async def first_interaction(data: dict[str, Any]) -> None:
            self.thread_id = data.get("thread_id") or self.thread_id

        @sio.on("task_end")
        async def task_end(data: Any = None) -> None:
            if self._pending_message is not None and self._pending_message in self._finished_runs:
                self._task_done.set()

    def _upsert(self, data: dict[str, Any]) -> None:
        self._last_event = asyncio.get_running_loop().time()
        if "message" not in str(data.get("type", "")):
            self._steps.append(data)
            if data.get("name") == "on_message" and data.get("end") and data.get("parentId"):
                self._finished_runs.add(str(data["parentId"]))
            if data.get("name") == "on_chat_start" and data.get("end"):
                self.chat_started.set()
            return
        if data["id"] not in self._messages:
            self._order.append(data["id"])
        self._messages[data["id"]] = dict(data)

    async def connect(self) -> None:
        """Connect as a browser tab does; a resumed thread is restored before this returns."""
        auth = {
            "sessionId": self.session_id,
            "clientType": "webapp",
            "userEnv": json.dumps({}),
            "chatProfile": None,
            "threadId": self.thread_id,
        }
        await self.sio.connect(
            self.base_url,
            socketio_path="/ws/socket.io",
            auth=auth,
            transports=["websocket"],
            headers=dict(self.headers),
            wait_timeout=30,  # the default 1 s is too short while a just-started server is still warming up
        )
        await self.sio.emit("connection_successful")
        if self.thread_id:  # like the browser, wait until the server has restored the thread
            await asyncio.wait_for(self._resumed.wait(), 60)

    def _turn_start(self) -> int:
        self._task_done.clear()
        self._tokens = 0
        self._steps.clear()
        return len(self._order)

    def _turn_end(self, start: int, seconds: float) -> Turn:
        messages = [self._messages[mid] for mid in self._order[start:]]
        for message in messages:
            message["actions"] = self._actions.get(message["id"], [])
        return Turn(messages=messages, steps=list(self._steps), tokens=self._tokens, seconds=seconds)

    async def upload(self, name: str, content: bytes, mime: str) -> tuple[int, dict[str, Any]]:
        """Upload a file to this session as the attach button does: (HTTP status, JSON body)."""
        import httpx

        async with httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=60) as http:
            response = await http.post(
                "/project/file", params={"session_id": self.session_id}, files={"file": (name, content, mime)}
            )
        return response.status_code, response.json()

    async def ask(self, text: str, timeout: float = 60.0, file_ids: list[str] | None = None) -> Turn:
        """Send one user message (with uploaded files, if any) and wait until the task ends."""
        start = self._turn_start()
        message_id = str(uuid.uuid4())
        self._pending_message = message_id
        message = {
            "threadId": self.thread_id or "",
            "id": message_id,
            "name": "User",
            "type": "user_message",
            "output": text,
            "createdAt": dt.datetime.now(dt.UTC).isoformat(),
        }
        clock = asyncio.get_running_loop().time()
        references = [{"id": file_id} for file_id in file_ids] if file_ids else None
        await self.sio.emit("client_message", {"message": message, "fileReferences": references})
        await asyncio.wait_for(self._task_done.wait(), timeout)
        seconds = asyncio.get_running_loop().time() - clock  # to the task_end that ended this turn
        await asyncio.sleep(0.05)  # let the final update_message arrive
        return self._turn_end(start, seconds)

    async def click(self, action: dict[str, Any], timeout: float = 60.0) -> Turn:
        """Click an action button, as the UI does (an HTTP call naming this session)."""
        import httpx

        start = self._turn_start()
        clock = asyncio.get_running_loop().time()
        async with httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=timeout) as http:
            response = await http.post("/project/action", json={"sessionId": self.session_id, "action": action})
            response.raise_for_status()
        # The callback has run when the HTTP call returns; its messages may still be in flight on the
        # websocket. Wait for an assistant message, then until the events have been quiet for 0.2 s.
        loop = asyncio.get_running_loop()
        seconds = loop.time() - clock
        deadline = loop.time() + 10
        while loop.time() < deadline:
            replied = any(self._messages[m].get("type") == "assistant_message" for m in self._order[start:])
            if replied and loop.time() - self._last_event >= 0.2:
                break
            await asyncio.sleep(0.02)
        return self._turn_end(start, seconds)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
