"""The browser fixtures of tests/web/browser (Debian's Chromium through Playwright)."""

from tests.web.browser.conftest import browser_context, page, shot  # noqa: F401
