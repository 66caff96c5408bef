"""The reader's notebooks and the course bundle: what a reader downloads is what the page shows.

The convention (CONTRIBUTING.md explains it for authors):

* A cell tagged ``remove-cell`` is build-only: it glues a result into the
  prose, checks a result against its band, or checks the chapter's source.
  The page never shows it, and the reader's notebook does not contain it.
* Everything else stays: visible cells, and cells whose input is hidden
  (``hide-input``), such as the ones that draw figures.  A cell the reader's
  code needs must therefore never be ``remove-cell``; make it ``hide-input``.
* Only build-only cells import ``myst_nb`` or call ``glue``.

This extension

* writes each executed page's reader notebook as its ``.ipynb`` download,
  with the outputs of this build, streams merged as on the page, and the glued
  numbers written into the markdown;
* adds a "Run it yourself" entry to the download menu of those pages;
* writes ``<reader_bundle>.zip`` at the site's root when the build ends: the
  course chapters as reader notebooks, a wheel of the library built from this
  checkout, a ``requirements.txt`` pinned to this build's versions and a README;
* provides the ``reader-run-times`` directive, a table of how long each
  chapter took to execute in this build.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

BUILD_ONLY_TAG = "remove-cell"
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`]+)`")
# A fixed timestamp for the archives' members (1 January 2000), so that an
# unchanged build writes a byte-identical wheel.
FIXED_DATE = (2000, 1, 1, 0, 0, 0)
SOURCE_DATE_EPOCH = "946684800"


# -- the reader's notebook ----------------------------------------------------------


def is_build_only(cell) -> bool:
    return BUILD_ONLY_TAG in cell.get("metadata", {}).get("tags", [])


def glued_values(notebook) -> dict[str, dict]:
    """Every value the notebook glued, by key: its mime bundle without glue's prefix."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record:
                prefix = len(record.get("mime_prefix", ""))
                values[record["name"]] = {k[prefix:]: v for k, v in output.get("data", {}).items()}
    return values


def fill_glue(markdown: str, values: dict[str, dict], other_page=lambda path: {}) -> str:
    """Replace each ``{glue:text}`key:format``` by the value it shows on the page.

    ``other_page(path)`` gives the glued values of another page, for
    ``{glue:text}`path::key:format```.
    """
    from myst_nb.core.variables import format_plain_text

    def paste(match):
        # as myst-nb's role reads it: "[path::]key" or "[path::]key:format"
        key, spec = match.group(1).rsplit(":", 1) if ":" in match.group(1) else (match.group(1), "s")
        if key.endswith(":"):  # "path::key" without a format
            key, spec = match.group(1), "s"
        path, _, key = key.rpartition("::")
        data = (other_page(path) if path else values).get(key)
        try:
            return format_plain_text(data["text/plain"], spec)
        except (TypeError, KeyError, ValueError):
            # from another page, not glued, or not formattable: as written (myst-nb warns)
            return match.group(0)

    return GLUE_ROLE.sub(paste, markdown)


def reader_notebook(executed, other_page=lambda path: {}):
    """The notebook a reader runs, from the notebook the build executed.

    Build-only cells go; glued numbers are written into the markdown; streams
    are merged as myst-nb merges them for the page (``nb_merge_streams``); the
    build's own metadata (jupytext, myst-nb's source map) goes.
    """
    from myst_nb.core.utils import coalesce_streams

    notebook = copy.deepcopy(executed)
    values = glued_values(notebook)
    cells = []
    for cell in notebook.cells:
        if is_build_only(cell):
            continue
        if cell.cell_type == "markdown":
            cell.source = fill_glue(cell.source, values, other_page)
        elif cell.cell_type == "code":
            outputs = [o for o in cell.get("outputs", []) if "scrapbook" not in o.get("metadata", {})]
            cell.outputs = coalesce_streams(outputs)
        cells.append(cell)
    notebook.cells = cells
    for key in ("jupytext", "source_map"):
        notebook.metadata.pop(key, None)
    return notebook


