"""Accessibility of every page, light and dark: axe-core finds nothing serious.

axe-core comes from npm (package.json pins it; `npm ci` installs it into
node_modules, as the tests session does) and is injected from there into each
page: nothing is fetched from outside 127.0.0.1.
"""

from __future__ import annotations

import pytest

from conftest import ALL_PAGES, ROOT, SITE, PageVisit, wait_for_math

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def run_axe(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` at the repository root")
    page.add_script_tag(path=str(AXE))  # inlined into the page, not requested
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }""",
        AXE_TAGS,
    )


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_name", ALL_PAGES or ["index.html"])
def test_no_serious_axe_violations(browser, site_url, page_name, mode):
    visit = PageVisit(browser, f"{site_url}/{page_name}", color_scheme=mode)
    page = visit.page
    try:
        page.wait_for_load_state("networkidle")
        wait_for_math(page)
        assert page.evaluate("document.documentElement.dataset.theme") == mode
        violations = run_axe(page)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
                                        for v in serious)
        assert visit.outside == [], f"requests leaving 127.0.0.1: {visit.outside}"
        assert visit.missing == [], f"assets the site does not ship: {visit.missing}"
    finally:
        visit.close()


@pytest.mark.parametrize("page_name", ["index.html", "layer.html", "_modules/mnistbook/layers.html"])
def test_favicon_and_description(site_url, page_name):
    """The icon a browser asks for exists, and search engines get a description."""
    import re
    import urllib.parse
    import urllib.request

    html = (SITE / page_name).read_text(encoding="utf-8")
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon, "no favicon link"
    with urllib.request.urlopen(urllib.parse.urljoin(f"{site_url}/{page_name}", icon.group(1))) as response:
        assert response.status == 200
    description = re.search(r'<meta name="description" content="([^"]+)"', html)
    assert description and len(description.group(1)) >= 40
    assert re.search(r'class="mnistbook-version">mnistbook \d+\.\d+', html), "no version in the footer"


@pytest.mark.parametrize("page_name", ALL_PAGES or ["index.html"])
def test_ids_are_unique(page_name):
    """Duplicate ids break in-page links and the names of labelled elements."""
    from collections import Counter
    from html.parser import HTMLParser

    class IdCounter(HTMLParser):
        # attributes of real elements only: code that shows id="..." as text is not an id
        def __init__(self):
            super().__init__()
            self.ids = Counter()

        def handle_starttag(self, tag, attrs):
            self.ids.update(value for name, value in attrs if name == "id" and value)

    parser = IdCounter()
    parser.feed((SITE / page_name).read_text(encoding="utf-8"))
    assert [name for name, count in parser.ids.items() if count > 1] == []


def test_every_figure_has_alt_text():
    """Each <img> on the site is described, not named by its file's hash."""
    import re

    missing = []
    for page_name in ALL_PAGES:
        html = (SITE / page_name).read_text(encoding="utf-8")
        for img in re.findall(r"<img\b[^>]*>", html):
            alt = re.search(r'\salt="([^"]*)"', img)
            text = alt.group(1).strip() if alt else ""
            figure = "_images/" in img  # a chapter's figure needs a real description
            if not text or (figure and len(text) < 40) or re.search(r"[0-9a-f]{32}|\.(png|svg|jpe?g)\b", text):
                missing.append(f"{page_name}: {img[:120]}")
    assert missing == [], "images without a meaningful alt text:\n" + "\n".join(missing)
    figures = sum(len(re.findall(r'<figure\b', (SITE / p).read_text(encoding="utf-8"))) for p in ALL_PAGES)
    assert figures >= 20, "the chapters' figures are missing from the site"


@pytest.mark.parametrize("page_name", ["index.html", "layer.html", "search.html"])
@pytest.mark.parametrize("width", [390, 1280])
def test_icons_render(browser, site_url, page_name, width):
    """The trimmed Font Awesome bundle still has every icon the pages show."""
    visit = PageVisit(browser, f"{site_url}/{page_name}", width=width)
    page = visit.page
    try:
        page.wait_for_load_state("networkidle")
        icons = page.evaluate(
            """() => ({svg: document.querySelectorAll('svg.svg-inline--fa').length,
                       missing: document.querySelectorAll('svg.svg-inline--fa .missing, svg.missing').length,
                       unconverted: Array.from(document.querySelectorAll('i[class*="fa-"], span[class*="fa-"]'))
                                         .filter(e => e.offsetParent !== null).map(e => e.className)})"""
        )
        assert icons["svg"] >= 5 and icons["missing"] == 0, icons
        assert icons["unconverted"] == [], icons
        assert visit.errors == [], visit.errors
    finally:
        visit.close()


def test_japanese_text_is_marked():
    """Japanese text sits in lang="ja", so screen readers and fonts treat it as Japanese."""
    import re

    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]+")
    found = 0
    for page_name in ALL_PAGES:
        html = (SITE / page_name).read_text(encoding="utf-8")
        body = re.sub(r"<(script|style|title)\b.*?</\1>|<meta[^>]*>", "", html, flags=re.S)
        unmarked = re.sub(r'<span lang="ja">[^<]*</span>', "", body)
        assert not japanese.search(unmarked), f"{page_name}: {japanese.findall(unmarked)[:3]}"
        found += body.count('<span lang="ja">')
    assert found >= 2, "the lecture's Japanese title is not on the site"


@pytest.mark.parametrize("page_name", ALL_PAGES or ["index.html"])
def test_phone_layout(browser, site_url, page_name):
    """At 390 px no page scrolls sideways, and figures keep at least 60% of their
    desktop size (a wide one scrolls inside its own, keyboard-reachable box)."""
    visit = PageVisit(browser, f"{site_url}/{page_name}", width=390, height=844)
    page = visit.page
    try:
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        figures = page.evaluate(
            """() => Array.from(document.querySelectorAll('.cell_output img[width]')).map(img => {
                   const box = img.closest('figure') || img.parentElement;
                   return {shown: img.getBoundingClientRect().width, width: Number(img.getAttribute('width')),
                           scrolls: box.scrollWidth > box.clientWidth + 1, focusable: box.tabIndex >= 0}; })"""
        )
        for figure in figures:
            assert figure["shown"] >= min(figure["width"], 358) * 0.6 - 1, figure
            assert not figure["scrolls"] or figure["focusable"], figure
    finally:
        visit.close()
