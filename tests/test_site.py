"""Browser tests: the built site, served on 127.0.0.1, in headless Chromium.

They need a built site (``nox -s tests`` builds it first; otherwise run
``nox -s docs``) and Debian's chromium.  Every page is opened as a reader
would open it; a screenshot of each is saved under ``_build/screenshots``.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from conftest import EDITIONS, PAGES, ROOT, SHOTS, SITE, PageVisit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page_name", PAGES or ["index.html"])
def test_page(browser, site_url, page_name):
    visit = PageVisit(browser, f"{site_url}/{page_name}")
    page = visit.page
    try:
        if page.locator("span.math, div.math").count():
            # MathJax replaces the TeX source with mjx-container elements.
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15_000)
            page.evaluate("() => MathJax.startup.promise")  # resolves once typesetting is done
            text = page.locator("article").inner_text()
            assert "\\(" not in text and "\\[" not in text, "raw TeX left on the page"
            assert page.locator("mjx-container").count() >= page.locator("span.math, div.math").count()
        page.wait_for_load_state("networkidle")
        broken = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(img => !img.complete || img.naturalWidth === 0).map(img => img.src)"
        )
        assert broken == [], f"images that did not load: {broken}"
        code_cells = page.locator("div.cell_input div.highlight").count()
        if code_cells:
            assert page.locator("div.cell_input button.copybtn").count() == code_cells
        assert page.locator("div.cell_output button.copybtn").count() == 0, "copy button on an output"
        assert visit.outside == [], f"requests leaving 127.0.0.1: {visit.outside}"
        assert page.locator("a.mnistbook-language-switch").count() == 1, "no language switch"
        expected_lang = "ja" if page_name.startswith("ja/") else "en"
        assert page.locator("html").get_attribute("lang") == expected_lang
        assert visit.failed == [], f"failed requests: {visit.failed}"
        assert visit.errors == [], f"JavaScript console errors: {visit.errors}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / (page_name.replace("/", "__")[:-5] + ".png")), full_page=True)
    finally:
        visit.close()


@pytest.mark.parametrize("query, page", [("softmax", "softmax.html"),
                                         ("backpropagation", "layer.html"),
                                         ("backpropagation", "glossary.html")])
def test_search_finds_a_chapter(browser, site_url, query, page):
    visit = PageVisit(browser, f"{site_url}/search.html?q={query}")
    try:
        results = visit.page.locator("#search-results li a")
        results.first.wait_for(timeout=15_000)
        links = [results.nth(i).get_attribute("href") for i in range(results.count())]
        assert any((link or "").split("#")[0].endswith(page) for link in links), links
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()


def test_chapter_downloads(site_url):
    """Each chapter offers its .md source and its executed .ipynb (the course's chapters:
    the build status page is executed too, but reports on the build)."""
    import json
    import urllib.request

    chapters = [p for p in PAGES if (ROOT / "docs" / p.replace(".html", ".md")).exists()]
    notebooks = [p for p in chapters if "kernelspec" in (ROOT / "docs" / p.replace(".html", ".md")).read_text()
                 and p not in ("status.html", "api.html")]  # reference pages: no reader notebook
    assert notebooks, "no executed chapter in the site"
    for edition in EDITIONS:
        for page in notebooks:
            stem = page[:-5]
            html = (SITE / edition / page).read_text()
            assert f"_sources/{stem}.md" in html and f"_sources/{stem}.ipynb" in html, edition + page
            with urllib.request.urlopen(f"{site_url}/{edition}_sources/{stem}.ipynb") as response:
                notebook = json.load(response)
            executed = [c for c in notebook["cells"] if c["cell_type"] == "code" and c.get("execution_count")]
            assert executed, f"{edition}{stem}.ipynb has no executed cells"


def test_japanese_search(browser, site_url):
    """Sphinx's Japanese search finds a word of the translated prose."""
    visit = PageVisit(browser, f"{site_url}/ja/search.html?q=ミニバッチ")
    try:
        results = visit.page.locator("#search-results li a")
        results.first.wait_for(timeout=15_000)
        links = [(results.nth(i).get_attribute("href") or "").split("#")[0] for i in range(results.count())]
        assert any(link.endswith("training.html") for link in links), links
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_language_switch(browser, site_url, width):
    """The switch leads to the same page in the other edition and back, on a phone too."""
    visit = PageVisit(browser, f"{site_url}/mnist.html")
    page = visit.page
    try:
        page.set_viewport_size({"width": width, "height": 800})
        for lang, expected in (("ja", "/ja/mnist.html"), ("en", "/mnist.html")):
            switch = page.locator("a.mnistbook-language-switch")
            assert switch.count() == 1 and switch.get_attribute("hreflang") == lang
            box = switch.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
            switch.click()
            page.wait_for_load_state("load")
            assert urlparse(page.url).path == expected
            assert page.locator("html").get_attribute("lang") == lang
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()


