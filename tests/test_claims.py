"""The book's rules for claims, checked on the chapters' sources.

- A timing never fails the build: no ``assert`` in a chapter's code mentions a
  time, a speed-up, a thread comparison or a FLOP rate (the readers rebuild the
  book on slower and busier machines than the build machine).
- Every ``{cite}`` key is in ``docs/references.bib`` and every entry there is
  cited somewhere, so the bibliography page lists exactly what the book uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHAPTERS = sorted(DOCS.glob("*.md"))
# names that hold or derive from a measured time
TIMING = re.compile(r"second|speedup|gflops|thread|perf_counter|timeit|_time\b|_us\b|_ms\b|ideal")


def code_cells(text: str) -> list[str]:
    return re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_no_timing_assertions(chapter):
    offending = [
        line.strip()
        for cell in code_cells(chapter.read_text())
        for line in cell.splitlines()
        if line.lstrip().startswith("assert") and TIMING.search(line)
    ]
    assert offending == [], f"{chapter.name}: timing assertions {offending}"


def test_timing_pattern_catches_the_old_assertions():
    for line in ["assert train_seconds <= 60, train_seconds",
                 "assert thread_seconds[2] >= 0.55 * thread_seconds[1]",
                 "assert 5 <= gflops <= 1000, gflops",
                 "assert 3 <= speedup <= 10_000, speedup"]:
        assert TIMING.search(line), line
    assert not TIMING.search("assert 0.90 <= acc_1epoch <= 0.93, acc_1epoch")


def test_citations_match_the_bibliography():
    keys = set(re.findall(r"^@\w+\{([^,]+),", (DOCS / "references.bib").read_text(), flags=re.M))
    cited = {
        key.strip()
        for chapter in CHAPTERS
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", chapter.read_text())
        for key in group.split(",")
    }
    assert cited - keys == set(), f"cited but not in references.bib: {cited - keys}"
    assert keys - cited == set(), f"in references.bib but never cited: {keys - cited}"
