"""The patient's view, tested in a real browser: Debian's Chromium driven by Playwright for Python.

    .venv/bin/python -m pytest tests/e2e/test_browser.py -q

Every test talks to the real Chainlit server (tests/server.py) over the real knowledge base. The
server runs from a throw-away Chainlit app root (CHAINLIT_APP_ROOT) holding copies of the project's
.chainlit/config.toml, public/ and chainlit.md, so that (a) the demo clinic page, served here on a
free port, can be added to ``allow_origins`` without touching the shipped config, and (b) the
server's ``.files`` folder, which Chainlit deletes when it stops, belongs to this server alone.

Scenarios (issue 7): (1) a starter gets a streamed, cited answer with the search step and sources;
(2) a cut-off message gets clarification buttons, and the neutrophil button an answer; (3) a follow-up
is answered about the drug named before; (4) the Copilot widget on the demo clinic page, opened with
the mouse and with the keyboard; (5) a red-flag message gets the urgent notice first. Plus a phone
viewport, light/dark contrast, accessible names for every visible button, and the CORS allow-list.

End states are saved as screenshots in test-artifacts/ (git-ignored); a failing expectation fails
with the page's visible text (the widget's shadow DOM included) and a screenshot.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import ROOT, free_port, link_index
from tests.server import chainlit_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"
ASSISTANT = '[data-step-type="assistant_message"]'
TURN_TIMEOUT_MS = 60_000  # the first turn of a fresh server also loads the models
URGENT = "⚠️ This may need urgent medical care"
CUT_OFF = (
    "Can you suggest integrative approaches? Possibly i can stop the progression. With offlabels for example neutr"
)

expect.set_options(timeout=15_000)

# Everything a patient can see, the widget's (open) shadow DOM included.
VISIBLE_TEXT_JS = """() => {
  const parts = [document.body.innerText];
  for (const host of document.querySelectorAll('*')) {
    if (!host.shadowRoot) continue;
    for (const child of host.shadowRoot.children) if (child.innerText) parts.push(child.innerText);
  }
  return parts.join('\\n');
}"""

# WCAG contrast ratio of an element's text colour against the first opaque background behind it.
CONTRAST_JS = """(el) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = [255, 255, 255, 1];
  for (let e = el; e; e = e.parentElement || (e.getRootNode() && e.getRootNode().host)) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0.5) { bg = c; break; }
  }
  const fg = parse(getComputedStyle(el).color);
  const [a, b] = [lum(fg), lum(bg)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""

# The innermost focused element, through shadow roots.
ACTIVE_ID_JS = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a ? a.id : '';
}"""


# --------------------------------------------------------------------------------------------------
# Fixtures: the demo clinic page, the app root with its origin allowed, the server, the browser
# --------------------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the origin."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def demo_origin() -> Iterator[str]:
    with serve_directory(ROOT / "demo") as origin:
        yield origin


@pytest.fixture(scope="module")
def server(indexed_kb, demo_origin: str) -> Iterator[str]:
    env = {"ONCOGUIDE_AUTH": "none"}
    with chainlit_server(extra_env=env, extra_origins=[demo_origin], log_name="chainlit-browser") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`make browser`); no browser download works here"
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


RELATED_QUESTION = re.compile(r"^(What|How|Why|When|Can|Is|Are|Do|Does|Which|Will|Who|Should)\b.*\?$")


def visible_text(page: Page) -> str:
    try:
        return page.evaluate(VISIBLE_TEXT_JS)
    except PlaywrightError as exc:  # the page itself is gone
        return f"(page text unavailable: {exc})"


def screenshot(page: Page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@contextmanager
def scenario(page: Page, name: str) -> Iterator[None]:
    """Screenshot the end state; on any failed expectation fail with the page's visible text."""
    try:
        yield
    except (AssertionError, PlaywrightError) as exc:
        shot = screenshot(page, f"{name}-FAILED")
        summary = str(exc).strip().splitlines()
        raise AssertionError(
            f"{name}: {summary[0] if summary else type(exc).__name__}\n"
            + "\n".join(summary[1:12])
            + f"\n\n--- visible page text ---\n{visible_text(page)[-8000:]}\n--- screenshot: {shot}"
        ) from exc
    screenshot(page, name)


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    # The starters are enabled once the websocket session is up.
    expect(page.locator('button[id^="starter-"]').first).to_be_enabled(timeout=30_000)


