"""docs/_ext/i18n_glue.py: glued numbers inside translated paragraphs.

A tiny book (one MyST notebook that glues a number, one Japanese catalog that
translates the sentence quoting it) is built in English and in Japanese.  The
numbers must come from the execution in both, and without the extension the
Japanese build must fail the way MyST-NB#587 describes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import i18n_glue  # noqa: E402

pytest.importorskip("myst_nb")

NOTEBOOK = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Glue

```{code-cell} ipython3
from myst_nb import glue
glue("accuracy", 0.9123, display=False)
glue("epochs", 3, display=False)
```

The network reaches {glue:text}`accuracy:.1%` after {glue:text}`epochs` epochs.

A sentence left in English: {glue:text}`epochs`.
"""

CATALOG = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Glue"
msgstr "のり"

msgid "The network reaches {glue:text}`accuracy:.1%` after {glue:text}`epochs` epochs."
msgstr "{glue:text}`epochs` エポックで認識精度は {glue:text}`accuracy:.1%` に達する。"
"""

CONF = """\
import sys
sys.path.insert(0, {ext!r})
extensions = {extensions!r}
locale_dirs = ["locale"]
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
"""


def make_book(tmp_path: Path, extensions: list[str], msgstr_extra: str = "") -> Path:
    src = tmp_path / "src"
    (src / "locale" / "ja" / "LC_MESSAGES").mkdir(parents=True)
    (src / "conf.py").write_text(CONF.format(ext=str(ROOT / "docs" / "_ext"), extensions=extensions))
    (src / "index.md").write_text(NOTEBOOK)
    (src / "locale" / "ja" / "LC_MESSAGES" / "index.po").write_text(CATALOG + msgstr_extra)
    return src


def build(src: Path, out: Path, language: str) -> tuple[int, str]:
    """Build the tiny book in a fresh interpreter; return its exit code and warnings."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-E", "-b", "html", "-D", f"language={language}",
         str(src), str(out)],
        capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"},
    )
    warnings = "\n".join(line for line in result.stderr.splitlines() if "WARNING:" in line)
    return result.returncode, warnings


def paragraph_texts(html: str) -> list[str]:
    import re

    return [re.sub(r"<[^>]+>", "", p).strip() for p in re.findall(r"<p>(.*?)</p>", html, re.S)]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("glue")
    src = make_book(tmp, ["myst_nb", "i18n_glue"])
    results = {lang: build(src, tmp / lang / "html", lang) for lang in ("en", "ja")}
    return tmp, results


def test_english_is_unchanged(book):
    tmp, results = book
    code, warnings = results["en"]
    assert code == 0 and "WARNING" not in warnings, warnings
    texts = paragraph_texts((tmp / "en" / "html" / "index.html").read_text())
    assert "The network reaches 91.2% after 3 epochs." in texts


def test_translated_paragraph_gets_the_glued_numbers(book):
    tmp, results = book
    code, warnings = results["ja"]
    assert code == 0 and "WARNING" not in warnings, warnings
    texts = paragraph_texts((tmp / "ja" / "html" / "index.html").read_text())
    assert "3 エポックで認識精度は 91.2% に達する。" in texts
    assert "A sentence left in English: 3." in texts  # untranslated paragraphs still glue


def test_without_the_extension_translation_loses_the_numbers(tmp_path):
    """The upstream failure this extension exists for (MyST-NB#587)."""
    src = make_book(tmp_path, ["myst_nb"])
    _, warnings = build(src, tmp_path / "ja", "ja")
    assert "No key 'epochs' found in glue data for this document" in warnings


def test_other_glue_roles_report_clearly_in_translations(tmp_path):
    extra = '\nmsgid "A sentence left in English: {glue:text}`epochs`."\nmsgstr "英語のまま: {glue}`epochs`。"\n'
    src = make_book(tmp_path, ["myst_nb", "i18n_glue"], extra)
    code, warnings = build(src, tmp_path / "ja", "ja")
    assert "{glue} does not work in a translated paragraph: use {glue:text}" in warnings


def test_load_glue_data(tmp_path):
    (tmp_path / "part").mkdir()
    data = {"n": {"data": {"text/plain": "7"}, "metadata": {}}}
    (tmp_path / "part" / "page.glue.json").write_text(json.dumps(data))
    assert i18n_glue.load_glue_data(tmp_path, "part/page") == data
    assert i18n_glue.load_glue_data(tmp_path, "part/none") == {}


def test_is_translated():
    assert i18n_glue.is_translated({"source": "/book/docs/mnist.md:12:<translated>"})
    assert not i18n_glue.is_translated({"source": "/book/docs/mnist.md"})
    assert not i18n_glue.is_translated({})


def test_translate_phrase():
    phrases = {"about {} times faster than": "の約 {} 倍速い", "meets": "達成している",
               "{} of {} digits": "{1} 個中 {0} 個"}
    assert i18n_glue.translate_phrase("about 40 times faster than", phrases) == "の約 40 倍速い"
    assert i18n_glue.translate_phrase("meets", phrases) == "達成している"
    assert i18n_glue.translate_phrase("9,812 of 10,000 digits", phrases) == "10,000 個中 9,812 個"
    assert i18n_glue.translate_phrase("misses", phrases) == "misses"  # not in the catalog: as glued
    assert i18n_glue.translate_phrase("97.5%", phrases) == "97.5%"