def test_glossary_and_lecture_pages():
    """The glossary pairs at least 20 terms with Japanese ones marked lang="ja";
    the lecture page lists the nine corrections; the index links back to the chapters."""
    import re

    glossary = (SITE / "glossary.html").read_text()
    terms = re.findall(r'<dt id="term-[^"]+"', glossary)
    assert len(terms) >= 20, len(terms)
    assert glossary.count('lang="ja"') >= len(terms), glossary.count('lang="ja"')
    lecture = (SITE / "lecture.html").read_text()
    corrections = lecture.split('id="what-the-book-corrects"')[1]
    assert len(re.findall(r"<tr class=\"row-(?:odd|even)\"><td><p>\d</p>", corrections)) == 9
    index = (SITE / "genindex.html").read_text()
    assert "backpropagation" in index and "layer.html#index-" in index


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("page", ["lecture.html", "summary.html"])
def test_stacked_table_cells_are_labelled_with_their_headers(page, edition, browser, site_url):
    """On a phone a stacked table is one block per row, its headers hidden: every cell
    but the first reads its own column's header, in the edition's language; on a
    wide screen the labels are hidden and the header row shows."""
    phone = PageVisit(browser, f"{site_url}/{edition}{page}", width=390, height=844)
    wide = PageVisit(browser, f"{site_url}/{edition}{page}")
    try:
        read = """() => Array.from(document.querySelectorAll('.stacked-table table'), table => {
          const headers = Array.from(table.querySelectorAll('thead th'), th => th.innerText.trim());
          const rows = Array.from(table.querySelectorAll('tbody tr'), tr =>
            Array.from(tr.children, td => {
              const label = td.querySelector('.stacked-label');
              return label && label.offsetParent !== null ? label.innerText.trim() : null;
            }));
          const headerShown = table.querySelector('thead').offsetParent !== null;
          return {headers, rows, headerShown};
        })"""
        tables = phone.page.evaluate(read)
        assert tables, page
        for table in tables:
            assert not table["headerShown"]
            wanted = [None] + [h[:1].upper() + h[1:] + ":" for h in table["headers"][1:]]
            assert all(row == wanted for row in table["rows"]), (wanted, table["rows"][0])
        for table in wide.page.evaluate(read):
            assert table["headerShown"] and all(row == [None] * len(row) for row in table["rows"])
    finally:
        phone.close()
        wide.close()


# What a copy button copies: the code, without prompts or doctest output.
COPY_LISTENER = """() => {
  window.copiedTexts = [];
  document.addEventListener('copy', event => {
    const field = event.target;
    window.copiedTexts.push(field && field.value !== undefined ? field.value : getSelection().toString());
  });
}"""
COPY_TARGETS = """() => Array.from(document.querySelectorAll('button.copybtn'), button => {
  const target = document.querySelector(button.dataset.clipboardTarget);
  // notebook cells and doctests are meant to be run; a literalinclude may be an excerpt
  return [target.textContent, !!target.closest('div.cell_input, div.doctest')];
})"""


def without_prompt(line: str):
    """The line as a reader should paste it, or None if it is output (not to be copied)."""
    for prompt in (">>> ", "... ", "$ "):
        if line.startswith(prompt):
            return line[len(prompt):]
    return "" if line == "..." else None


@pytest.mark.parametrize("page_name", ["api.html", "training.html", "run.html"])
def test_copy_buttons_copy_only_code(browser, site_url, page_name):
    visit = PageVisit(browser, f"{site_url}/{page_name}")
    page = visit.page
    try:
        page.wait_for_selector("button.copybtn", state="attached")
        page.evaluate(COPY_LISTENER)
        blocks = page.evaluate(COPY_TARGETS)
        assert blocks, f"no copy buttons on {page_name}"
        page.evaluate("() => document.querySelectorAll('button.copybtn').forEach(b => b.click())")
        copied = page.evaluate("() => window.copiedTexts")
        assert len(copied) == len(blocks)
        for (shown, runnable), text in zip(blocks, copied):
            lines = shown.removesuffix("\n").split("\n")
            if any(without_prompt(line) is not None for line in lines):
                # a doctest or console session: the prompted lines without their prompts
                expected = [without_prompt(line) or "" for line in lines
                            if without_prompt(line) is not None or not line.strip()]
                assert text.split("\n") == expected, (shown, text)
            else:
                assert text == "\n".join(lines), (shown, text)
            if runnable:
                compile(text, page_name, "exec")  # what a reader pastes is Python
    finally:
        visit.close()
