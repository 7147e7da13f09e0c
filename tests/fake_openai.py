"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It stands in for the only thing outside the machine (an LLM endpoint), so the real
``langchain-openai`` client, its streaming and its error paths are exercised. ``behaviour`` picks
what the next answers do: "answer", "error500", "slow", "directive", "bad_citation". Profile-extraction
requests get ``profile_reply`` and triage checks ``triage_reply`` (JSON text, or anything else a model
might send back).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

GOOD_ANSWER = (
    "Thank you for asking. Ribociclib can lower neutrophils, so blood counts are checked regularly [1]. "
    "It can also affect liver tests and heart rhythm, which is why ECGs are done [1].\n\n"
    "**Current status and evidence:** ribociclib with hormone therapy is a standard treatment [1].\n\n"
    "### Questions to ask your oncologist\n- How often will my blood counts be checked?\n\n"
    "### Where to learn more\n- National Cancer Institute"
)


@dataclass
class FakeOpenAI:
    behaviour: str = "answer"
    slow_seconds: float = 5.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    profile_reply: str = "{}"
    triage_reply: str = '{"urgency": "green", "category": "none", "reason": "a question"}'
    port: int = 0
    _runner: web.AppRunner | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reply_text(self, body: dict[str, Any]) -> str:
        last = body["messages"][-1]["content"]
        if last.startswith("Rewrite the patient's latest message"):
            return "What are the side effects of ribociclib?" if "ribociclib" in last.lower() else last.splitlines()[-1]
        if last.startswith("Extract the facts the patient states"):
            return self.profile_reply
        if last.startswith("Triage this message"):
            return self.triage_reply
        if self.behaviour == "directive":
            return "You should stop taking letrozole today [1]."
        if self.behaviour == "bad_citation":
            return "Ribociclib lowers neutrophils [7]."
        return GOOD_ANSWER

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if self.behaviour == "error500":
            return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=500)
        if self.behaviour == "slow":
            await asyncio.sleep(self.slow_seconds)
        text = self.reply_text(body)
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        words = text.split(" ")
        for i, word in enumerate(words):
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        # as the real API does, the first delta names the role
                        "delta": {"content": word + ("" if i == len(words) - 1 else " ")}
                        | ({"role": "assistant"} if i == 0 else {}),
                        "finish_reason": None,
                    }
                ],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        done = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}  # fmt: skip
        await response.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()
        return response

    def start(self) -> FakeOpenAI:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self.handle)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)


def build_llm_guide(data_dir, base_url: str):
    """The real pipeline configured for an OpenAI-compatible endpoint at ``base_url`` (a fake one here)."""
    from chains.pipeline import OncoGuide
    from chains.settings import Settings

    settings = Settings(
        data_dir=data_dir,
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY="test-key",
        OPENAI_MODEL="fake-model",
        llm_timeout_s=2.0,
    )
    assert settings.llm_enabled
    return OncoGuide.build(settings)