def assistant_messages(page: Page) -> Locator:
    return page.locator(ASSISTANT)


def wait_for_new_reply(page: Page, before: int) -> Locator:
    """Wait until a new assistant message exists and the run is over; return the first new one."""
    messages = assistant_messages(page)
    expect(messages).not_to_have_count(before, timeout=TURN_TIMEOUT_MS)
    expect(page.locator("#stop-button")).to_have_count(0, timeout=TURN_TIMEOUT_MS)
    return messages.nth(before)


def ask(page: Page, text: str) -> Locator:
    """Type ``text`` into the chat box, press Enter, wait for the reply; return its first message."""
    before = assistant_messages(page).count()
    box = page.locator("#chat-input")
    box.click()
    box.fill(text)
    expect(page.locator("#chat-submit")).to_be_enabled()
    box.press("Enter")
    return wait_for_new_reply(page, before)


def unnamed_buttons(page: Page) -> list[str]:
    """Visible buttons without an accessible name, from Chromium's accessibility tree."""
    snapshot = page.locator("body").aria_snapshot()
    lines = snapshot.splitlines()
    bad = [i for i, line in enumerate(lines) if re.fullmatch(r"\s*- button(?: \[[^\]]*\])*:?", line)]
    return ["\n".join(lines[max(0, i - 2) : i + 3]) for i in bad]


def assert_buttons_named(page: Page) -> None:
    unnamed = unnamed_buttons(page)
    assert not unnamed, "buttons without an accessible name:\n\n" + "\n---\n".join(unnamed)


def contrast(locator: Locator) -> float:
    return float(locator.evaluate(CONTRAST_JS))


def assert_readable_contrast(page: Page, reply: Locator, label: str) -> None:
    checks = {
        "answer text": reply.locator(".message-content li, .message-content p").first,
        "link in the answer": reply.locator(".message-content a").first,
        "related-question button": page.get_by_role("button", name=RELATED_QUESTION).first,
    }
    ratios = {name: round(contrast(loc), 2) for name, loc in checks.items()}
    low = {name: r for name, r in ratios.items() if r < 4.5}
    assert not low, f"{label}: text contrast below WCAG AA 4.5:1: {low} (all: {ratios})"


# --------------------------------------------------------------------------------------------------
# (1) Full page: starter → streamed, cited answer, search step, sources, related questions
# --------------------------------------------------------------------------------------------------


