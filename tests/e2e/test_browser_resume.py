"""A resumed thread looks as it did (issue 14, item 1), in a real browser, on SQLite and on PostgreSQL.

    .venv/bin/python -m pytest tests/e2e/test_browser_resume.py -q

A signed-in patient tells OncoGuide about themselves, gets an answer with source cards and related-question
buttons, sends a cut-off message and picks one of the offered words, then reloads the page and opens the
thread again from the history. Every message is back in its order, every answer's source cards open with
their text, the related questions still ask, the spent options stay gone, and the profile panel is one tap
away. Screenshots: test-artifacts/14-resumed-*.png. Also: two threads opened with the same question get
distinct names in the history (item 9).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from chains.ui.users import hash_password
from tests.conftest import link_index
from tests.e2e import test_browser as shared
from tests.e2e.test_browser import ASSISTANT, CUT_OFF, RELATED_QUESTION, scenario, screenshot, wait_for_new_reply
from tests.e2e.test_postgres import postgres_url  # noqa: F401  (the throwaway PostgreSQL fixture)
from tests.server import chainlit_server

pytestmark = pytest.mark.browser

browser = shared.browser
USER, PASSWORD = "rosa", "rosa-secret-7"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PROFILE_STATEMENT = "I have ER-positive breast cancer and I take ribociclib"
MESSAGES_JS = """() => [...document.querySelectorAll('[data-step-type="user_message"], [data-step-type="assistant_message"]')]
  .map((e) => e.getAttribute('data-step-type').split('_')[0] + ': '
    + (e.querySelector('.message-content') || e).innerText.trim().replace(/\\s+/g, ' ').slice(0, 90))"""


def signed_in_server(
    request, settings, tmp_path_factory, name: str, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """A server with USER's account, on SQLite or (``request.param == "postgres"``) a throwaway PostgreSQL;
    yields its URL and the backend's name. The body of the browser modules' ``server`` fixtures."""
    data_dir = tmp_path_factory.mktemp(f"{name}-{request.param}")
    link_index(settings, data_dir)
    env = {
        "ONCOGUIDE_AUTH": "password",
        "ONCOGUIDE_DATA_DIR": str(data_dir),
        "ONCOGUIDE_USERS": f"{USER}:{hash_password(PASSWORD)}",
        "CHAINLIT_AUTH_SECRET": f"oncoguide-{name}-test-secret-0123456789abcdef",
        **(extra_env or {}),
    }
    if request.param == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with chainlit_server(extra_env=env, log_name=f"chainlit-{name}-{request.param}") as base_url:
        yield base_url, request.param


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, indexed_kb, settings, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A signed-in server on SQLite or on a throwaway PostgreSQL; yields its URL and the backend's name."""
    yield from signed_in_server(request, settings, tmp_path_factory, "resume")


# The profile panel ("What I know about you") slides in from the right edge over 300 ms; its text counts as
# visible from the first frame, off screen. This resolves once the slide is over.
PANEL_SETTLED_JS = """() => {
  const content = document.querySelector('#side-view-content');
  const mover = content && content.closest('.transition-transform');
  if (!mover) return false;
  const t = getComputedStyle(mover).transform;
  return (t === 'none' || t === 'matrix(1, 0, 0, 1, 0, 0)') && mover.getAnimations().length === 0;
}"""

# Every line of the panel's text outside the panel's card or the window, and every box whose content is
# wider than it (text cut at its edge).
PANEL_OVERFLOW_JS = """() => {
  const card = document.querySelector('#side-view-content').parentElement;
  const box = card.getBoundingClientRect();
  const out = [];
  const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) {
      if (r.left < Math.max(box.left, 0) - 1 || r.right > Math.min(box.right, innerWidth) + 1)
        out.push(`"${n.textContent.trim().slice(0, 40)}" spans x ${r.left | 0}-${r.right | 0}; `
          + `the panel ${box.left | 0}-${box.right | 0}, the window 0-${innerWidth}`);
    }
  }
  for (const e of [card, ...card.querySelectorAll('*')])
    if (e.clientWidth && e.scrollWidth > e.clientWidth + 1)
      out.push(`${e.tagName}.${e.className} is ${e.scrollWidth}px of content in ${e.clientWidth}px`);
  return out;
}"""


