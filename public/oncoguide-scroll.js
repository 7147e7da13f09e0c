/* OncoGuide: keep the end of an answer in view as it finishes (issue 14, item 11).
 *
 * Chainlit scrolls to the bottom when a message's text changes, but an answer's source cards and buttons
 * (related questions, copy and thumbs) render after its last text update, so the view stopped mid-sources.
 * This follows the chat to its end whenever its content grows, unless the patient scrolled up to read:
 * only the patient's own scrolling (wheel, touch, keys, the scrollbar) can stop the following, and reaching
 * the bottom again or sending a message starts it again. Scrolls made by the page itself do not count, so the
 * timing of Chainlit's own smooth scroll to a new question cannot switch it off.
 *
 * Loaded by the full page (custom_js in .chainlit/config.toml) and, for the widget, by the host page next to
 * copilot/index.js (see demo/index.html): the widget's chat lives in an open shadow root.
 */
(function () {
  "use strict";
  var NEAR = 24; // px from the bottom that still counts as "at the bottom"
  var USER_INPUT_MS = 600; // a scroll this soon after the patient's wheel, touch, key or click is theirs
  var state = new WeakMap(); // scroll container -> {pinned, height, asked}
  var lastInput = 0;

  // The patient's own scrolling: the wheel, a finger, the scrolling keys outside a text box, the scrollbar.
  // Not a click on Send or a starter, nor Enter in the message box: Chainlit scrolls after those itself.
  var SCROLL_KEYS = ["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", " "];
  function mine() { lastInput = Date.now(); }
  var options = { capture: true, passive: true };
  window.addEventListener("wheel", mine, options);
  window.addEventListener("touchmove", mine, options);
  window.addEventListener("keydown", function (e) {
    var target = e.composedPath()[0];
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (!typing && SCROLL_KEYS.indexOf(e.key) >= 0) mine();
  }, options);
  // A press on the chat's own scrollbar: the target is the chat container itself. Not the message box, which
  // scrolls too: a click into it before Enter had counted as the patient scrolling, so Chainlit's scroll to the
  // new question could stop the following (seen under load as an answer ending out of sight).
  window.addEventListener("mousedown", function (e) {
    var target = e.composedPath()[0];
    if (target && target.nodeType === 1 && isChat(target) && target.querySelector("[data-step-type]")) mine();
  }, options);

  function isChat(el) {
    return /(auto|scroll)/.test(getComputedStyle(el).overflowY);
  }

  function containers() {
    var roots = [document];
    document.querySelectorAll("*").forEach(function (e) { if (e.shadowRoot) roots.push(e.shadowRoot); });
    var found = [];
    roots.forEach(function (root) {
      root.querySelectorAll("[data-step-type]").forEach(function (step) {
        for (var e = step.parentElement; e; e = e.parentElement) {
          if (isChat(e)) { if (found.indexOf(e) < 0) found.push(e); break; }
        }
      });
    });
    return found;
  }

  function atBottom(el) { return el.scrollTop + el.clientHeight >= el.scrollHeight - NEAR; }

  function questions(el) { return el.querySelectorAll('[data-step-type="user_message"]').length; }

  function track(el) {
    if (state.has(el)) return state.get(el);
    var s = { pinned: true, height: el.scrollHeight, asked: questions(el) };
    state.set(el, s);
    el.addEventListener("scroll", function () {
      if (Date.now() - lastInput < USER_INPUT_MS) s.pinned = atBottom(el);
    }, { passive: true });
    return s;
  }

  var queued = false;
  function check() {
    queued = false;
    containers().forEach(function (el) {
      var s = track(el);
      var asked = questions(el);
      if (asked > s.asked) s.pinned = true; // the patient just asked: follow the answer
      s.asked = asked;
      if (el.scrollHeight !== s.height && s.pinned && !atBottom(el)) el.scrollTop = el.scrollHeight;
      s.height = el.scrollHeight;
    });
  }

  function schedule() { if (!queued) { queued = true; requestAnimationFrame(check); } }

  var observed = new WeakSet();
  function observe(root) {
    if (observed.has(root)) return;
    observed.add(root);
    new MutationObserver(schedule).observe(root, { childList: true, subtree: true, characterData: true });
  }

  function observeShadowRoots() {
    document.querySelectorAll("*").forEach(function (e) { if (e.shadowRoot) observe(e.shadowRoot); });
  }

  function start() {
    observe(document.body);
    observeShadowRoots();
    // The widget's shadow root is attached after its host is inserted: look for new ones now and then.
    setInterval(observeShadowRoots, 1000);
    // Cards and images that load after they are inserted change heights without a mutation.
    window.addEventListener("load", schedule, true);
  }

  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
