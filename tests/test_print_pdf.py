"""On paper and as a PDF: the print stylesheet and the whole-book PDF.

The PDF (``nox -s docs`` or ``nox -s pdf`` writes it to the site root) is read
back with pdftotext (Debian's poppler-utils).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request

import pytest

from conftest import ROOT, SITE, PageVisit, wait_for_math

pytestmark = pytest.mark.browser

BOOK_PDF = SITE / "mnistbook.pdf"
# The pages the audit found with code cut off in print.
WIDE_CODE_PAGES = ["softmax.html", "numpy.html", "api.html"]


def course_chapters() -> list[tuple[str, str]]:
    """(docname, title) of the course's chapters, in the order of index.md."""
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    block = re.search(r"```\{toctree\}\n:caption: Course\n(.*?)```", index, re.S).group(1)
    names = [line.strip() for line in block.splitlines() if line.strip() and not line.startswith(":")]
    chapters = []
    for name in names:
        text = (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")
        chapters.append((name, re.search(r"^# (.+)$", text, re.M).group(1).strip()))
    return chapters


@pytest.fixture(scope="module")
def book_text() -> str:
    if not BOOK_PDF.exists():
        pytest.fail(f"{BOOK_PDF} is missing: `nox -s docs` (or `nox -s pdf`) writes it")
    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        pytest.fail("pdftotext not found: apt-get install poppler-utils")
    result = subprocess.run([pdftotext, "-layout", str(BOOK_PDF), "-"], capture_output=True,
                            text=True, check=True)
    return result.stdout


def test_pdf_has_contents_and_every_chapter_numbered(book_text):
    pages = book_text.count("\f")
    assert pages >= 50, f"only {pages} pages"
    assert "Contents" in book_text
    flat = " ".join(book_text.split())
    for number, (_, title) in enumerate(course_chapters(), start=1):
        plain = " ".join(title.replace("`", "").split())
        assert re.search(rf"CHAPTER {number} {re.escape(plain)}", flat), f"chapter {number}, {plain!r}"
    for page in ("The mnistbook library", "Build status", "About this book"):
        assert page in flat


def test_pdf_has_outputs_figures_and_typeset_math(book_text):
    data = BOOK_PDF.read_bytes()
    assert b"/Outlines" in data, "no bookmarks"
    images = len(re.findall(rb"/Subtype\s*/Image", data))
    assert images >= 22, f"only {images} images: the figures are missing"
    flat = " ".join(book_text.split())
    # the toggles' label, except where the run page's prose names the button to click
    assert not re.search(r"(?<!click )Show code cell", flat), "the hidden cells' toggles were printed"
    assert "\\frac" not in flat and "\\sum" not in flat and "$$" not in flat, "raw TeX in the PDF"
    # Outputs of executed cells: the shapes printed in "What MNIST is".
    assert "(60000, 28, 28)" in flat


def test_home_page_links_the_pdf(site_url):
    html = (SITE / "index.html").read_text(encoding="utf-8")
    assert 'href="mnistbook.pdf"' in html
    with urllib.request.urlopen(f"{site_url}/mnistbook.pdf") as response:
        assert response.status == 200
        assert response.read(5) == b"%PDF-"


@pytest.mark.parametrize("page_name", WIDE_CODE_PAGES)
def test_print_wraps_code_and_is_light(browser, site_url, page_name):
    """Printed from dark mode: light colours, code that wraps, outputs of hidden cells."""
    # 794 px: the width of an A4 page at 96 dpi
    visit = PageVisit(browser, f"{site_url}/{page_name}", width=794, color_scheme="dark")
    page = visit.page
    try:
        page.wait_for_load_state("networkidle")
        wait_for_math(page)
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        page.emulate_media(media="print")
        colours = page.evaluate(
            """() => { const lum = (c) => { const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).map(Number);
                                             return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
                       const body = getComputedStyle(document.body);
                       const p = document.querySelector('article p');
                       const code = document.querySelector('article .highlight .k, article .highlight .nb, article .highlight .n');
                       return {background: lum(body.backgroundColor), text: lum(getComputedStyle(p).color),
                               code: lum(getComputedStyle(code).color)}; }"""
        )
        # Light paper, dark text, and the light theme's code colours (not the dark one's pale ones).
        assert colours["background"] > 0.9 and colours["text"] < 0.35 and colours["code"] < 0.5, colours
        cut = page.evaluate(
            """() => Array.from(document.querySelectorAll('article pre'))
                 .filter(pre => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
                 .map(pre => pre.textContent.slice(0, 60))"""
        )
        assert cut == [], f"code cut off in print: {cut}"
        toggles = page.evaluate(
            """() => Array.from(document.querySelectorAll('details.hide > summary'))
                 .filter(s => s.offsetParent !== null).length"""
        )
        assert toggles == 0, "the 'Show code cell source' toggles print"
        hidden_outputs = page.evaluate(
            """() => Array.from(document.querySelectorAll('.cell:has(details.hide) .cell_output'))
                 .filter(o => o.offsetParent === null).length"""
        )
        assert hidden_outputs == 0, "outputs of hidden-input cells do not print"
    finally:
        visit.close()
