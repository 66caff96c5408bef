"""Fixtures shared by several test modules.

The browser tests (test_site.py, test_draw.py) share one server on 127.0.0.1 and
one Chromium, session-wide (Playwright's sync API allows only one at a time);
the memory-fault tests (test_idx.py, test_persist.py) run scripts in a
subprocess under a memory limit.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import textwrap
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