def test_full_page_starter_gets_a_streamed_cited_answer(server: str, page: Page) -> None:
    stream_frames: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived", lambda payload: stream_frames.append("x") if '"stream_token"' in str(payload) else None
        ),
    )
    with scenario(page, "1-full-page-starter-answer"):
        open_chat(page, server)
        assert page.title() == "OncoGuide"
        expect(page.locator("#welcome-screen img.logo")).to_have_attribute("src", re.compile(r"^data:image/svg"))
        welcome_line = page.evaluate("getComputedStyle(document.querySelector('#welcome-screen'), '::before').content")
        assert "not a doctor" in welcome_line and "not for emergencies" in welcome_line, welcome_line
        assert_buttons_named(page)

        # chainlit.md: what OncoGuide is and is not, one click away.
        page.get_by_role("button", name="Readme").click()
        expect(page.get_by_text("What OncoGuide is not")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_text("What OncoGuide is not")).to_have_count(0)

        page.get_by_role("button", name="What are the treatment options for prostate cancer?").click()
        reply = wait_for_new_reply(page, 0)
        expect(reply).to_contain_text("[1]")
        expect(reply).to_contain_text("Sources")
        expect(reply).to_contain_text("This answer is about prostate cancer")
        # The footer line under the input is ours: the offline composer is not an LLM, and the point is who decides.
        expect(page.get_by_text("General education, not medical advice.", exact=False)).to_be_visible()
        expect(page.get_by_text("LLMs can make mistakes", exact=False)).to_have_count(0)
        assert stream_frames, "no stream_token frame reached the browser: the answer was not streamed"

        # The knowledge-base search is a visible step that opens to show what was found.
        step = page.get_by_role("button", name=re.compile("^Searched the knowledge base"))
        expect(step).to_be_visible()
        step.click()
        expect(page.get_by_text(re.compile(r"^Found: .*Prostate Cancer: Treatment by Stage"))).to_be_visible()

        # Sources are elements with title, sections used and links to the public originals.
        expect(reply.get_by_text("[1] Prostate Cancer: Treatment by Stage")).to_be_visible()
        expect(reply.get_by_text(re.compile(r"^Sections used: ")).first).to_be_visible()
        expect(reply.get_by_role("link", name=re.compile("National Cancer Institute")).first).to_have_attribute(
            "href", re.compile(r"^https://www\.cancer\.gov/")
        )
        expect(reply.get_by_text("An error occurred while loading the content")).to_have_count(0)

        related = page.get_by_role("button", name=RELATED_QUESTION)
        expect(related.first).to_be_visible()
        assert 2 <= related.count() <= 3, related.all_inner_texts()
        assert_buttons_named(page)
        assert_readable_contrast(page, reply, "light theme")
        step.scroll_into_view_if_needed()  # end state: sources, related questions and the step


def test_dark_theme_is_readable(server: str, page: Page) -> None:
    with scenario(page, "1b-dark-theme-answer"):
        open_chat(page, server)
        page.locator("#theme-toggle").click()
        page.get_by_role("menuitem", name="Dark Theme").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
        reply = ask(page, "What is HER2-low breast cancer?")
        expect(reply).to_contain_text("[1]")
        expect(page.get_by_role("button", name=RELATED_QUESTION).first).to_be_visible()
        assert_readable_contrast(page, reply, "dark theme")
        assert_buttons_named(page)


# --------------------------------------------------------------------------------------------------
# (2) Cut-off message → clarification buttons → the neutrophil option → an answer about neutrophils
# --------------------------------------------------------------------------------------------------


def test_cut_off_message_gets_clarification_buttons_then_an_answer(server: str, page: Page) -> None:
    with scenario(page, "2-clarification-neutrophils"):
        open_chat(page, server)
        question = ask(page, CUT_OFF)
        expect(question).to_contain_text('"neutr"')
        neutrophil = page.get_by_role("button", name=re.compile(r"^neutrophil", re.IGNORECASE)).first
        expect(neutrophil).to_be_visible()
        expect(page.get_by_role("button", name="Something else — I'll type it")).to_be_visible()
        assert_buttons_named(page)
        screenshot(page, "2-clarification-buttons")

        label = neutrophil.inner_text().strip()
        before = assistant_messages(page).count()
        neutrophil.click()
        answer = wait_for_new_reply(page, before)
        expect(page.locator('[data-step-type="user_message"]').last).to_contain_text(label)
        expect(answer).to_contain_text(re.compile("neutrophil", re.IGNORECASE))
        expect(answer).to_contain_text("[1]")
        expect(answer).to_contain_text("Sources")


# --------------------------------------------------------------------------------------------------
# (3) Follow-up: "what about its side effects?" after naming ribociclib is answered about ribociclib
# --------------------------------------------------------------------------------------------------


def test_follow_up_is_answered_about_the_drug_named_before(server: str, page: Page) -> None:
    with scenario(page, "3-follow-up-ribociclib"):
        open_chat(page, server)
        ask(page, "I take ribociclib")
        answer = ask(page, "what about its side effects?")
        expect(answer).to_contain_text(re.compile("ribociclib", re.IGNORECASE))
        expect(answer).to_contain_text(re.compile("side effects", re.IGNORECASE))
        expect(answer).to_contain_text("[1]")
        answer.get_by_text(re.compile("side effects of ribociclib", re.IGNORECASE)).first.scroll_into_view_if_needed()


