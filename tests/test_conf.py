"""The execution cache of the book is keyed on the library: a change re-executes."""

import runpy
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_conf(tree: Path) -> dict:
    return runpy.run_path(str(tree / "conf.py"))


def test_cache_folder_changes_with_the_library(tmp_path, monkeypatch):
    shutil.copy(ROOT / "conf.py", tmp_path / "conf.py")
    shutil.copytree(ROOT / "mnistbook", tmp_path / "mnistbook",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("MNISTBOOK_NB_CACHE", str(tmp_path / "cache"))
    for name in ("PYTHONPATH", "MPLBACKEND", "PYTHONHASHSEED"):  # conf.py sets these
        monkeypatch.setenv(name, "")
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    (tmp_path / "cache" / "stale").mkdir(parents=True)

    before = load_conf(tmp_path)["nb_execution_cache_path"]
    assert not (tmp_path / "cache" / "stale").exists(), "old caches are pruned"
    assert load_conf(tmp_path)["nb_execution_cache_path"] == before, "stable when nothing changed"

    layers = tmp_path / "mnistbook" / "layers.py"
    layers.write_text(layers.read_text() + "\n# a change to the library\n")
    assert load_conf(tmp_path)["nb_execution_cache_path"] != before
