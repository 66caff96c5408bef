"""The reader's notebook, made from small notebooks (docs/_ext/reader_notebook.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
reader_notebook = pytest.importorskip("reader_notebook")  # needs myst-nb: the docs extra


def build_only(source, outputs=()):
    return new_code_cell(source, metadata={"tags": ["remove-cell"]}, outputs=list(outputs))


def glued(name, text):
    """A display_data output as myst_nb.glue(name, value, display=False) makes it."""
    prefix = "application/papermill.record/"
    return new_output("display_data", data={prefix + "text/plain": text},
                      metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})


def test_build_only_cells_go_and_glued_numbers_are_written_in():
    notebook = new_notebook(cells=[
        new_code_cell("accuracy = 0.9213", execution_count=1),
        build_only("from myst_nb import glue\nglue('acc', accuracy, display=False)\nassert accuracy > 0.9",
                   [glued("acc", "0.9213")]),
        new_markdown_cell("It reads {glue:text}`acc:.1%` of the digits, "
                          "{glue:text}`training.md::acc_2epochs:.2%` after two epochs; "
                          "{glue:text}`missing` stays."),
    ])
    reader = reader_notebook.reader_notebook(
        notebook, other_page=lambda path: {"acc_2epochs": {"text/plain": "0.93"}} if path == "training.md" else {})
    assert [cell.source for cell in reader.cells] == [
        "accuracy = 0.9213",
        "It reads 92.1% of the digits, 93.00% after two epochs; {glue:text}`missing` stays.",
    ]
    assert len(notebook.cells) == 3, "the executed notebook is left as it was"
    nbformat.validate(reader)


def test_streams_are_merged_as_on_the_page():
    prints = [new_output("stream", name="stdout", text=f"pass {i}\n") for i in (1, 2, 3)]
    notebook = new_notebook(cells=[new_code_cell("...", outputs=prints + [new_output(
        "execute_result", data={"text/plain": "3"}, execution_count=1)])])
    (cell,) = reader_notebook.reader_notebook(notebook).cells
    assert [o.output_type for o in cell.outputs] == ["stream", "execute_result"]
    assert cell.outputs[0].text == "pass 1\npass 2\npass 3\n"
    assert [o.text for o in notebook.cells[0].outputs[:3]] == ["pass 1\n", "pass 2\n", "pass 3\n"]


def problems(*cells):
    return reader_notebook.convention_problems(new_notebook(cells=list(cells)))


def test_a_kept_cell_may_not_glue():
    assert problems(new_code_cell("from myst_nb import glue\nx = 1")) == [
        "cell 0 uses myst_nb/glue but is not tagged 'remove-cell'"]


@pytest.mark.parametrize("stripped", [
    "best = max(values)",  # defines it
    "results['best'] = max(values)",  # changes it in place
    "net.reset()",  # a method call may change it
])
def test_a_kept_cell_may_not_need_what_a_build_only_cell_did(stripped):
    name = stripped.split("[")[0].split(" ")[0].split(".")[0]
    found = problems(new_code_cell("values, results, net = [1, 2], {}, None"),
                     build_only(stripped),
                     new_code_cell(f"print({name})"))
    assert found == [f"cell 2 reads {name!r}, which build-only cell 1 set: make that part hide-input"]


@pytest.mark.parametrize("kept", [
    "best = 3\nprint(best)",  # set again before it is read
    "for best in range(3):\n    print(best)",  # a loop variable of its own
    "print([best for best in range(3)])",
    "def show(best):\n    print(best)",
    "print(np.zeros(2))",  # a build-only cell calling a module's function leaves it alone
])
def test_what_a_kept_cell_sets_itself_is_fine(kept):
    assert problems(new_code_cell("import numpy as np"),
                    build_only("best = 1\nnp.testing.assert_equal(best, 1)"),
                    new_code_cell(kept)) == []
