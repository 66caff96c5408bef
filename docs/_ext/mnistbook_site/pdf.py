"""Print the single-page build of the book into one PDF with headless Chromium.

    python docs/_ext/mnistbook_site/pdf.py _build/singlehtml _build/html/mnistbook.pdf

The single page (Sphinx's ``singlehtml`` builder, which reuses the chapters'
executed outputs) is served on 127.0.0.1 and opened in Chromium; once MathJax
has typeset it and every figure has loaded, a table of contents and chapter
numbers are added and the page is printed: A4, with page numbers and a PDF
outline (bookmarks) from the headings.  No TeX is needed.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import threading
import time
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

# Runs in the page before printing: put each chapter on a new page and its
# number (from the table of contents the extension wrote) before its title.
PREPARE = """
() => {
  let numbered = 0;
  document.querySelectorAll(".mnistbook-pdf-toc li[data-doc]").forEach((entry) => {
    const anchor = document.getElementById("document-" + entry.dataset.doc);
    const chapter = anchor && anchor.nextElementSibling;
    if (!chapter) return;
    chapter.classList.add("mnistbook-pdf-chapter");
    const title = chapter.querySelector("h1, h2");
    if (title && entry.dataset.number) {
      const number = document.createElement("span");
      number.className = "mnistbook-chapter-number";
      number.textContent = entry.dataset.number;
      title.prepend(number);
      numbered += 1;
    }
  });
  document.documentElement.dataset.theme = "light";
  return numbered;
}
"""

FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def chromium_path() -> str | None:
    found = os.environ.get("MNISTBOOK_CHROMIUM")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = found or shutil.which(name)
    return found


def print_book(site: Path, output: Path, chromium: str) -> int:
    """Print ``site/index.html`` into ``output``; return the number of chapters."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=CHROMIUM_ARGS)
            context = browser.new_context(color_scheme="light", viewport={"width": 1000, "height": 1400})
            page = context.new_page()
            outside: list[str] = []

            def route(request_route):
                url = request_route.request.url
                if url.startswith(("data:", "blob:", "http://127.0.0.1")):
                    request_route.continue_()
                else:
                    outside.append(url)
                    request_route.abort()

            context.route("**/*", route)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html", wait_until="load")
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=60_000)
            page.evaluate("() => MathJax.startup.promise")
            page.wait_for_function("() => Array.from(document.images).every(i => i.complete)",
                                   timeout=60_000)
            page.evaluate("() => document.fonts.ready")
            chapters = page.evaluate(PREPARE)
            page.emulate_media(media="print", color_scheme="light")
            output.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(output),
                format="A4",
                print_background=True,
                margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=FOOTER,
                outline=True,
                tagged=True,
            )
            browser.close()
            if outside:
                raise SystemExit(f"the book page requested outside 127.0.0.1: {outside}")
            return chapters
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the singlehtml build (holds index.html)")
    parser.add_argument("output", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    chromium = chromium_path()
    if not chromium:
        print("Chromium not found: install it (Debian: apt-get install chromium) "
              "or set MNISTBOOK_CHROMIUM", file=sys.stderr)
        return 1
    start = time.perf_counter()
    chapters = print_book(args.site.resolve(), args.output.resolve(), chromium)
    size = args.output.stat().st_size / 1e6
    print(f"{args.output}: {chapters} numbered chapters, {size:.1f} MB "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
