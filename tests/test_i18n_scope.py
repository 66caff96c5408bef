"""docs/_ext/i18n_scope.py and i18n_exercise.py: what the catalogs hold.

A tiny book with an exercise, a printed output, a Markdown output and a figure
caption: the gettext builder must offer the prose, the exercise title and the
caption for translation, never the outputs; the Japanese build must use the
translated title under the lecture's word 演習.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("myst_nb")
pytest.importorskip("sphinx_exercise")

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

# Scope

Some prose.

```{code-cell} ipython3
from IPython.display import Markdown
print("printed by the cell")
Markdown("| a table | written by the cell |\\n| --- | --- |\\n| 56 | lines |")
```

```{code-cell} ipython3
:mystnb:
:  figure:
:    caption: A caption written in the chapter.
import matplotlib.pyplot as plt
plt.plot([0, 1])
plt.show()
```

```{container} boxed
| a cell in a directive | another cell |
|---|---|
| a third cell | a fourth cell |
```

```{exercise} 4-1: creating arrays
:label: ex-1
:nonumber:

Do it.
```
"""

CONF = f"""\
import sys
sys.path.insert(0, {str(ROOT / "docs" / "_ext")!r})
extensions = ["myst_nb", "sphinx_exercise", "i18n_exercise", "i18n_scope"]
locale_dirs = ["locale"]
nb_execution_mode = "force"
nb_execution_raise_on_error = True
exercise_style = "solution_follow_exercise"
"""

CATALOG = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "4-1: creating arrays"
msgstr "4-1: 配列の作成"

msgid "a cell in a directive"
msgstr "ディレクティブの中のセル"
"""


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    src = tmp_path_factory.mktemp("scope") / "src"
    (src / "locale" / "ja" / "LC_MESSAGES").mkdir(parents=True)
    (src / "conf.py").write_text(CONF)
    (src / "index.md").write_text(NOTEBOOK)
    (src / "locale" / "ja" / "LC_MESSAGES" / "index.po").write_text(CATALOG)
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    for builder, lang, out in (("gettext", "en", "pot"), ("html", "ja", "ja")):
        subprocess.run([sys.executable, "-m", "sphinx", "-q", "-E", "-b", builder,
                        "-D", f"language={lang}", str(src), str(src.parent / out)],
                       check=True, capture_output=True, env=env)
    return src.parent


def test_catalog_holds_prose_titles_and_captions_not_outputs(book):
    pot = (book / "pot" / "index.pot").read_text()
    for message in ("Some prose.", "4-1: creating arrays", "A caption written in the chapter.",
                    "a cell in a directive", "a fourth cell"):
        assert f'msgid "{message}"' in pot
    for output in ("printed by the cell", "a table", "written by the cell", '"56"', "lines"):
        assert output not in pot, output


def test_exercise_title_is_translated_under_the_lectures_word(book):
    html = (book / "ja" / "index.html").read_text()
    assert '<p class="admonition-title">演習 (4-1: 配列の作成)</p>' in html
    assert "creating arrays" not in html


def test_a_table_inside_a_directive_is_translated(book):
    """MyST leaves such a table's cells without a source; Sphinx would skip them silently."""
    html = (book / "ja" / "index.html").read_text()
    assert "ディレクティブの中のセル" in html and "a cell in a directive" not in html
    assert "a fourth cell" in html  # not in the catalog: stays English
