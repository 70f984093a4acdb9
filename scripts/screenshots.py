"""``make screenshots``: every page each demo persona reaches, at 1280 and 390 CSS px.

Starts a throwaway demo deployment (as ``make run`` does, in a temporary folder with its own
SQLite database and keys), signs in as each persona of ``chorus demo``, follows the same-origin
links from their home page (breadth first, bounded) and writes full-page PNGs to
``screenshots/<persona>/<page>-<width>.png``. Any page that scrolls sideways at 1280, 390 or
320 px is printed with its widest element, and the script exits with status 1 if there was one.

    .venv/bin/python scripts/screenshots.py [--personas survivor,advocate] [--max-pages 80]

Nothing here is part of ``make test``: the browser journeys check the width of every page
they visit (tests/browser/conftest.py).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
WIDTHS = (1280, 390)
NARROWEST = 320  # WCAG 2.2, 1.4.10 Reflow
# Links a crawl must not follow: they end the session, leave Chorus, download files or change
# something by being opened.
SKIPPED = re.compile(
    r"/(quick-exit|sign-out|sign-in|leave|export|download|receipt|pdf)(/|$)|\.(pdf|json|zip|csv|txt)$|[?&]download"
)
# The widest element of a page that scrolls sideways (the deepest one wider than the viewport).
WIDEST = r"""
() => {
  const width = document.documentElement.clientWidth;
  const overflow = document.documentElement.scrollWidth - width;
  if (overflow <= 0) return null;
  let widest = null, right = width;
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > right + 0.5) { right = box.right; widest = element; }
  }
  // Text that does not wrap overflows its element without a wider box: name that element.
  if (!widest) {
    for (const element of document.body.querySelectorAll("*")) {
      if (element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).overflowX === "visible") widest = element;
    }
  }
  const name = widest ? widest.tagName.toLowerCase() + (widest.id ? "#" + widest.id : "") +
    (widest.className && typeof widest.className === "string" ? "." + widest.className.trim().split(/\s+/).join(".") : "") : "?";
  return {scrollWidth: document.documentElement.scrollWidth, width, widest: name, right: Math.round(right)};
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    """``make run`` in a temporary folder: migrate, the demo organization, a checkpoint, the server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith(("CHORUS_", "DATABASE_URL"))},
            "DJANGO_SETTINGS_MODULE": "chorus.config.settings",
            "CHORUS_DATA_DIR": str(folder / "data"),
            "CHORUS_BASE_URL": self.url,
            "CHORUS_EMAIL_URL": "console:",
            "CHORUS_LOG_LEVEL": "WARNING",
        }
        self.server: subprocess.Popen[bytes] | None = None

    def chorus(self, *arguments: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own installed command)
            [str(BIN / "chorus"), *arguments],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"chorus {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> list[str]:
        """Start the demo; returns its personas, as ``chorus demo`` lists their sign-ins."""
        self.chorus("migrate", "--no-input", "-v0")
        personas = re.findall(r"^\s+([a-z_]+)@demo\.chorus\.invalid", self.chorus("demo"), re.MULTILINE)
        self.chorus("ledger", "checkpoint")
        log = (self.folder / "server.log").open("ab")
        self.server = subprocess.Popen(  # noqa: S603 (our own installed command)
            [str(BIN / "chorus"), "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            env=self.env,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5):  # noqa: S310 (loopback, our own server)
                    return personas
            except (urllib.error.URLError, ConnectionError):
                if self.server.poll() is not None:
                    break
                time.sleep(0.3)
        raise SystemExit(f"the demo server did not start; see {self.folder / 'server.log'}")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=20)


def page_name(path: str) -> str:
    """A file name for a page: its path with slashes as dashes ("home" for "/")."""
    parts = urlsplit(path)
    name = "-".join(part for part in parts.path.split("/") if part) or "home"
    if parts.query:
        name += "-" + re.sub(r"[^A-Za-z0-9]+", "_", parts.query).strip("_")
    return name[:150]


def sign_in(page: Any, demo: Demo, persona: str) -> None:
    page.goto(demo.url + "/sign-in/")
    page.fill("input[name=email]", f"{persona}@demo.chorus.invalid")
    page.fill("input[name=password]", f"demo-password-{persona}")
    page.click("form button[type=submit]:not(.link):not(.secondary)")
    page.wait_for_load_state()
    if urlsplit(page.url).path.startswith("/sign-in/two-factor"):
        page.fill("input[name=code]", demo.chorus("demo", "--code", persona).strip())
        page.click("form button[type=submit]:not(.link):not(.secondary)")
        page.wait_for_load_state()
    if urlsplit(page.url).path.startswith("/sign-in"):
        raise SystemExit(f"could not sign in as {persona} (still at {page.url})")


def same_origin_links(page: Any, demo: Demo) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "a[href]:not([data-quick-exit]):not([download])", "links => links.map((a) => a.href)"
    )
    found = []
    for href in hrefs:
        address, _fragment = urldefrag(href)
        if not address.startswith(demo.url + "/"):
            continue
        path = address[len(demo.url) :]
        if not SKIPPED.search(path):
            found.append(path)
    return found


def overflow(page: Any) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.evaluate(WIDEST)
    return result


def crawl(browser: Any, demo: Demo, persona: str, folder: Path, max_pages: int) -> list[str]:
    """Screenshots of every page ``persona`` reaches; returns the pages that scroll sideways or fail."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    sign_in(page, demo, persona)
    (folder / persona).mkdir(parents=True, exist_ok=True)
    seen = {"/"}
    queue = deque(["/"])
    sideways: list[str] = []
    visited = 0
    while queue and visited < max_pages:
        path = queue.popleft()
        response = page.goto(demo.url + path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if response.status >= 500:
            sideways.append(f"{persona} {path}: the server failed (HTTP {response.status}); see its log below")
            print("SERVER ERROR:", sideways[-1])
        if urlsplit(page.url).path.startswith("/sign-in"):
            raise SystemExit(f"{persona} was signed out at {path}")
        visited += 1
        for link in same_origin_links(page, demo):
            if link not in seen:
                seen.add(link)
                queue.append(link)
        name = page_name(path)
        for width in (*WIDTHS, NARROWEST):
            page.set_viewport_size({"width": width, "height": 900})
            wide = overflow(page)
            if wide:
                line = (
                    f"{persona} {path} at {width} px: {wide['scrollWidth']} px wide, "
                    f"widest element {wide['widest']} (to {wide['right']} px)"
                )
                sideways.append(line)
                print("SCROLLS SIDEWAYS:", line)
            if width in WIDTHS:
                # From the top: a full-page capture of a scrolled page draws the sticky quick-exit
                # bar where the view was, in the middle of the picture.
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(folder / persona / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    print(f"{persona}: {visited} pages" + (f" (stopped at {max_pages}; more were linked)" if queue else ""))
    context.close()
    return sideways


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--personas", default="", help="comma-separated demo personas (all of them by default)")
    parser.add_argument("--max-pages", type=int, default=80, help="at most this many pages per persona")
    parser.add_argument("--output", type=Path, default=REPO / "screenshots")
    arguments = parser.parse_args()
    chosen = [persona.strip() for persona in arguments.personas.split(",") if persona.strip()]

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chorus-screenshots-") as temporary:
        demo = Demo(Path(temporary))
        every = demo.start()
        sideways: list[str] = []
        try:
            unknown = sorted(set(chosen) - set(every))
            if unknown:
                parser.error(f"no demo persona {', '.join(unknown)}; choose from {', '.join(every)}")
            personas = chosen or every
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
                )
                for persona in personas:
                    shutil.rmtree(arguments.output / persona, ignore_errors=True)
                    sideways += crawl(browser, demo, persona, arguments.output, arguments.max_pages)
                browser.close()
        finally:
            demo.stop()
        if any("the server failed" in line for line in sideways):
            print((demo.folder / "server.log").read_text()[-4000:])
    print(f"Screenshots in {arguments.output}/<persona>/.")
    if sideways:
        print(f"{len(sideways)} page views scroll sideways or failed:")
        for line in sideways:
            print("  " + line)
        return 1
    print("No page scrolls sideways at 1280, 390 or 320 px.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
