# The browser journey here uses the same checked pages (axe-core, 320 px) as tests/browser.
from tests.browser.conftest import browser_pages, page_reports

__all__ = ["browser_pages", "page_reports"]
