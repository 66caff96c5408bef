"""Fixtures shared by the browser tests (test_site.py, test_draw.py).

Session-wide, so that every browser test uses one server on 127.0.0.1 and one
Chromium (Playwright's sync API allows only one at a time).
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from test_site import CHROMIUM_ARGS, PAGES, SITE, QuietHandler, chromium_path


@pytest.fixture(scope="session")
def site_url():
    if not PAGES:
        pytest.fail(f"no built site in {SITE}: run `nox -s docs` (or `nox -s tests`) first")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