# -- checks of the convention ---------------------------------------------------------


def _python(source: str):
    """The cell's code as a Python AST (IPython magics turned into calls), or None."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _stored(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _changed_root(node):
    """``x`` for ``x[i] = ...``, ``x.a = ...`` or a call ``x.method(...)``, else None."""
    if isinstance(node, ast.Call):
        node = node.func
    if not isinstance(node, (ast.Subscript, ast.Attribute)):
        return None
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def statement_names(statement) -> tuple[set[str], set[str], set[str], set[str]]:
    """Global names one top-level statement reads, binds, changes in place, and imports.

    Names that only live inside it (function parameters and locals, loop and
    comprehension variables) are not reads.
    """
    reads, binds, changes, imports, inner = set(), _stored(statement), set(), set(), set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            reads.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
            if not isinstance(node, ast.Lambda):
                inner.update(*map(_stored, node.body))
                binds.add(node.name)
        elif isinstance(node, ast.ClassDef):
            binds.add(node.name)
        elif isinstance(node, (ast.comprehension, ast.For, ast.AsyncFor)):
            inner.update(_stored(node.target))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Expr)):
            targets = node.targets if isinstance(node, ast.Assign) else [
                node.target if isinstance(node, ast.AugAssign) else node.value]
            changes.update(filter(None, map(_changed_root, targets)))
    return reads - inner, binds | imports, changes, imports


def convention_problems(notebook) -> list[str]:
    """What breaks the convention: glue outside build-only cells, or a kept cell
    that reads a name a build-only cell set or changed last."""
    problems = []
    from_build_only: dict[str, int] = {}  # name -> the build-only cell that last set it
    modules: set[str] = set()  # calling a module's function does not change the module
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        build_only = is_build_only(cell)
        if not build_only and re.search(r"\bmyst_nb\b|\bglue\(", cell.source):
            problems.append(f"cell {index} uses myst_nb/glue but is not tagged {BUILD_ONLY_TAG!r}")
        tree = _python(cell.source)
        for statement in tree.body if tree else []:
            reads, binds, changes, imports = statement_names(statement)
            modules |= imports
            if build_only:
                from_build_only.update(dict.fromkeys(binds | (changes - modules), index))
                continue
            for name in sorted(reads & from_build_only.keys()):
                problems.append(f"cell {index} reads {name!r}, which build-only cell "
                                f"{from_build_only.pop(name)} set: make that part hide-input")
            for name in binds:
                from_build_only.pop(name, None)
    return problems


# -- the executed notebook, with its outputs --------------------------------------------


def executed_notebook(app, docname: str):
    """The notebook myst-nb executed for ``docname``, with pristine outputs; None if none.

    myst-nb writes ``jupyter_execute/<doc>.ipynb`` after rendering, and merging
    streams for the page has by then changed the first stream of a cell in
    place (later streams repeat).  The execution cache holds the outputs as the
    kernel sent them, so they are taken from there.
    """
    from jupyter_cache import get_cache

    path = _executed_path(app, docname)
    if not path.exists():
        return None
    notebook = nbformat.read(path, as_version=4)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return notebook
    try:
        _, notebook = get_cache(app.config.nb_execution_cache_path).merge_match_into_notebook(notebook)
    except KeyError:
        logger.warning(f"{docname}: not in the execution cache; its download has no outputs",
                       location=docname)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    return notebook


def _executed_path(app, docname: str) -> Path:
    return Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"


def offer_reader_notebook(app, pagename, templatename, context, doctree):
    """Offer a chapter's notebook for download (before the theme adds its buttons),
    and check the chapter keeps the convention.  The notebooks are written when
    the build ends, so that every one is current, whichever pages were rewritten.

    Only the course's chapters are offered: another executed page (the build
    status, say) reports on the build and need not run on a reader's machine.
    """
    path = _executed_path(app, pagename)
    if not path.exists() or pagename not in course_chapters(app):
        return
    for problem in convention_problems(nbformat.read(path, as_version=4)):
        logger.warning(f"{pagename}: {problem}", location=pagename)
    context["ipynb_source"] = f"{pagename}.ipynb"


def write_reader_notebook(app, docname: str) -> None:
    """Write ``_sources/<docname>.ipynb``, the notebook the page's download offers."""

    def other_page(path):
        """The values another page glued, as myst-nb saved them for cross-page glue."""
        other = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path))
        saved = _executed_path(app, posixpath.splitext(other)[0]).with_suffix(".glue.json")
        if not saved.exists():
            return {}
        return {key: output.get("data", {}) for key, output in json.loads(saved.read_text()).items()}

    target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(reader_notebook(executed_notebook(app, docname), other_page), target)


