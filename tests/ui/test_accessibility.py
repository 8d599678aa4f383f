"""Accessibility of every page the server shows a reader, in Debian's chromium through Playwright.

axe-core (the ``axe.min.js`` that axe-playwright-python ships, injected into the page) must find no
critical or serious violation on the chat page (on open, after an answer, after a decline; desktop and
phone), ``/embed``, ``/docs`` and ``/redoc``. Beyond what axe checks: text contrast computed from the
rendered colours in light and dark mode, a visible focus ring on the question box, focus given back
after an example, an article panel the keyboard reaches and scrolls, and one typeface per heading as
the renderer reports it through the DevTools protocol.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from assistant.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.server, pytest.mark.browser]

TIMEOUT = 30_000
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
BLOCKING = {"critical", "serious"}
QUESTION = "#aa-question textarea"
PICKS = "#aa-chat .examples button, #aa-chat .options button"
ANSWERED = "What did the Russian Defense Ministry announce?"
# On topic, but a detail the article does not give: declined, with the closest passages shown.
DECLINED = "How many tomahawks did the US fire at the Syrian airbase in April?"


@pytest.fixture(scope="module")
def app_url(assistant, serve) -> str:
    return serve(create_app(assistant, assistant.settings))


@pytest.fixture()
def offline(page: Page) -> Iterator[None]:
    """Whatever the test opens asks nothing of the internet and nothing it needs is refused."""
    seen: list[str] = []
    refused: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield
    outside = [u for u in seen if urlsplit(u).scheme in {"http", "https", "ws", "wss"}]
    outside = [u for u in outside if urlsplit(u).hostname not in {"127.0.0.1", "localhost"}]
    assert not outside, f"requests left the server: {outside}"
    assert not refused, f"requests the server refused: {refused}"


def blocking_violations(page: Page) -> str:
    """axe-core's critical and serious violations on the page as it is now, one line per element."""
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            summary = " ".join((node.get("failureSummary") or violation["help"]).split())
            lines.append(f"{violation['id']} ({violation['impact']}) at {node['target']}: {summary}")
    return "\n".join(lines)


