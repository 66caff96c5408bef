"""docs/_ext/editions.py: links between the editions."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

import editions  # noqa: E402


def test_links_between_editions():
    assert editions.edition_href("mnist", "mnist.html", "en", "ja") == "ja/mnist.html"
    assert editions.edition_href("mnist", "mnist.html", "ja", "en") == "../mnist.html"
    assert editions.edition_href("mnist", "mnist.html", "en", "en") == "mnist.html"
    # a page in a folder (viewcode's module pages): up to the edition's root first
    page = "_modules/mnistbook/layers"
    assert editions.edition_href(page, page + ".html", "en", "ja") == "../../ja/" + page + ".html"
    assert editions.edition_href(page, page + ".html", "ja", "en") == "../../../" + page + ".html"


def test_other_language():
    assert editions.other_language("en") == "ja"
    assert editions.other_language("ja") == "en"


def test_translated_messages_skip_empty_and_fuzzy(tmp_path):
    po = tmp_path / "page.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "done"\nmsgstr "済み"\n\n'
        'msgid "empty"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "changed"\nmsgstr "古い訳"\n',
        encoding="utf8",
    )
    assert editions.translated_messages(po) == {"done"}
    assert editions.translated_messages(tmp_path / "missing.po") == set()