def link_run_page(app, pagename, templatename, context, doctree):
    """Add "Run it yourself" to the download menu of a page that offers a notebook."""
    if not context.get("ipynb_source") or app.config.reader_run_page not in app.env.all_docs:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append({
                "type": "link",
                "url": context["pathto"](app.config.reader_run_page),
                "text": "Run it yourself",
                "tooltip": "Install the course and run the notebooks on your own machine",
                "icon": "fas fa-laptop-code",
                "label": "run-it-yourself-button",
            })


# -- the course bundle -------------------------------------------------------------------


def course_chapters(app) -> list[str]:
    """The documents of the index's toctree captioned ``reader_course_caption``, in order."""
    doctree = app.env.get_doctree(app.config.root_doc)
    for toctree in doctree.findall(addnodes.toctree):
        if toctree.get("caption") == app.config.reader_course_caption:
            return [docname for _, docname in toctree["entries"]]
    return []


def build_wheel(app) -> Path:
    """A wheel of the library built from this checkout (cached on its sources).

    The sources are copied to a temporary folder, so the build leaves nothing
    in the checkout; no build isolation, so the build backend is the one
    pinned in the docs environment and nothing is downloaded.
    """
    root = Path(app.confdir)
    files = [root / "pyproject.toml", root / "README.md", root / "LICENSE"]
    files += sorted(p for p in (root / app.config.reader_package).rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    cache = Path(app.outdir).parent / "reader-wheel" / digest.hexdigest()[:16]
    wheels = list(cache.glob("*.whl"))
    if len(wheels) == 1:
        return wheels[0]
    shutil.rmtree(cache.parent, ignore_errors=True)
    cache.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            copy_to = Path(tmp) / path.relative_to(root)
            copy_to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy_to)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                   "--no-cache-dir", "-q", "-w", str(cache), tmp]
        env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    (wheel,) = cache.glob("*.whl")
    return wheel


def notebook_imports(notebooks) -> set[str]:
    """Top-level modules the notebooks import, without the standard library's."""
    modules = set()
    for notebook in notebooks:
        for cell in notebook.cells:
            tree = _python(cell.source) if cell.cell_type == "code" else None
            for node in ast.walk(tree) if tree else []:
                if isinstance(node, ast.Import):
                    modules.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names)


def pinned_requirements(roots: list[str]) -> list[str]:
    """``name==version`` for the roots and everything they need, as installed here.

    A dependency that only some platforms need keeps its environment marker.
    """
    from importlib.metadata import distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    todo = [(name, None) for name in roots]
    while todo:
        name, marker = todo.pop(0)
        key = canonicalize_name(name)
        if key in pins:
            continue
        dist = distribution(name)
        pins[key] = f"{dist.metadata['Name']}=={dist.version}" + (f" ; {marker}" if marker else "")
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue  # an extra, or a platform this build did not run on
            todo.append((requirement.name, str(requirement.marker) if requirement.marker else None))
    return list(pins.values())