def open_chat(page: Page, url: str) -> None:
    """Opens the page and waits for its overview: a question asked before it would race it."""
    page.goto(url + "/")
    expect(page.locator(QUESTION)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#aa-article")).to_be_visible(timeout=TIMEOUT)
    overview = page.get_by_test_id("bot").first.locator(".aa-overview .aa-copy")
    expect(overview).to_have_count(1, timeout=TIMEOUT)


def ask(page: Page, question: str) -> None:
    """Asks and waits for the complete answer (sources, or the decline, rendered)."""
    before = page.get_by_test_id("bot").count()
    box = page.locator(QUESTION)
    box.fill(question)
    box.press("Enter")
    expect(page.get_by_test_id("bot")).to_have_count(before + 1, timeout=TIMEOUT)
    expect(page.get_by_test_id("bot").last.locator(".aa-sources")).to_be_visible(timeout=TIMEOUT)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_chat_page_has_no_critical_or_serious_axe_violations_on_open_answer_and_decline(
    page: Page, app_url: str, viewport: dict[str, int], offline: None
):
    page.set_viewport_size(viewport)
    open_chat(page, app_url)
    found = {"on open": blocking_violations(page)}
    ask(page, ANSWERED)
    found["after an answer"] = blocking_violations(page)
    ask(page, DECLINED)
    expect(page.get_by_test_id("bot").last.locator(".aa-declined")).to_be_visible()
    found["after a decline"] = blocking_violations(page)
    problems = {moment: lines for moment, lines in found.items() if lines}
    assert not problems, "\n".join(f"{moment}:\n{lines}" for moment, lines in problems.items())


def test_chat_page_in_dark_mode_has_no_critical_or_serious_axe_violations(
    page: Page, app_url: str, offline: None
):
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size(DESKTOP)
    open_chat(page, app_url)
    ask(page, ANSWERED)
    page.get_by_test_id("bot").last.locator("a.aa-cite").first.click()
    expect(page.locator("#aa-article mark.aa-active").first).to_be_visible()
    assert not (lines := blocking_violations(page)), lines


# Each page's own content, rendered: an empty page would pass axe vacuously.
RENDERED = {"/embed": "#iframe-snippet", "/docs": ".swagger-ui .info", "/redoc": "redoc-info, .api-info"}


@pytest.mark.parametrize("path", list(RENDERED))
def test_embed_and_api_docs_have_no_critical_or_serious_axe_violations(
    page: Page, app_url: str, path: str, offline: None
):
    page.goto(app_url + path)
    expect(page.locator(RENDERED[path]).first).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.lang"), f"{path} does not set <html lang>"
    assert not (lines := blocking_violations(page)), lines


# The contrast of an element's text against the colour actually behind it: its own background or the
# first ancestor's that is not transparent, composited over white (light) or the page colour (dark).
CONTRAST_JS = """([selector, pseudo]) => {
  const element = document.querySelector(selector);
  if (!element) return null;
  const rgba = (value) => {
    const [r, g, b, a = 1] = value.match(/[\\d.]+/g).map(Number);
    return [r, g, b, a];
  };
  const over = (top, bottom) =>
    top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const color = rgba(getComputedStyle(node).backgroundColor);
    if (color[3] > 0) layers.push(color);
    if (color[3] === 1) break;
  }
  let behind = rgba(getComputedStyle(document.body).backgroundColor);
  if (behind[3] < 1) behind = [255, 255, 255, 1];
  for (const layer of layers.reverse()) behind = over(layer, behind);
  // Opacity on the element or an ancestor fades its text towards what is behind it.
  const faded = rgba(getComputedStyle(element, pseudo).color);
  for (let node = element; node; node = node.parentElement) {
    faded[3] *= Number(getComputedStyle(node).opacity);
  }
  const text = over(faded, behind);
  const channel = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const [hi, lo] = [luminance(text), luminance(behind)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""

TEXTS = {
    "byline": (".aa-header .aa-meta", None),
    "note": (".aa-header .aa-note", None),
    "source line": ('[data-testid="bot"] .aa-sources .aa-where', None),
    "placeholder": (QUESTION, "::placeholder"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_of_byline_note_sources_and_placeholder_is_at_least_4_5(
    page: Page, app_url: str, scheme: str, offline: None
):
    page.emulate_media(color_scheme=scheme)
    open_chat(page, app_url)
    ask(page, ANSWERED)
    contrast = {name: page.evaluate(CONTRAST_JS, list(where)) for name, where in TEXTS.items()}
    assert None not in contrast.values(), f"an element to measure is missing: {contrast}"
    low = {name: round(ratio, 2) for name, ratio in contrast.items() if ratio < 4.5}
    assert not low, f"text contrast below 4.5:1 in {scheme} mode: {low} (all: {contrast})"


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Presses Tab until focus is on ``selector``: reached by the keyboard, as a reader would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    pytest.fail(f"{limit} presses of Tab never reached {selector}")


RING_JS = """(e) => { const s = getComputedStyle(e);
  return {outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, shadow: s.boxShadow,
          width: parseFloat(s.outlineWidth), style: s.outlineStyle}; }"""

# The first ancestor that clips the element's outline (overflow other than visible, and the outline
# reaching past its edge), or null: a ring drawn where nobody sees it is no ring.
CLIPPED_BY_JS = """(e) => { const s = getComputedStyle(e);
  const reach = parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
  const r = e.getBoundingClientRect();
  for (let n = e.parentElement; n && n !== document.body; n = n.parentElement) {
    const o = getComputedStyle(n);
    if (o.overflowX === 'visible' && o.overflowY === 'visible') continue;
    const c = n.getBoundingClientRect();
    if (r.left - reach < c.left - 0.5 || r.top - reach < c.top - 0.5 ||
        r.right + reach > c.right + 0.5 || r.bottom + reach > c.bottom + 0.5) return n.className || n.tagName;
  }
  return null; }"""


def test_question_box_shows_a_visible_focus_ring_when_reached_by_keyboard(
    page: Page, app_url: str, offline: None
):
    open_chat(page, app_url)
    box = page.locator("#aa-question")  # the whole box: Gradio's textarea forbids its own outline
    resting = box.evaluate(RING_JS)
    tab_to(page, QUESTION)
    focused = box.evaluate(RING_JS)
    assert (focused["outline"], focused["shadow"]) != (resting["outline"], resting["shadow"])
    assert focused["style"] != "none" and focused["width"] >= 2, focused
    assert box.evaluate(CLIPPED_BY_JS) is None, "an ancestor clips the focus ring"


def test_focus_returns_to_the_question_box_after_an_example_is_answered(
    page: Page, app_url: str, offline: None
):
    open_chat(page, app_url)
    before = page.get_by_test_id("bot").count()
    pick = page.locator(PICKS).first
    picked = pick.inner_text()
    pick.click()
    expect(page.get_by_test_id("bot")).to_have_count(before + 1, timeout=TIMEOUT)
    expect(page.get_by_test_id("user").last).to_contain_text(picked.strip())
    expect(page.locator(QUESTION)).to_be_focused(timeout=TIMEOUT)


def test_article_panel_is_a_labelled_region_the_keyboard_reaches_and_scrolls(
    page: Page, app_url: str, offline: None
):
    page.set_viewport_size(DESKTOP)
    open_chat(page, app_url)
    article = page.locator("#aa-article")
    expect(article).to_have_attribute("role", "region")
    expect(article).to_have_accessible_name("The article")
    page.locator(QUESTION).focus()
    tab_to(page, "#aa-article")
    assert article.evaluate("e => e.scrollHeight > e.clientHeight"), "the article panel does not scroll"
    scrolled = "(before) => document.getElementById('aa-article').scrollTop > before"
    for key in ("PageDown", "ArrowDown"):
        before = article.evaluate("e => e.scrollTop")
        page.keyboard.press(key)
        page.wait_for_function(scrolled, arg=before)


def fonts_rendering(page: Page, selector: str) -> list[list[tuple[str, bool]]]:
    """For each element matching ``selector``: the fonts the renderer drew its text with, as (family,
    whether the page supplied the font file)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
    used = []
    for node in nodes:
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        used.append([(font["familyName"], font["isCustomFont"]) for font in fonts])
    cdp.detach()
    return used


def test_title_and_article_headings_render_in_one_typeface(page: Page, app_url: str, offline: None):
    open_chat(page, app_url)
    # The page registers its bold face, which loads once laid-out text uses it: wait for that, no timer.
    status = page.evaluate(
        "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        ".then(() => document.fonts.ready).then(() => document.fonts.status)"
    )
    assert status == "loaded"
    for selector in (".aa-header h1", "#aa-article h2", "#aa-article h3"):
        used = fonts_rendering(page, selector)
        assert used, f"no {selector} on the page"
        mixed = [fonts for fonts in used if len(fonts) != 1]
        assert not mixed, f"{selector}: more than one font renders a heading: {mixed}"
        families = {fonts[0] for fonts in used}
        assert len(families) == 1, f"{selector}: headings render in different fonts: {families}"
        assert families <= {("Source Sans 3", True)}, f"{selector}: not the theme's own typeface: {families}"
