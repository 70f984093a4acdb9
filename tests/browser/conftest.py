from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_django.fixtures import Settings as SettingsWrapper

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Every document any journey opens is checked, once it has loaded, by axe-core against
# WCAG 2.0-2.2 A and AA; its visible text and language are kept for the translation check.
PAGE_CHECK = r"""
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  window.__chorusChecked = false;
  const check = async () => {
    let violations = [];
    try {
      const result = await axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
        resultTypes: ["violations"],
      });
      violations = result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
      }));
    } catch (error) {
      violations = [{id: "axe-failed", impact: "critical", help: String(error), nodes: []}];
    }
    const attributes = Array.from(
      document.querySelectorAll("[aria-label], [placeholder], [title], img[alt], input[type=submit][value]"),
      (e) => e.getAttribute("aria-label") || e.getAttribute("placeholder") || e.getAttribute("title") || e.getAttribute("alt") || e.value,
    );
    await window.__chorusPageChecked({
      url: location.pathname, lang: document.documentElement.lang, title: document.title, violations,
      text: (document.body ? document.body.innerText : "") + "\n" + attributes.join("\n"),
    });
    window.__chorusChecked = true;
  };
  if (document.readyState === "complete") check(); else window.addEventListener("load", check);
})();
"""
# Every document is also laid out at 320 CSS px (WCAG 2.2, 1.4.10 Reflow: no sideways scrolling)
# once, after its accessibility check: the viewport is narrowed, the page measured and the
# viewport restored. The answer names the element that reaches furthest right (or, for text
# that does not wrap, the element it overflows).
NARROWEST = 320
WIDTH_CHECK = r"""
() => {
  if (window.__chorusWidthChecked || !document.body || !/^https?:$/.test(location.protocol)) return null;
  window.__chorusWidthChecked = true;
  const root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth <= width) return {url: location.pathname, scrollWidth: root.scrollWidth, width, widest: null};
  let widest = null, right = width;
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > right + 0.5) { right = box.right; widest = element; }
  }
  if (!widest) {
    for (const element of document.body.querySelectorAll("*")) {
      if (element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).overflowX === "visible") widest = element;
    }
  }
  const describe = (element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
    (typeof element.className === "string" && element.className.trim() ? "." + element.className.trim().split(/\s+/).join(".") : "");
  let name = "?";
  if (widest) {
    name = describe(widest);
    const text = (widest.innerText || widest.value || "").trim().slice(0, 40);
    if (text) name += ` ("${text}")`;
  }
  return {url: location.pathname, scrollWidth: root.scrollWidth, width, widest: name};
}
"""
# Actions that may leave a page wait until its check has finished, so none is skipped.
NAVIGATING = {
    "Page": ("goto", "go_back", "reload", "click", "press"),
    "Locator": ("click", "press", "dispatch_event"),
    "Keyboard": ("press",),
}


@dataclass
class PageReport:
    url: str
    lang: str
    title: str
    text: str
    violations: list[dict[str, Any]] = field(default_factory=list)