def requirements_text(app, wheel: Path, notebooks) -> str:
    from importlib.metadata import packages_distributions

    package = app.config.reader_package
    distributions = packages_distributions()
    needed = sorted({distributions.get(module, [module])[0]
                     for module in notebook_imports(notebooks) - {package}})
    # the library's own dependencies, then what the notebooks import, and a Jupyter kernel
    pins = pinned_requirements([package, *needed, "ipykernel"])
    version = wheel.name.split("-")[1]  # name-version-python-abi-platform.whl
    return "\n".join([
        "# What the course notebooks need, at the versions its site was built with.",
        "# In this folder, in a fresh virtual environment:",
        "#     python -m pip install -r requirements.txt",
        f"# The wheel of {package} is in this folder; everything else comes from PyPI.",
        "--find-links .",
        f"{package}=={version}",
        *[pin for pin in pins if not pin.startswith(f"{package}==")],
        "",
    ])


README = """\
# {title}

The course on your own machine: every chapter as a Jupyter notebook, with
the outputs of the site's build of {date}, so you can compare yours; the
`{package}` library the chapters import, as the wheel `{wheel}`;
and `requirements.txt`, which installs it and everything the notebooks need,
at the versions the site was built with.

With Python 3.11 or newer, in this folder:

    python3 -m venv .venv
    .venv/bin/python -m pip install -r requirements.txt
    .venv/bin/python -m pip install jupyterlab
    .venv/bin/jupyter lab

(On Windows: `py -m venv .venv`, and `.venv\\Scripts\\` for `.venv/bin/`.)
Open the notebooks in order, from `{first}`, and run each one top to
bottom. Run from this folder, Matplotlib reads `matplotlibrc`, the style of
the site's figures.

The first chapter that needs MNIST downloads it (about 11 MB) into a cache
folder and checks every file's SHA-256; set `MNISTBOOK_DATA` to choose the
folder. The site's page "Run it yourself" has the details.
"""


def write_downloads(app, exception):
    """Once the pages are written: every page's reader notebook, then the bundle."""
    if exception is not None or app.builder.format != "html":
        return
    for docname in course_chapters(app):
        if _executed_path(app, docname).exists():
            write_reader_notebook(app, docname)
    write_bundle(app)


def write_bundle(app):
    """Write ``<reader_bundle>.zip`` at the site's root."""
    # a page without code (the summary) is no notebook: myst-nb executes none for it
    chapters = [c for c in course_chapters(app) if _executed_path(app, c).exists()]
    sources = Path(app.outdir) / "_sources"
    missing = [c for c in chapters if not (sources / f"{c}.ipynb").exists()]
    if not chapters or missing:
        logger.warning(f"course bundle not written: no reader notebook for {missing or 'any chapter'}")
        return
    notebooks = [nbformat.read(sources / f"{c}.ipynb", as_version=4) for c in chapters]
    wheel = build_wheel(app)
    name = app.config.reader_bundle
    width = max(2, len(str(len(chapters))))
    names = [f"{n:0{width}d}-{c.replace('/', '-')}.ipynb" for n, c in enumerate(chapters, 1)]
    readme = README.format(
        title=app.config.project,
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d"), package=app.config.reader_package,
        wheel=wheel.name, first=names[0],
    )
    members = {
        "README.md": readme.encode(),
        "requirements.txt": requirements_text(app, wheel, notebooks).encode(),
        wheel.name: wheel.read_bytes(),
    }
    rc = Path(app.srcdir) / "matplotlibrc"  # the figure style the chapters ran with
    if rc.exists():
        members[rc.name] = rc.read_bytes()
    for member, notebook in zip(names, notebooks):
        members[member] = nbformat.writes(notebook).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for member, data in members.items():
            info = zipfile.ZipInfo(f"{name}/{member}", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, data)
    target = Path(app.outdir) / f"{name}.zip"
    partial = target.with_suffix(".zip.part")
    partial.write_bytes(buffer.getvalue())
    partial.replace(target)
    logger.info(f"course bundle: {target.name} ({len(chapters)} chapters, {len(buffer.getvalue()) / 1e6:.1f} MB)")


# -- how long each chapter ran -------------------------------------------------------------

RUN_TIMES_KEY = "has_reader_run_times"


class RunTimesNode(nodes.General, nodes.Element):
    """Placeholder for the run-times table, filled in once every chapter has executed."""


