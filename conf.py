"""Sphinx configuration for the mnistbook course site.

Build with ``sphinx-build -c . docs _build/html`` (``nox -s docs`` does it with
the strict flags).  The chapters in ``docs/`` are MyST markdown notebooks that
myst-nb executes during the build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # autodoc and the chapters import this checkout's mnistbook
sys.path.insert(0, str(ROOT / "docs" / "_ext"))  # the book's own Sphinx extensions

import mnistbook  # noqa: E402
from docutils import nodes as docutils_nodes  # noqa: E402
from sphinx.transforms.post_transforms import SphinxPostTransform  # noqa: E402

project = "Deep learning from scratch: MNIST"
author = "the mnistbook authors"
copyright = "2026, the mnistbook authors. Text CC BY-SA 4.0"
release = mnistbook.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from _static: pages typeset offline
    "sphinx_copybutton",
    "sphinx_design",
    "sphinx_exercise",
    "sphinx_togglebutton",  # collapses the solutions (class "dropdown")
    "sphinxcontrib.bibtex",  # {cite} in the chapters, the list in references.md
    "reader_notebook",  # .ipynb downloads without build-only cells; mnistbook-course.zip
    "mnistbook_site",  # phones, screen readers, print and the whole-book PDF
]
reader_bundle = "mnistbook-course"

bibtex_bibfiles = ["docs/references.bib"]  # relative to this folder
bibtex_default_style = "plain"  # numbered [1], [2], ... in the text and the list

exclude_patterns = ["_build", "**.ipynb_checkpoints", "matplotlibrc", "_ext"]
nitpicky = True
nitpick_ignore_regex = [
    # intersphinx cannot fetch NumPy's inventory offline: its names stay plain text.
    (r"py:.*", r"(numpy|np)\..*"),
    # Docstring types are prose ("ndarray of shape (N, nin)"); only dotted names are links.
    (r"py:(class|obj)", r"[^.]*"),
]

# -- MyST and myst-nb ---------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3

nb_execution_mode = "cache"
nb_execution_timeout = 600
nb_execution_raise_on_error = True  # a failing cell fails the build ...
nb_execution_show_tb = True  # ... and the log shows its traceback
nb_merge_streams = True
nb_render_markdown_format = "gfm"  # Markdown outputs (the API page's table) may hold tables
nb_output_stderr = "warn"  # stray warnings in a chapter are build errors under -W


def _fingerprint() -> str:
    """Hash of everything besides a chapter's own cells that can change its results."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "mnistbook").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    for name in ("conf.py", "pyproject.toml", ".ci/constraints.txt", "docs/matplotlibrc",
                 "docs/_ext/mnistbook_site/kernel_config.py"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


# myst-nb's cache only notices edits to a chapter's cells.  Keying the cache
# folder on the library source and pinned environment means a changed
# mnistbook re-executes every chapter instead of showing stale results.
_cache_root = Path(os.environ.get("MNISTBOOK_NB_CACHE", ROOT / "_build" / ".jupyter_cache"))
nb_execution_cache_path = str(_cache_root / _fingerprint())
if _cache_root.is_dir():
    for _old in _cache_root.iterdir():
        if _old.is_dir() and _old != Path(nb_execution_cache_path):
            shutil.rmtree(_old, ignore_errors=True)

# The kernels that execute the chapters import this checkout's mnistbook too.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
# Kernels draw with the inline backend (no display, figures become outputs);
# an inherited MPLBACKEND=Agg would silently drop every figure.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
os.environ.setdefault("PYTHONHASHSEED", "0")

# -- exercises ------------------------------------------------------------------
# One style: "Exercise 4-1: title" (the lecture's numbers, hence :nonumber:),
# each followed by a collapsed "Solution".
exercise_style = "solution_follow_exercise"

# -- HTML ------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Deep learning from scratch: MNIST"
html_static_path = ["docs/_static"]
html_css_files = ["mnistbook.css"]
html_context = {"default_mode": "auto"}  # light or dark as the reader's system prefers
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": True,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}

# Copy buttons on code only: not on outputs, and without prompts.  Where a block
# has prompts (doctests, console sessions) only the prompted lines are copied,
# so doctest output stays behind; a block without prompts is copied whole.
copybutton_selector = "div.cell_input div.highlight pre, div.doctest div.highlight pre, div.highlight-python div.highlight pre, div.highlight-bash div.highlight pre, div.highlight-console div.highlight pre"
copybutton_prompt_text = r">>> |\.\.\.(?: |$)|\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- autodoc -----------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
napoleon_use_param = False  # types as plain text: shapes like "(N, n)" are not class names


class ExerciseTitles(SphinxPostTransform):
    """Title exercises "Exercise 4-1: ..." rather than sphinx-exercise's "Exercise (4-1: ...)"."""

    default_priority = 21  # right after sphinx-exercise builds its titles

    def run(self):
        from sphinx_exercise.nodes import exercise_node

        for node in self.document.findall(exercise_node):
            title = node.children[0]
            parts = title.children
            if len(parts) > 2 and parts[1].astext() == " (" and parts[-1].astext() == ")":
                title.replace(parts[1], docutils_nodes.Text(" "))
                title.remove(parts[-1])


def _fetch_data(app):
    """Fetch MNIST before any chapter runs, so a first build's download
    messages go to the build log rather than into a chapter's output."""
    mnistbook.fetch_mnist()


def setup(app):
    app.add_post_transform(ExerciseTitles)
    app.connect("builder-inited", _fetch_data)
