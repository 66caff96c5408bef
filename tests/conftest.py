"""The harness of the browser tests: the built site, served on 127.0.0.1, and
headless Chromium (shared by test_site.py and the site's other browser tests).

They need a built site (``nox -s tests`` builds it first; otherwise run
``nox -s docs``) and Debian's chromium.

Also a fixture for the memory-fault tests (test_idx.py, test_persist.py):
``run_memory_limited`` runs a script in a subprocess under a memory limit.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("MNISTBOOK_SITE", ROOT / "_build" / "html"))
SHOTS = ROOT / "_build" / "screenshots"
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
# the same sandbox and network flags as the PDF printer: one list for both
from mnistbook_site.pdf import CHROMIUM_ARGS  # noqa: E402
# Sphinx's generated pages that are not part of the book's reading order.
NOT_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
EDITIONS = ("", "ja/")  # the English site and the Japanese one inside it

def site_pages() -> list[str]:
    if not (SITE / "index.html").exists():
        return []
    pages = [
        path.relative_to(SITE).as_posix()
        for path in SITE.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(SITE).parts)
    ]
    return sorted(page for page in pages if page.removeprefix("ja/") not in NOT_PAGES)


PAGES = site_pages()


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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test log readable
        pass


def chromium_path() -> str:
    path = os.environ.get("MNISTBOOK_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium not found: apt-get install chromium, or set MNISTBOOK_CHROMIUM")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageVisit:
    """A page opened in a fresh context, recording console errors and requests."""

    def __init__(self, browser, url: str, width: int = 1280, height: int = 900, **context_options):
        self.context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("requestfailed", lambda req: self.failed.append(req.url))
        self.missing: list[str] = []  # answered with an HTTP error (a 404: an asset not shipped)
        self.page.on("response", lambda res: res.status >= 400 and self.missing.append(f"{res.status} {res.url}"))
        self.context.route("**/*", self._route)
        self.page.goto(url, wait_until="load")

    def _console(self, message):
        if message.type == "error":
            self.errors.append(message.text)

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


def all_site_pages() -> list[str]:
    """Every HTML page a reader can reach: the book's pages, the highlighted
    sources of the library (_modules/) and Sphinx's index and search pages."""
    if not (SITE / "index.html").exists():
        return []
    skip = ("_static", "_sources", "_images")
    return sorted(
        path.relative_to(SITE).as_posix()
        for path in SITE.rglob("*.html")
        if not set(path.relative_to(SITE).parts) & set(skip)  # also the Japanese edition's
    )


ALL_PAGES = all_site_pages()


def wait_for_math(page) -> None:
    """Wait until MathJax has typeset the page (a no-op on pages without math)."""
    if page.locator("span.math, div.math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=15_000)
        page.evaluate("() => MathJax.startup.promise")


MEMORY_LIMIT = textwrap.dedent("""
    import resource, sys

    # allow this process only {headroom} MiB more than it already has, and check that it bites
    size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + ({headroom} << 20),) * 2)
    try:
        bytearray(2 * {headroom} << 20)
        sys.exit("the memory limit does not bite")
    except MemoryError:
        pass
""")


@pytest.fixture
def run_memory_limited():
    """Run a Python script in a subprocess allowed only ``headroom`` MiB more memory than at its start.

    The script's imports run first (their memory is not counted); returns the CompletedProcess.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("RLIMIT_AS and /proc: Linux")

    def run(imports, script, *args, headroom=256, timeout=60):
        code = textwrap.dedent(imports) + MEMORY_LIMIT.format(headroom=headroom) + textwrap.dedent(script)
        return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                              text=True, timeout=timeout)

    return run