def assert_panel_text_inside(page: Page) -> None:
    """The profile panel has finished opening and all of its text is inside it and the window."""
    page.wait_for_function(PANEL_SETTLED_JS, timeout=15_000)
    outside = page.evaluate(PANEL_OVERFLOW_JS)
    assert not outside, "the profile panel's text is cut off:\n" + "\n".join(outside)


def sign_in(page: Page, base_url: str) -> None:
    """Sign in and wait for the chat; the form is filled again if the page re-rendered it meanwhile."""
    page.goto(base_url)
    username = page.get_by_label("Username")
    for _ in range(5):
        username.fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        try:
            expect(username).to_have_count(0, timeout=10_000)
            break
        except AssertionError:
            continue
    expect(page.locator('button[id^="starter-"]').first).to_be_enabled(timeout=60_000)


def ask(page: Page, text: str) -> Locator:
    """Type and send ``text``, and wait for the reply. The page re-renders the chat box once, when the first
    answer makes the chat a saved thread; text typed at that moment is lost, so it is typed again until the
    message shows."""
    before = page.locator(ASSISTANT).count()
    sent = page.locator('[data-step-type="user_message"]')
    count = sent.count()
    box = page.locator("#chat-input")
    for _ in range(5):
        box.click()
        box.fill(text)
        try:
            expect(page.locator("#chat-submit")).to_be_enabled(timeout=2_000)
            box.press("Enter")
            expect(sent).to_have_count(count + 1, timeout=5_000)
            break
        except AssertionError:
            continue
    return wait_for_new_reply(page, before)


def messages(page: Page) -> list[str]:
    return page.evaluate(MESSAGES_JS)


def answers_with_sources(page: Page) -> Locator:
    return page.locator(ASSISTANT).filter(has_text="Sources")


def have_a_conversation(page: Page) -> None:
    profile_answer = ask(page, PROFILE_STATEMENT)
    expect(profile_answer).to_contain_text("[1]")
    expect(profile_answer.get_by_role("button", name="What I know about you")).to_be_visible()
    question = ask(page, CUT_OFF)
    option = question.get_by_role("button", name=re.compile(r"^neutrophils$", re.IGNORECASE))
    expect(option).to_be_visible()
    before = page.locator(ASSISTANT).count()
    option.click()
    answer = wait_for_new_reply(page, before)
    expect(answer).to_contain_text("[1]")
    expect(question.get_by_role("button", name=re.compile(r"^neutrophils$", re.IGNORECASE))).to_have_count(0)


def assert_looks_as_it_did(page: Page, live: list[str], cards: int) -> None:
    """The thread on screen is the one the patient left: messages, source cards, buttons, the panel."""
    expect(page.locator(ASSISTANT)).to_have_count(sum(m.startswith("assistant") for m in live), timeout=30_000)
    assert messages(page) == live, "\n".join(["resumed:", *messages(page), "", "as it was:", *live])
    sourced = answers_with_sources(page)
    expect(sourced).to_have_count(cards)
    for i in range(cards):
        card = sourced.nth(i).get_by_text(re.compile(r"^\[1\] "))
        expect(card).to_be_visible()
        expect(sourced.nth(i).get_by_text(re.compile(r"^Sections used: ")).first).to_be_visible()
    expect(page.get_by_text("An error occurred while loading the content")).to_have_count(0)
    # The spent options stay gone; the related questions under the last answer are there.
    question = page.locator(ASSISTANT).filter(has_text="got cut off")
    expect(question.get_by_role("button", name=re.compile(r"^neutrophils$", re.IGNORECASE))).to_have_count(0)
    last = page.locator(ASSISTANT).last
    expect(last.get_by_role("button", name=RELATED_QUESTION).first).to_be_visible()
    expect(last.get_by_role("button", name="What I know about you")).to_be_visible()


