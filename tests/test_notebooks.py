"""Execute the MNIST training chapters outside Sphinx (``nox -s notebooks``).

Each chapter checks the numbers it quotes against expected bands in hidden
cells, so executing it top to bottom is the test; a failing band fails here
with the cell's traceback.  The glued results are printed for the log.
The Sphinx build executes the same chapters, so the regular test run skips
this module unless ``MNISTBOOK_NOTEBOOKS=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING_CHAPTERS = ["training", "softmax", "fast", "further", "draw"]

pytestmark = pytest.mark.skipif(
    os.environ.get("MNISTBOOK_NOTEBOOKS") != "1", reason="run by `nox -s notebooks`"
)


def glued_values(notebook) -> dict[str, str]:
    """The text form of every value the notebook glued, by key."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            key = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if key:
                # glue stores its bundle under prefixed mime types (.../text/plain)
                texts = [v for k, v in output["data"].items() if k.endswith("text/plain")]
                values[key] = texts[0] if texts else "<figure>"
    return values


@pytest.fixture(scope="module", autouse=True)
def mnist_data():
    """Fetch the data first, so download messages stay out of the chapters' outputs."""
    from mnistbook import fetch_mnist

    fetch_mnist()


@pytest.mark.parametrize("chapter", TRAINING_CHAPTERS)
def test_chapter_executes_within_its_bands(chapter):
    import jupytext
    from nbclient import NotebookClient

    source = ROOT / "docs" / f"{chapter}.md"
    if not source.exists():
        pytest.fail(f"{source} is missing")
    notebook = jupytext.read(source)
    env_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    os.environ["PYTHONPATH"] = env_path  # the kernel imports this checkout's mnistbook
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # as conf.py
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "docs")}})
    client.execute()  # raises CellExecutionError, with the traceback, on a failed check
    print(json.dumps(glued_values(notebook), indent=1))