class Mailbox:
    """A real SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox(settings: SettingsWrapper) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield box
    finally:
        controller.stop()


def _checked(page: Any) -> None:
    """Wait until the page's accessibility check has run (pages without JavaScript have none),
    then measure the page at 320 CSS px once (with or without JavaScript)."""
    for _attempt in range(3):
        try:
            if page.context.__dict__.get("_chorus_checked", False):
                page.wait_for_function("() => window.__chorusChecked !== false", timeout=15000)
            _measure_narrow(page)
            return
        except Exception as error:  # a navigation under way replaces the document; look again
            if "Execution context was destroyed" not in str(error) and "navigation" not in str(error):
                raise
            page.wait_for_load_state()


def _measure_narrow(page: Any) -> None:
    """Lay the current document out at 320 px wide and note it if it scrolls sideways."""
    if page.evaluate("() => Boolean(window.__chorusWidthChecked)"):
        return
    viewport = page.viewport_size or {"width": 1280, "height": 720}
    page.set_viewport_size({"width": NARROWEST, "height": viewport["height"]})
    try:
        result = page.evaluate(WIDTH_CHECK)
    finally:
        page.set_viewport_size(viewport)
    if result and result["scrollWidth"] > result["width"]:
        page.context.__dict__["_chorus_too_wide"].append(
            f"{result['url']} scrolls sideways at {NARROWEST} px: {result['scrollWidth']} px wide, "
            f"widest element {result['widest']}"
        )


def _waiting(original: Callable[..., Any], page_of: Callable[[Any], Any]) -> Callable[..., Any]:
    def action(self: Any, *args: Any, **kwargs: Any) -> Any:
        page = page_of(self)
        if not page.is_closed() and "_chorus_too_wide" in page.context.__dict__:
            _checked(page)
        return original(self, *args, **kwargs)

    return action


def fill_date(scope: Any, label: str, iso_date: str) -> None:
    """Type a date (given as YYYY-MM-DD) into the day, month and year boxes of the date
    labelled ``label`` (chorus.web.dates), as a person would."""
    year, month, day = (str(int(part)) for part in iso_date.split("-"))
    group = scope.get_by_role("group", name=label)
    group.get_by_label("Day", exact=True).fill(day)
    group.get_by_label("Month", exact=True).fill(month)
    group.get_by_label("Year", exact=True).fill(year)


@pytest.fixture
def page_reports() -> list[PageReport]:
    """What every page of the test's journeys showed, as its check reported it."""
    return []


@pytest.fixture
def browser_pages(page_reports: list[PageReport], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """A factory of pages, each in its own browser context (its own cookies): one person each.

    Every page loaded in them is checked with axe-core; the journey fails on any serious or
    critical violation of WCAG 2.2 A/AA, and on any page that scrolls sideways at 320 px."""
    from playwright.sync_api import Keyboard, Locator, Page, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes around it are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    problems: list[str] = []
    too_wide: list[str] = []
    checker = AXE.read_text() + PAGE_CHECK
    owners = {"Page": (Page, lambda page: page), "Locator": (Locator, lambda locator: locator.page)}
    keyboards: dict[int, Any] = {}
    owners["Keyboard"] = (Keyboard, lambda keyboard: keyboards[id(keyboard)])
    for name, methods in NAVIGATING.items():
        cls, page_of = owners[name]
        for method in methods:
            monkeypatch.setattr(cls, method, _waiting(getattr(cls, method), page_of))
    pages: list[Any] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def new_page(*, javascript: bool = True, **options: Any) -> Any:
            context = browser.new_context(accept_downloads=True, java_script_enabled=javascript, **options)
            if javascript:
                context.expose_function("__chorusPageChecked", lambda report: page_reports.append(PageReport(**report)))
                context.add_init_script(checker)
                context.__dict__["_chorus_checked"] = True
            context.__dict__["_chorus_too_wide"] = too_wide
            page = context.new_page()
            keyboards[id(page.keyboard)] = page
            pages.append(page)
            page.set_default_timeout(15000)
            page.on(
                "console",
                lambda message: (
                    problems.append(message.text)
                    if message.type == "error" and "Failed to load resource" not in message.text
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            return page

        try:
            yield new_page
            for page in pages:
                if not page.is_closed():
                    _checked(page)
            # A CSP violation or script error on any page of the journey fails it (HTTP error
            # statuses the journey provokes on purpose are not such errors).
            assert problems == [], problems
            failing = [
                (report.url, violation)
                for report in page_reports
                for violation in report.violations
                if violation["impact"] in ("serious", "critical")
            ]
            assert failing == [], json.dumps(failing, indent=1)
            # No page of the journey scrolls sideways on a 320 px screen.
            assert too_wide == [], "\n".join(dict.fromkeys(too_wide))
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def browser_page(browser_pages: Callable[[], Any]) -> Any:
    return browser_pages()
