"""What a patient sees (issue 14), in a real browser: Debian's Chromium driven by Playwright.

    .venv/bin/python -m pytest tests/e2e/test_browser_view.py -q

The same real server, demo clinic page and helpers as tests/e2e/test_browser.py. Each view is saved as a
screenshot in test-artifacts/ (git-ignored), at desktop (1280 px) and phone (390 px) width where both
apply: the chat stays put when the mouse wheel goes past the end of an answer, on the full page and in
the widget; the widget's starters sit inside it at 1280 and 390 px under a line that says what OncoGuide is
and is not; neither the full page nor the widget asks any host but the app's own (and the clinic page's).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Request, expect

from tests.e2e import test_browser as shared
from tests.e2e.test_browser import (
    ASSISTANT,
    CUT_OFF,
    ask,
    assert_buttons_named,
    assistant_messages,
    demo_url,
    open_chat,
    scenario,
    screenshot,
)
from tests.server import chainlit_server

pytestmark = pytest.mark.browser

# The same module-scoped browser and demo page as tests/e2e/test_browser.py; this module's own server is configured
# as the demo clinic would configure it: its real 24-hour line.
browser = shared.browser
demo_origin = shared.demo_origin
CARE_TEAM_LINE = "the Riverside 24-hour oncology line, (555) 010-2400"


@pytest.fixture(scope="module")
def server(indexed_kb, demo_origin: str) -> Iterator[str]:
    env = {"ONCOGUIDE_AUTH": "none", "ONCOGUIDE_CARE_TEAM_LINE": CARE_TEAM_LINE}
    with chainlit_server(extra_env=env, extra_origins=[demo_origin], log_name="chainlit-browser-view") as base_url:
        yield base_url


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Resolves once no scroll position in the page (shadow roots included) has changed for 10 animation frames:
# a wheel returns before the browser has finished scrolling, and this waits for the result, not a time.
SCROLL_SETTLED_JS = """() => new Promise((resolve) => {
  const scrollers = () => {
    const out = [document.scrollingElement];
    const walk = (root) => {
      for (const e of root.querySelectorAll('*')) {
        if (e.scrollHeight > e.clientHeight) out.push(e);
        if (e.shadowRoot) walk(e.shadowRoot);
      }
    };
    walk(document);
    return out;
  };
  const positions = () => scrollers().map((e) => e.scrollTop).join(',');
  let last = positions();
  let still = 0;
  const tick = () => {
    const now = positions();
    still = now === last ? still + 1 : 0;
    last = now;
    if (still >= 10) resolve(now); else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


def new_context(chromium: Browser, viewport: dict[str, int]) -> BrowserContext:
    if viewport["width"] < 640:
        return chromium.new_context(viewport=viewport, device_scale_factor=2, is_mobile=True, has_touch=True)
    return chromium.new_context(viewport=viewport)


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    context = new_context(browser, DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


def wheel_past_the_end(page: Page, over: Locator | None = None) -> None:
    """Scroll down with the mouse wheel over the middle of ``over`` (default: the window) far past the end,
    and wait until scrolling stops."""
    box = over.bounding_box() if over is not None else {"x": 0, "y": 0, **page.viewport_size}
    assert box, "nothing to scroll over"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(12):
        page.mouse.wheel(0, 800)
    page.evaluate(SCROLL_SETTLED_JS)


def assert_in_view(item: Locator, frame: Locator | None, label: str) -> None:
    """``item`` overlaps the visible area: the window, or ``frame`` (the widget's chat panel)."""
    box = item.bounding_box()
    page = item.page
    if frame is None:
        view = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": page.viewport_size["height"]}
    else:
        view = frame.bounding_box()
    assert box and view, (box, view)
    overlaps = box["y"] < view["y"] + view["height"] and box["y"] + box["height"] > view["y"]
    assert overlaps, (
        f"{label} is out of sight: it spans y {box['y']:.0f}–{box['y'] + box['height']:.0f}, the view {view}"
    )


# --------------------------------------------------------------------------------------------------
# Item 3: the mouse wheel past the end of an answer leaves the answer in view
# --------------------------------------------------------------------------------------------------


def test_wheel_past_the_end_keeps_the_full_page_chat_in_view(server: str, desktop: Page) -> None:
    page = desktop
    with scenario(page, "14-wheel-full-page"):
        open_chat(page, server)
        page.get_by_role("button", name="What are the treatment options for prostate cancer?").click()
        expect(assistant_messages(page)).not_to_have_count(0, timeout=60_000)
        expect(page.locator("#stop-button")).to_have_count(0, timeout=60_000)
        last = assistant_messages(page).last
        wheel_past_the_end(page)
        assert_in_view(last, None, "the answer")
        expect(page.locator("#chat-input")).to_be_visible()


def test_wheel_past_the_end_keeps_the_widget_chat_in_view(
    server: str,
    demo_origin: str,
    desktop: Page,
) -> None:
    page = desktop
    with scenario(page, "14-wheel-widget"):
        page.goto(demo_url(demo_origin, server))
        page.locator("#chainlit-copilot-button").click(timeout=30_000)
        frame = page.locator("#chainlit-copilot-chat")
        expect(frame).to_be_visible()
        expect(page.locator('#chainlit-copilot-chat button[id^="starter-"]').first).to_be_enabled(timeout=30_000)
        ask(page, "What is HER2-low breast cancer?")
        last = page.locator(ASSISTANT).last
        wheel_past_the_end(page, frame)
        assert_in_view(last, frame, "the answer in the widget")


# --------------------------------------------------------------------------------------------------
# Item 4: the widget fits and says what it is; nothing is fetched from another host or goes missing
# --------------------------------------------------------------------------------------------------


class RequestLog:
    """Every http(s) request a page makes, and every response that failed, from the start."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on(
            "response",
            lambda response: (
                self.failed.append(f"{response.status} {response.url}") if response.status >= 400 else None
            ),
        )
        page.on("requestfailed", self._failed)

    def _failed(self, request: Request) -> None:
        """A request that could not complete. One the page cancelled itself (an image whose element was re-rendered
        before it loaded: net::ERR_ABORTED) is not a broken asset; every other failure is."""
        if "ERR_ABORTED" not in (request.failure or ""):
            self.failed.append(f"failed {request.url}: {request.failure}")

    def foreign(self, *origins: str) -> list[str]:
        own = {urlsplit(o).netloc for o in origins}
        return [u for u in self.urls if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc not in own]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_full_page_asks_only_its_own_host(server: str, browser: Browser, viewport: dict[str, int]) -> None:
    context = new_context(browser, viewport)
    page = context.new_page()
    requests = RequestLog(page)
    try:
        with scenario(page, f"14-full-page-welcome-{'phone' if viewport is PHONE else 'desktop'}"):
            open_chat(page, server)
            screenshot(page, f"14-full-page-start-{'phone' if viewport is PHONE else 'desktop'}")
            page.get_by_role("button", name="How does CAR-T cell therapy work?").click()
            expect(assistant_messages(page)).not_to_have_count(0, timeout=60_000)
            expect(page.locator("#stop-button")).to_have_count(0, timeout=60_000)
            assert not requests.foreign(server), f"requests to other hosts: {requests.foreign(server)}"
            assert not requests.failed, f"failed requests: {requests.failed}"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_widget_fits_says_what_it_is_and_asks_only_its_hosts(
    server: str, demo_origin: str, browser: Browser, viewport: dict[str, int]
) -> None:
    context = new_context(browser, viewport)
    page = context.new_page()
    requests = RequestLog(page)
    try:
        with scenario(page, f"14-widget-welcome-{'phone' if viewport is PHONE else 'desktop'}"):
            page.goto(demo_url(demo_origin, server))
            page.locator("#chainlit-copilot-button").click(timeout=30_000)
            frame = page.locator("#chainlit-copilot-chat")
            starters = frame.locator('button[id^="starter-"]')
            expect(starters.first).to_be_enabled(timeout=30_000)
            panel = frame.bounding_box()
            assert panel
            for i in range(starters.count()):
                box = starters.nth(i).bounding_box()
                assert box, f"starter {i} has no box"
                inside = box["x"] >= panel["x"] - 1 and box["x"] + box["width"] <= panel["x"] + panel["width"] + 1
                assert inside, f"starter {starters.nth(i).inner_text()!r} {box} runs out of the widget {panel}"
            welcome = frame.locator(".welcome-screen").evaluate("(e) => getComputedStyle(e, '::before').content")
            assert "not a doctor" in welcome and "not for emergencies" in welcome, welcome
            screenshot(page, f"14-widget-start-{'phone' if viewport is PHONE else 'desktop'}")
            starters.first.click()
            expect(frame.locator(ASSISTANT)).not_to_have_count(0, timeout=60_000)
            expect(page.locator("#stop-button")).to_have_count(0, timeout=60_000)
            foreign = requests.foreign(server, demo_origin)
            assert not foreign, f"requests to other hosts: {foreign}"
            assert not requests.failed, f"failed requests: {requests.failed}"
    finally:
        context.close()


# --------------------------------------------------------------------------------------------------
# Item 6: urgent replies look like alerts, give the deployment's number, and nothing under them competes
# --------------------------------------------------------------------------------------------------

RED_FRAME = "rgb(179, 38, 30)"  # #b3261e in oncoguide.css
FEEDBACK_BUTTONS = {"Copy this answer", "Copied", "This answer helped", "This answer did not help"}


def alert_frame(reply: Locator) -> dict[str, str]:
    return reply.locator(".message-content").first.evaluate(
        "(e) => { const s = getComputedStyle(e); return {left: s.borderLeftWidth, colour: s.borderLeftColor, "
        "background: s.backgroundColor}; }"
    )


COVERED_JS = """(el) => {
  const r = el.getBoundingClientRect();
  const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
  const points = [0.25, 0.5, 0.75].map((f) => [r.left + r.width * f, top + (bottom - top) * f]);
  return points.filter(([x, y]) => !el.contains(document.elementFromPoint(x, y)))
    .map(([x, y]) => { const e = document.elementFromPoint(x, y); return e ? e.tagName + '.' + e.className : 'none'; });
}"""


def assert_not_covered(item: Locator, label: str) -> None:
    """Nothing (a sheet, a panel, an overlay) lies over ``item`` where it is on screen."""
    covering = item.evaluate(COVERED_JS)
    assert not covering, f"{label} is covered by: {covering}"


def buttons_in(reply: Locator) -> list[str]:
    names = reply.get_by_role("button").evaluate_all(
        "(els) => els.filter((e) => e.getClientRects().length).map((e) => e.innerText.trim() || "
        "getComputedStyle(e, '::after').content)"
    )
    return [n for n in names if not any(f in n for f in FEEDBACK_BUTTONS)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_red_flag_reply_is_an_alert_with_the_real_numbers(
    server: str, browser: Browser, viewport: dict[str, int]
) -> None:
    context = new_context(browser, viewport)
    page = context.new_page()
    try:
        with scenario(page, f"14-urgent-red-{'phone' if viewport is PHONE else 'desktop'}"):
            open_chat(page, server)
            reply = ask(page, "I'm on chemo and my temperature is 38.9 with chills")
            expect(reply).to_contain_text("This may need urgent medical care")
            expect(reply).to_contain_text("(555) 010-2400")
            expect(reply).to_contain_text("911")
            expect(reply.locator("svg.lucide-siren")).to_be_visible()
            frame = alert_frame(reply)
            assert float(frame["left"].removesuffix("px")) >= 6, frame
            assert frame["background"] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), frame
            assert not buttons_in(reply), f"buttons compete with the urgent notice: {buttons_in(reply)}"
            expect(reply).not_to_contain_text("Sources")
            expect(assistant_messages(page)).to_have_count(1)  # nothing below it
            assert_not_covered(reply, "the urgent notice")
    finally:
        context.close()


def test_amber_reply_is_a_call_today_alert(server: str, desktop: Page) -> None:
    page = desktop
    with scenario(page, "14-urgent-amber-desktop"):
        open_chat(page, server)
        reply = ask(page, "my back has been aching more this week, I have bone mets")
        expect(reply).to_contain_text("Contact your care team today")
        expect(reply).to_contain_text("(555) 010-2400")
        expect(reply.locator("svg.lucide-phone")).to_be_visible()
        frame = alert_frame(reply)
        assert float(frame["left"].removesuffix("px")) >= 6, frame
        assert frame["colour"] != RED_FRAME, f"a call-today reply looks like an act-now one: {frame}"


# --------------------------------------------------------------------------------------------------
# Item 7: option buttons look like buttons, match the question, are spent once used; answers from a
# button get copy and feedback like typed ones
# --------------------------------------------------------------------------------------------------

SOMETHING_ELSE = "Something else — I'll type it"


def test_option_buttons_match_the_question_and_are_spent_once_used(server: str, desktop: Page) -> None:
    page = desktop
    with scenario(page, "14-buttons-clarification-desktop"):
        open_chat(page, server)
        question = ask(page, CUT_OFF)
        buttons = question.locator(".flex-wrap > button[id]")
        expect(buttons.filter(has_text=SOMETHING_ELSE)).to_be_visible()
        options = [t.strip() for t in buttons.all_inner_texts() if t.strip() and t.strip() != SOMETHING_ELSE]
        text = question.locator(".message-content").first.inner_text()
        assert len(options) >= 2 and all(o in text for o in options), f"buttons {options} but the question: {text!r}"

        first = buttons.filter(has_text=options[0])
        style = first.evaluate(
            "(e) => { const s = getComputedStyle(e); return {border: s.borderTopStyle + ' ' + s.borderTopWidth, "
            "colour: s.color, accent: getComputedStyle(document.documentElement).getPropertyValue('--primary')}; }"
        )
        assert style["border"].startswith("solid"), f"an option button without an outline looks like text: {style}"
        assert style["colour"] not in ("rgb(82, 82, 82)", "rgb(115, 115, 115)"), f"option text is grey: {style}"
        screenshot(page, "14-buttons-options-desktop")

        before = assistant_messages(page).count()
        neutrophils = buttons.filter(has_text="neutrophils").first
        neutrophils.click()
        answer = assistant_messages(page).nth(before)
        expect(answer).to_contain_text("[1]", timeout=60_000)
        expect(page.locator("#stop-button")).to_have_count(0, timeout=60_000)
        # The question is answered: its options are gone, none can be pressed again.
        expect(question.locator(".flex-wrap > button[id]").filter(has_text=SOMETHING_ELSE)).to_have_count(0)
        for option in options:
            expect(question.get_by_role("button", name=option, exact=True)).to_have_count(0)
        # The answer a button started has copy and feedback, as a typed question's answer has.
        expect(answer.locator("button:has(> svg.lucide-copy)")).to_be_visible()


# --------------------------------------------------------------------------------------------------
# Item 8: the words around an answer: the search step, source cards
# --------------------------------------------------------------------------------------------------


def test_search_step_and_source_cards_read_well(server: str, desktop: Page) -> None:
    page = desktop
    with scenario(page, "14-text-sources-desktop"):
        open_chat(page, server)
        reply = ask(page, "What is integrative oncology?")
        expect(reply).to_contain_text("Sources")
        expect(page.get_by_role("button", name=re.compile(r"^Searched the knowledge base"))).to_be_visible()
        expect(page.get_by_text(re.compile(r"^Used\b"))).to_have_count(0)
        cards = reply.get_by_text(re.compile(r"^\[\d\] "))
        expect(cards.first).to_be_visible()
        for title in [t.split("] ", 1)[1] for t in cards.all_inner_texts()]:
            repeated = reply.locator("strong").filter(has_text=re.compile(f"^{re.escape(title)}$"))
            expect(repeated).to_have_count(0)  # the card's name is its title; the body does not repeat it
        sections = reply.get_by_text(re.compile(r"^Sections used: ")).all_inner_texts()
        assert sections, "no card says which sections were used"
        assert not [s for s in sections if "Where to learn more" in s], sections


# --------------------------------------------------------------------------------------------------
# Item 9: sign-in says what it asks for, every button there has a name; the new-chat dialog is honest
# --------------------------------------------------------------------------------------------------


def test_sign_in_page_names_its_fields_and_buttons(indexed_kb, settings, tmp_path: Path, browser: Browser) -> None:
    env = shared.signed_in_env(settings, tmp_path)
    with chainlit_server(extra_env=env, log_name="chainlit-browser-sign-in") as signed_server:
        for label, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
            context = new_context(browser, viewport)
            page = context.new_page()
            try:
                with scenario(page, f"14-sign-in-{label}"):
                    page.goto(signed_server)
                    expect(page.get_by_text("Sign in to OncoGuide")).to_be_visible(timeout=30_000)
                    expect(page.get_by_text("Login to access the app")).to_have_count(0)
                    expect(page.get_by_label("Username")).to_be_visible()
                    expect(page.get_by_text("Email address")).to_have_count(0)
                    expect(page.get_by_placeholder("me@example.com")).to_have_count(0)
                    assert_buttons_named(page)
            finally:
                context.close()


def test_new_chat_dialog_does_not_say_the_chat_is_cleared(server: str, desktop: Page) -> None:
    page = desktop
    with scenario(page, "14-new-chat-dialog-desktop"):
        open_chat(page, server)
        ask(page, "What is HER2-low breast cancer?")
        page.locator("#new-chat-button").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog).not_to_contain_text("clear your current chat history")
        expect(dialog).to_contain_text("past chats")


# --------------------------------------------------------------------------------------------------
# Item 5: the profile panel is one tap away and never opens over an answer on a phone
# --------------------------------------------------------------------------------------------------


def test_profile_panel_is_one_tap_away_and_never_covers_the_answer(server: str, browser: Browser) -> None:
    context = new_context(browser, PHONE)
    page = context.new_page()
    try:
        with scenario(page, "14-profile-panel-phone"):
            open_chat(page, server)
            reply = ask(page, "I have ER-positive breast cancer and I take ribociclib")
            reply.scroll_into_view_if_needed()
            assert_not_covered(reply, "the answer to a profile statement")
            screenshot(page, "14-profile-answer-phone")
            reply.get_by_role("button", name="What I know about you").tap()
            expect(page.get_by_text(re.compile(r"^Your current treatment with ribociclib"))).to_be_visible()
            assert_buttons_named(page)  # the panel's close button too
    finally:
        context.close()


# --------------------------------------------------------------------------------------------------
# Item 10: an attached file's remove button has a name
# --------------------------------------------------------------------------------------------------


def test_attached_file_can_be_removed_by_name(server: str, desktop: Page, tmp_path: Path) -> None:
    page = desktop
    record = tmp_path / "pathology.txt"
    record.write_text("Invasive ductal carcinoma, grade 2. ER positive, PR positive, HER2 negative.\n")
    with scenario(page, "14-upload-attached-desktop"):
        open_chat(page, server)
        page.locator("#upload-button-input").set_input_files(str(record))
        expect(page.get_by_text("pathology.txt").first).to_be_visible()
        expect(page.get_by_role("button", name="Remove the attached file")).to_be_visible()
        assert_buttons_named(page)


def test_profile_panel_reopens_from_the_latest_answer_on_desktop(server: str, desktop: Page) -> None:
    """Item 5: after the panel is closed and the chat moves on, the latest answer still has the button."""
    page = desktop
    with scenario(page, "14-profile-panel-reopen-desktop"):
        open_chat(page, server)
        ask(page, "I have ER-positive breast cancer and I take ribociclib")
        for question in ["What is HER2-low breast cancer?", "What does ER-positive mean?"]:
            latest = ask(page, question)
            latest.get_by_role("button", name="What I know about you").click()
            facts = page.get_by_text(re.compile(r"^Your current treatment with ribociclib"))
            expect(facts).to_be_visible()
            page.get_by_role("button", name="Close this panel").click()
            expect(facts).to_have_count(0)


# --------------------------------------------------------------------------------------------------
# Item 11: when an answer finishes, its end (sources, related questions, copy and thumbs) is in view
# --------------------------------------------------------------------------------------------------

LONG_QUESTION = "What are the treatment options for prostate cancer?"


def assert_answer_end_in_view(page: Page, frame: Locator | None, label: str) -> None:
    last = page.locator(ASSISTANT).last
    expect(last.get_by_role("button", name=re.compile(r"\?$")).last).to_be_visible()
    page.evaluate(SCROLL_SETTLED_JS)
    assert_in_view(
        last.get_by_role("button", name=re.compile(r"\?$")).last, frame, f"{label}: the last related question"
    )
    assert_in_view(last.locator("button:has(> svg.lucide-copy)").first, frame, f"{label}: the copy button")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_finished_answer_ends_in_view_on_the_full_page(
    server: str, browser: Browser, viewport: dict[str, int]
) -> None:
    name = "phone" if viewport is PHONE else "desktop"
    context = new_context(browser, viewport)
    page = context.new_page()
    try:
        with scenario(page, f"14-answer-end-full-page-{name}"):
            open_chat(page, server)
            ask(page, LONG_QUESTION)
            assert_answer_end_in_view(page, None, f"full page, {name}")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_finished_answer_ends_in_view_in_the_widget(
    server: str, demo_origin: str, browser: Browser, viewport: dict[str, int]
) -> None:
    name = "phone" if viewport is PHONE else "desktop"
    context = new_context(browser, viewport)
    page = context.new_page()
    try:
        with scenario(page, f"14-answer-end-widget-{name}"):
            page.goto(demo_url(demo_origin, server))
            page.locator("#chainlit-copilot-button").click(timeout=30_000)
            frame = page.locator("#chainlit-copilot-chat")
            expect(page.locator('#chainlit-copilot-chat button[id^="starter-"]').first).to_be_enabled(timeout=30_000)
            ask(page, LONG_QUESTION)
            assert_answer_end_in_view(page, frame, f"widget, {name}")
    finally:
        context.close()


def test_a_pathology_line_proposes_its_tumour_type_and_grade(server: str, desktop: Page, tmp_path: Path) -> None:
    """Item 10: the proposal from a plain pathology line names the tumour type and grade, not only receptors."""
    page = desktop
    record = tmp_path / "pathology.txt"
    record.write_text("Invasive ductal carcinoma, grade 2. ER positive, PR positive, HER2 negative.\n")
    with scenario(page, "14-upload-proposal-desktop"):
        open_chat(page, server)
        page.locator("#upload-button-input").set_input_files(str(record))
        expect(page.get_by_role("button", name="Remove the attached file")).to_be_visible()
        before = assistant_messages(page).count()
        expect(page.locator("#chat-submit")).to_be_enabled()
        page.locator("#chat-submit").click()
        expect(assistant_messages(page)).not_to_have_count(before, timeout=60_000)
        proposal = assistant_messages(page).filter(has_text="I found").last
        expect(proposal).to_contain_text("invasive ductal carcinoma, grade 2")
        expect(proposal).to_contain_text("ER-positive")
        expect(proposal.get_by_role("button", name="Yes, add these")).to_be_visible()


# Every message bubble on screen with no text and nothing in it (a file, an image, a button): the empty grey
# bubble Chainlit drew under a file sent without words. A bubble hidden by the page has no client rects.
EMPTY_BUBBLES_JS = """() => [...document.querySelectorAll('[data-step-type] .message-content')]
  .filter((e) => e.getClientRects().length > 0)
  .filter((e) => !e.innerText.trim() && !e.querySelector('img, svg, a, button, iframe, video, audio, canvas'))
  .map((e) => e.closest('[data-step-type]').getAttribute('data-step-type') + ': ' + e.outerHTML.slice(0, 160))"""


def test_a_record_sent_without_words_leaves_no_empty_bubble(server: str, desktop: Page, tmp_path: Path) -> None:
    """Item 10: the file shows, then the proposal; no empty grey bubble under the file."""
    page = desktop
    record = tmp_path / "pathology.txt"
    record.write_text("Invasive ductal carcinoma, grade 2. ER positive, PR positive, HER2 negative.\n")
    with scenario(page, "14-upload-no-empty-bubble-desktop"):
        open_chat(page, server)
        page.locator("#upload-button-input").set_input_files(str(record))
        expect(page.get_by_role("button", name="Remove the attached file")).to_be_visible()
        expect(page.locator("#chat-submit")).to_be_enabled()
        page.locator("#chat-submit").click()
        sent = page.locator('[data-step-type="user_message"]').last
        expect(sent.get_by_text("pathology.txt")).to_be_visible(timeout=30_000)
        expect(assistant_messages(page).filter(has_text="I found")).to_have_count(1, timeout=60_000)
        assert not page.evaluate(EMPTY_BUBBLES_JS), f"empty message bubbles: {page.evaluate(EMPTY_BUBBLES_JS)}"


def test_a_chosen_completion_is_not_a_fact_about_the_patient(server: str, desktop: Page) -> None:
    """Item 2: choosing "neutropenia" to finish "…for example neutr" asks about neutropenia; it does not tell
    OncoGuide that the patient has it. With nothing said about themselves, the answer offers no profile: an answer that
    changed the profile carries "What I know about you" under it."""
    page = desktop
    with scenario(page, "14-completion-not-a-fact-desktop"):
        open_chat(page, server)
        question = ask(page, CUT_OFF)
        before = assistant_messages(page).count()
        question.get_by_role("button", name=re.compile(r"^neutropenia$", re.IGNORECASE)).click()
        answer = assistant_messages(page).nth(before)
        expect(answer).to_contain_text("[1]", timeout=60_000)
        expect(page.locator("#stop-button")).to_have_count(0, timeout=60_000)
        expect(page.get_by_role("button", name="What I know about you")).to_have_count(0)
        expect(page.get_by_text("Side effects you mentioned")).to_have_count(0)