# --------------------------------------------------------------------------------------------------
# (4) The Copilot widget on the demo clinic page: mouse, then keyboard only
# --------------------------------------------------------------------------------------------------


def demo_url(demo_origin: str, server: str, token: str | None = None) -> str:
    return f"{demo_origin}/index.html?server={server}" + (f"#access_token={token}" if token else "")


def test_widget_on_the_clinic_page_opens_and_answers(server: str, demo_origin: str, page: Page) -> None:
    with scenario(page, "4-widget-answer"):
        page.goto(demo_url(demo_origin, server))
        expect(page.get_by_role("heading", name="Understanding your breast cancer care")).to_be_visible()
        launcher = page.locator("#chainlit-copilot-button")  # inside the widget's open shadow root
        expect(launcher).to_be_visible(timeout=30_000)
        launcher.click()
        expect(page.locator("#chainlit-copilot-chat")).to_be_visible()
        expect(page.locator('#chainlit-copilot-chat button[id^="starter-"]').first).to_be_enabled(timeout=30_000)
        reply = ask(page, "What is HER2-low breast cancer?")
        expect(reply).to_contain_text("[1]")
        expect(reply).to_contain_text("Sources")
        expect(reply).to_contain_text(re.compile("HER2-low", re.IGNORECASE))
        assert_buttons_named(page)


def test_widget_opens_and_answers_with_the_keyboard_only(server: str, demo_origin: str, page: Page) -> None:
    with scenario(page, "4b-widget-keyboard"):
        page.goto(demo_url(demo_origin, server))
        expect(page.get_by_role("button", name="Chat with OncoGuide")).to_be_visible(timeout=30_000)
        for _ in range(40):  # Tab through the clinic page to the chat launcher
            page.keyboard.press("Tab")
            if page.evaluate(ACTIVE_ID_JS) == "chainlit-copilot-button":
                break
        else:
            raise AssertionError("Tab never reached the chat launcher button")
        page.keyboard.press("Enter")
        expect(page.locator("#chainlit-copilot-chat")).to_be_visible()
        expect(page.locator('#chainlit-copilot-chat button[id^="starter-"]').first).to_be_enabled(timeout=30_000)
        for _ in range(20):  # then Tab to the message box inside the widget
            if page.evaluate(ACTIVE_ID_JS) == "chat-input":
                break
            page.keyboard.press("Tab")
        else:
            raise AssertionError("Tab never reached the widget's message box")
        before = assistant_messages(page).count()
        page.keyboard.type("What does ER-positive mean?")
        page.keyboard.press("Enter")
        reply = wait_for_new_reply(page, before)
        expect(reply).to_contain_text("[1]")
        expect(reply).to_contain_text(re.compile("estrogen", re.IGNORECASE))


# --------------------------------------------------------------------------------------------------
# (5) Red flag → the urgent notice comes first
# --------------------------------------------------------------------------------------------------


def test_emergency_message_shows_the_urgent_notice_first(server: str, page: Page) -> None:
    with scenario(page, "5-emergency-notice"):
        open_chat(page, server)
        first = ask(page, "I'm on chemo and my temperature is 38.9 with chills")
        expect(first).to_contain_text(URGENT)
        assert first.inner_text().strip().startswith(URGENT), first.inner_text()[:300]
        expect(first).to_contain_text("911")
        expect(first).not_to_contain_text("Sources")


# --------------------------------------------------------------------------------------------------
# Phone-sized viewport: the answer is readable without zooming or sideways scrolling
# --------------------------------------------------------------------------------------------------