class RunTimesDirective(SphinxDirective):
    """``{reader-run-times}``: a table of the course chapters and their execution times."""

    def run(self):
        from myst_nb.sphinx_ import NbMetadataCollector

        NbMetadataCollector.set_doc_data(self.env, self.env.docname, RUN_TIMES_KEY, True)
        return [RunTimesNode()]


# The table is made after the translation step, so its words come in each edition's language here.
RUN_TIMES_WORDS = {
    "en": {"chapter": "Chapter", "time": "Time on the build machine", "all": "All chapters",
           "where": "Measured while building this site, on a machine with {cpus} logical processors; "
                    "a chapter taken from the execution cache shows the time of the build that last "
                    "executed it."},
    "ja": {"chapter": "章", "time": "ビルドしたマシンでの時間", "all": "全章",
           "where": "このサイトのビルド中に、論理プロセッサが {cpus} 個のマシンで測った。実行キャッシュから"
                    "とった章には、最後にその章を実行したビルドの時間を示している。"},
}


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


class RunTimesTransform(SphinxPostTransform):
    default_priority = 8  # before references are resolved, like myst-nb's nb-exec-table

    def run(self, **kwargs):
        from myst_nb.sphinx_ import NbMetadataCollector

        for node in list(self.document.findall(RunTimesNode)):
            rows = []
            for docname in course_chapters(self.app):
                data = NbMetadataCollector.get_exec_data(self.env, docname) or {}
                if data.get("runtime") is not None:
                    rows.append((docname, data["runtime"]))
            words = RUN_TIMES_WORDS.get(self.config.language, RUN_TIMES_WORDS["en"])
            where = nodes.paragraph(text=words["where"].format(cpus=os.cpu_count()))
            node.replace_self([self._table(rows, words), where])

    def _table(self, rows, words):
        table = nodes.table(classes=["colwidths-auto", "reader-run-times"])
        group = nodes.tgroup(cols=2)
        table += group
        group += [nodes.colspec(colwidth=1), nodes.colspec(colwidth=1)]
        head, body = nodes.thead(), nodes.tbody()
        group += [head, body]
        head += self._row(nodes.Text(words["chapter"]), nodes.Text(words["time"]))
        for docname, seconds in rows:
            link = addnodes.pending_xref("", refdoc=self.env.docname, reftarget=f"/{docname}",
                                         reftype="doc", refdomain="std", refexplicit=False,
                                         refwarn=True)
            link += nodes.inline(text=docname)
            body += self._row(link, nodes.Text(_duration(seconds)))
        total = sum(seconds for _, seconds in rows)
        body += self._row(nodes.strong(text=words["all"]), nodes.strong(text=_duration(total)))
        return table

    @staticmethod
    def _row(*cells):
        row = nodes.row()
        for cell in cells:
            paragraph = nodes.paragraph()
            paragraph += cell
            row += nodes.entry("", paragraph)
        return row


def update_run_times(app, env):
    """Rewrite the pages with a run-times table when a chapter was executed again."""
    from myst_nb.sphinx_ import NbMetadataCollector

    if not NbMetadataCollector.new_exec_data(env):
        return None
    return [doc for doc, data in NbMetadataCollector.get_doc_data(env).items() if data.get(RUN_TIMES_KEY)]


def setup(app):
    app.add_config_value("reader_bundle", "course", "html")
    app.add_config_value("reader_package", "mnistbook", "html")
    app.add_config_value("reader_course_caption", "Course", "env")
    app.add_config_value("reader_run_page", "run", "html")
    app.add_node(RunTimesNode)
    app.add_directive("reader-run-times", RunTimesDirective)
    app.add_post_transform(RunTimesTransform)
    app.connect("env-updated", update_run_times)
    # Before the theme adds its download buttons (priority 501), then after it.
    app.connect("html-page-context", offer_reader_notebook, priority=400)
    app.connect("html-page-context", link_run_page, priority=600)
    app.connect("build-finished", write_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
