"""The Japanese edition keeps step with the English one.

- Every page of the book has a Japanese catalog, and every message in it is
  translated: none empty, none fuzzy (``nox -s gettext`` marks changed English
  messages fuzzy and adds new ones empty).
- Every translation keeps its message's glued numbers and its math, so each
  number in the Japanese prose comes from the run, as in the English.
- The Japanese build translated every message of the English source as it is
  now (``docs/_ext/editions.py`` lists the ones it did not in
  ``_build/ja/untranslated.json``): a change to the English prose is not done
  until the Japanese follows.
- The Japanese site has a twin of every English page, in Japanese, linked both
  ways.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CATALOGS = DOCS / "locale" / "ja" / "LC_MESSAGES"
SITE = Path(os.environ.get("MNISTBOOK_SITE", ROOT / "_build" / "html"))
REPORT = ROOT / "_build" / "ja" / "untranslated.json"
PAGES = sorted(p.stem for p in DOCS.glob("*.md"))

GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
MATH = re.compile(r"\$\$?[^$]+\$\$?")
CODE = re.compile(r"`[^`]*`")  # inline code may hold a $ (shell variables)


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="ja")


def messages(path: Path):
    return [m for m in read_catalog(path) if m.id]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_a_catalog(page):
    assert (CATALOGS / f"{page}.po").exists(), f"run `nox -s gettext` and translate {page}.po"


@pytest.mark.parametrize("po", sorted(CATALOGS.glob("*.po")), ids=lambda p: p.stem)
def test_catalog_is_translated(po):
    untranslated = [m.id for m in messages(po) if not m.string]
    fuzzy = [m.id for m in messages(po) if m.fuzzy]
    assert not untranslated, f"{po.name}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert not fuzzy, f"{po.name}: {len(fuzzy)} fuzzy (English changed), e.g. {fuzzy[:3]}"


@pytest.mark.parametrize("po", sorted(CATALOGS.glob("*.po")), ids=lambda p: p.stem)
def test_translations_keep_glue_and_math(po):
    for message in messages(po):
        for pattern, text in ((GLUE, lambda t: t), (MATH, lambda t: CODE.sub("", t))):
            wanted = Counter(pattern.findall(text(message.id)))
            found = Counter(pattern.findall(text(message.string)))
            assert found == wanted, f"{po.name}: {message.id!r}\n -> {message.string!r}"


def test_japanese_build_translated_everything():
    if not REPORT.exists():
        pytest.fail(f"no {REPORT}: build the site first (`nox -s docs`)")
    report = json.loads(REPORT.read_text(encoding="utf8"))
    lines = [f"{page}: {msg[:70]!r}" for page, msgs in report.items() for msg in msgs]
    assert not lines, f"{len(lines)} messages not translated (run `nox -s gettext`):\n" + "\n".join(lines[:20])


def test_every_page_has_a_japanese_twin():
    english = sorted(p.relative_to(SITE) for p in SITE.glob("*.html"))
    assert english, f"no built site in {SITE}: run `nox -s docs` first"
    for page in english:
        twin = SITE / "ja" / page
        assert twin.exists(), f"{page} has no Japanese twin"
        html = twin.read_text(encoding="utf8")
        assert '<html lang="ja"' in html, page
        assert f'hreflang="en" href="../{page}"' in html, page
        assert f'hreflang="ja" href="ja/{page}"' in (SITE / page).read_text(encoding="utf8"), page


def test_japanese_search_index():
    """Sphinx's Japanese splitter indexes the translated words (ミニバッチ, 過学習 are terms)."""
    script = (SITE / "ja" / "searchindex.js").read_text(encoding="utf8")
    index = json.loads(script[script.index("(") + 1 : script.rindex(")")])
    for word in ("ミニバッチ", "過学習", "勾配"):
        assert word in index["terms"], f"the Japanese search index has no {word}"
    options = (SITE / "ja" / "_static" / "documentation_options.js").read_text(encoding="utf8")
    assert "LANGUAGE: 'ja'" in options


def glued(page: Path) -> list[str]:
    """The texts a page's {glue:text} roles pasted."""
    return re.findall(r'<span class="pasted-text">([^<]*)</span>', page.read_text(encoding="utf8"))


def test_japanese_pages_quote_the_same_results():
    """Every glued number of an English page appears in its Japanese twin, as often."""
    number = re.compile(r"\d+(?:[.,]\d+)*")
    pages = sorted(SITE.glob("*.html"))
    assert pages, f"no built site in {SITE}: run `nox -s docs` first"
    total = 0
    for page in pages:
        english = Counter(n for text in glued(page) for n in number.findall(text))
        japanese = Counter(n for text in glued(SITE / "ja" / page.name) for n in number.findall(text))
        assert japanese == english, f"{page.name}: only English {english - japanese}, only Japanese {japanese - english}"
        total += sum(english.values())
    assert total > 100, "the chapters glue their results: the site looks unbuilt"


def test_glued_phrases_are_translated():
    """A phrase a cell glues ("about 40 times faster than") reads in Japanese on the
    Japanese pages: add it, numbers as {}, to docs/locale/ja/LC_MESSAGES/glue.po."""
    words = re.compile(r"[A-Za-z]{3,}")
    english_left = sorted({
        f"{page.name}: {text!r}"
        for page in sorted((SITE / "ja").glob("*.html"))
        for text in glued(page)
        if words.search(text) and not re.search(r"[_`]", text)  # identifiers stay as they are
    })
    assert not english_left, "glued English phrases in the Japanese pages:\n" + "\n".join(english_left)


def test_japanese_links_resolve():
    """Every relative link of a Japanese page leads to a file of the site: its
    pages, its downloads (the notebooks, the course bundle, the PDF), its assets."""
    broken = set()
    for page in sorted((SITE / "ja").rglob("*.html")):
        if "_static" in page.relative_to(SITE).parts:
            continue  # the themes' template fragments, not pages
        html = page.read_text(encoding="utf8")
        for href in re.findall(r'\shref="([^"#?]+)[^"]*"', html):
            if "://" in href or href.startswith(("mailto:", "data:", "javascript:")):
                continue
            if not (page.parent / href).resolve().exists():
                broken.add(f"{page.relative_to(SITE)} -> {href}")
    assert not broken, "broken links in the Japanese edition:\n" + "\n".join(sorted(broken)[:20])


def test_japanese_pages_say_the_pdf_is_english():
    """The Japanese sidebar and footer link the one (English) PDF, and say so in Japanese."""
    if not (SITE / "mnistbook.pdf").exists():
        pytest.skip("the site was built without its PDF")
    english = (SITE / "index.html").read_text(encoding="utf8")
    japanese = (SITE / "ja" / "index.html").read_text(encoding="utf8")
    assert "The whole book (PDF)" in english and "the whole book as a PDF" in english
    assert "本全体 (PDF、英語版)" in japanese and "本全体の PDF (英語版)" in japanese
    assert "The whole book" not in japanese and "whole book as a PDF" not in japanese


def test_japanese_run_times_table_is_in_japanese():
    """The run page's table of chapter times is made after translation, in each edition's words."""
    english = (SITE / "run.html").read_text(encoding="utf8")
    japanese = (SITE / "ja" / "run.html").read_text(encoding="utf8")
    assert "Time on the build machine" in english and "Measured while building" in english
    assert "ビルドしたマシンでの時間" in japanese and "全章" in japanese
    assert "Time on the build machine" not in japanese and "Measured while building" not in japanese