def test_phone_viewport_answer_is_readable(server: str, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        with scenario(page, "6-phone-answer-end"):
            open_chat(page, server)
            screenshot(page, "6-phone-welcome")
            page.get_by_role("button", name="What are the treatment options for prostate cancer?").tap()
            reply = wait_for_new_reply(page, 0)
            expect(reply).to_contain_text("Sources")
            reply.locator(".message-content").first.scroll_into_view_if_needed()
            reply.locator(".message-content h3, .message-content li").first.scroll_into_view_if_needed()
            screenshot(page, "6-phone-answer-top")

            width = page.evaluate("window.innerWidth")
            overflow = page.evaluate(
                """(sel) => {
                  const reply = [...document.querySelectorAll(sel)].at(-1);
                  return [...reply.querySelectorAll('p, li, h1, h2, h3, a, button')]
                    .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > window.innerWidth + 1)
                    .map((e) => e.tagName + ': ' + e.innerText.slice(0, 60));
                }""",
                ASSISTANT,
            )
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            assert not overflow, f"wider than the {width}px screen: {overflow}"
            sizes = reply.locator(".message-content li, .message-content p").evaluate_all(
                "(els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize))"
            )
            assert sizes and min(sizes) >= 16, f"answer text below 16px on a phone: {sorted(set(sizes))}"
            related = page.get_by_role("button", name=RELATED_QUESTION)
            related.last.scroll_into_view_if_needed()
            for box in [related.nth(i).bounding_box() for i in range(related.count())]:
                assert box and box["height"] >= 40 and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, box
            assert_buttons_named(page)
    finally:
        context.close()


# --------------------------------------------------------------------------------------------------
# Allowed origins: the shipped list is explicit, and the server enforces it
# --------------------------------------------------------------------------------------------------


def test_cors_allows_only_the_listed_origins(server: str, demo_origin: str) -> None:
    shipped = tomllib.loads((ROOT / ".chainlit" / "config.toml").read_text(encoding="utf-8"))["project"]
    assert "*" not in shipped["allow_origins"], "the shipped config must list origins, not '*'"
    assert "http://localhost:8080" in shipped["allow_origins"], "the demo page of `make run` must be allowed"
    for origin, allowed in [(demo_origin, True), ("http://localhost:8080", True), ("https://evil.example", False)]:
        response = httpx.get(f"{server}/auth/config", headers={"Origin": origin}, timeout=10)
        assert (response.headers.get("access-control-allow-origin") == origin) is allowed, (origin, response.headers)


# --------------------------------------------------------------------------------------------------
# Sign-in on: the widget with a signed access token minted by the host page's back end
# --------------------------------------------------------------------------------------------------


def signed_in_env(settings, tmp_path: Path) -> dict[str, str]:
    """A server with sign-in on, its own database and accounts; the index is the session's."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    link_index(settings, data_dir)
    return {
        "ONCOGUIDE_AUTH": "password",
        "ONCOGUIDE_DATA_DIR": str(data_dir),
        "CHAINLIT_AUTH_SECRET": "oncoguide-browser-test-secret-0123456789abcdef",
    }


def test_widget_with_a_signed_access_token(
    indexed_kb, settings, demo_origin: str, tmp_path: Path, browser: Browser
) -> None:
    env = signed_in_env(settings, tmp_path)
    with chainlit_server(extra_env=env, extra_origins=[demo_origin], log_name="chainlit-browser-auth") as server:
        assert httpx.get(f"{server}/auth/config", timeout=10).json().get("requireLogin"), "sign-in is not on"
        minted = subprocess.run(
            [sys.executable, str(ROOT / "demo" / "mint_token.py"), "patient-demo", "--name", "Demo Patient"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        token = minted.stdout.strip()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            with scenario(page, "4c-widget-signed-token"):
                page.goto(demo_url(demo_origin, server))  # no token: the widget must not let anyone in
                page.locator("#chainlit-copilot-button").click(timeout=30_000)
                expect(page.get_by_text("No authentication token provided.")).to_be_visible()
                page.goto(demo_url(demo_origin, server, token))
                page.reload()  # a fragment-only navigation does not reload the page
                page.locator("#chainlit-copilot-button").click(timeout=30_000)
                expect(page.locator('#chainlit-copilot-chat button[id^="starter-"]').first).to_be_enabled(
                    timeout=30_000
                )
                reply = ask(page, "What is HER2-low breast cancer?")
                expect(reply).to_contain_text("[1]")
        finally:
            context.close()