def test_a_resumed_thread_looks_as_it_did(server: tuple[str, str], browser: Browser) -> None:
    server, backend = server
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        with scenario(page, f"14-resumed-{backend}-desktop"):
            sign_in(page, server)
            have_a_conversation(page)
            live = messages(page)
            cards = answers_with_sources(page).count()
            assert cards >= 2, live
            expect(page).to_have_url(re.compile(r"/thread/"))
            thread_path = page.url.removeprefix(server)

            page.reload()  # 1: the same thread, reloaded
            assert_looks_as_it_did(page, live, cards)
            screenshot(page, f"14-resumed-reloaded-{backend}-desktop")

            page.goto(server)  # 2: a new chat, then the thread opened from the history
            expect(page.locator('button[id^="starter-"]').first).to_be_enabled(timeout=30_000)
            page.locator(f'a[href$="{thread_path}"]').first.click()
            assert_looks_as_it_did(page, live, cards)

            # The panel is one tap away, with the facts.
            page.locator(ASSISTANT).last.get_by_role("button", name="What I know about you").click()
            expect(page.get_by_text(re.compile(r"^Your current treatment with ribociclib"))).to_be_visible()
            assert_panel_text_inside(page)  # the screenshot shows the panel open, not sliding in
            screenshot(page, f"14-resumed-history-{backend}-desktop")

            # A related question still asks, in the same thread, answered with what it knows about the patient.
            related = page.locator(ASSISTANT).last.get_by_role("button", name=RELATED_QUESTION).first
            asked = related.inner_text().strip()
            before = page.locator(ASSISTANT).count()
            related.click()
            answer = wait_for_new_reply(page, before)
            expect(page.locator('[data-step-type="user_message"]').last).to_contain_text(asked)
            expect(answer).to_contain_text("[1]")
    finally:
        context.close()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    try:
        with scenario(page, f"14-resumed-{backend}-phone"):
            sign_in(page, server)
            page.goto(server + thread_path)
            expect(page.locator(ASSISTANT).filter(has_text="Sources").first).to_be_visible(timeout=30_000)
            expect(page.locator(ASSISTANT).last.get_by_role("button", name=RELATED_QUESTION).first).to_be_visible()
    finally:
        phone.close()


def test_threads_opened_with_the_same_question_get_distinct_names(server: tuple[str, str], browser: Browser) -> None:
    server, _ = server
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    question = "What does HER2-low mean for my treatment options after surgery and radiotherapy, please?"
    title = "What does HER2-low…"
    try:
        with scenario(page, "14-history-titles-desktop"):
            sign_in(page, server)
            for _ in range(2):
                page.goto(server)
                expect(page.locator('button[id^="starter-"]').first).to_be_enabled(timeout=30_000)
                ask(page, question)
                expect(page).to_have_url(re.compile(r"/thread/"))
            page.reload()
            history = page.locator('a[href*="/thread/"]')
            expect(history.filter(has_text=f"{title} (2)")).to_have_count(1)
            expect(history.filter(has_text=re.compile(f"^{re.escape(title)}$"))).to_have_count(1)
    finally:
        context.close()


LONG_PROFILE_STATEMENT = (
    "My breast cancer is ER-positive, HER2-negative, PR-positive and oligometastatic, I have been on ribociclib "
    "for 14 months and also chemotherapy, and I had neutropenia"
)


def test_profile_panel_text_fits_beside_the_history(server: tuple[str, str], browser: Browser) -> None:
    """At 1280x800 with the past chats open, every line of "What I know about you" is inside the panel and the
    window once it has opened (issue 14). The panel slides in from the right edge; its text counts as visible
    from the first frame of that, which a screenshot showed as text cut off."""
    server, backend = server
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        with scenario(page, f"14-profile-panel-history-{backend}-desktop"):
            sign_in(page, server)
            ask(page, LONG_PROFILE_STATEMENT)
            expect(page).to_have_url(re.compile(r"/thread/"))
            expect(page.locator('a[href*="/thread/"]').first).to_be_visible()  # the past chats are open
            # A tap while the page re-renders for the newly saved thread can be lost: tap again until it opens.
            facts = page.get_by_text(re.compile(r"^Side effects you mentioned"))
            for _ in range(3):
                page.locator(ASSISTANT).last.get_by_role("button", name="What I know about you").click()
                try:
                    expect(facts).to_be_visible(timeout=5_000)
                    break
                except AssertionError:
                    continue
            expect(facts).to_be_visible()
            assert_panel_text_inside(page)
    finally:
        context.close()
