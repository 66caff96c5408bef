"""The course site for every reader: phones, screen readers, print and one PDF.

A Sphinx extension (listed in ``conf.py``) that adds, on top of sphinx-book-theme:

- working sidebar toggles (a header template without pydata-sphinx-theme's
  hidden duplicate pair, see ``templates/sections/header.html``);
- accessible names, contrast, focus rings and ``lang="ja"`` on Japanese text;
- a favicon, a meta description per page, the version in the footer;
- a print stylesheet, and the single-page build that ``pdf.py`` prints into
  the whole-book PDF (``mnistbook.pdf`` at the site root);
- MathJax and Font Awesome trimmed to what the pages use.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

HERE = Path(__file__).resolve().parent
BOOK_PDF = "mnistbook.pdf"  # at the site root, next to index.html
DESCRIPTION_CHARS = 160


# -- Japanese text ------------------------------------------------------------------
class japanese(nodes.inline):
    """A run of Japanese text, written as <span lang="ja">."""


def visit_japanese(self, node):
    self.body.append(self.starttag(node, "span", "", lang="ja"))


def depart_japanese(self, node):
    self.body.append("</span>")


# From the first to the last kana or kanji of a run, with the spaces, digits and
# punctuation between them ("第4回 ディープラーニングへの入り口").
_JAPANESE = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]"
    r"(?:[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef0-9 ]*"
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f])?"
)


class MarkJapanese(SphinxTransform):
    """Wrap Japanese runs in prose so screen readers and fonts treat them as Japanese."""

    default_priority = 900

    def apply(self):
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or isinstance(parent, (nodes.FixedTextElement, japanese)):
                continue
            value = str(text)
            if not _JAPANESE.search(value):
                continue
            pieces: list[nodes.Node] = []
            last = 0
            for match in _JAPANESE.finditer(value):
                if match.start() > last:
                    pieces.append(nodes.Text(value[last:match.start()]))
                pieces.append(japanese("", match.group(0)))
                last = match.end()
            if last < len(value):
                pieces.append(nodes.Text(value[last:]))
            index = parent.index(text)
            parent.remove(text)
            for offset, piece in enumerate(pieces):
                parent.insert(index + offset, piece)


# -- unique ids ---------------------------------------------------------------------
class UniqueExerciseIds(SphinxPostTransform):
    """sphinx-exercise gives every exercise's body id="exercise-content" (and every
    solution's "solution-content"): number them, since ids must be unique."""

    default_priority = 999  # after sphinx-exercise's own post-transforms

    def run(self, **kwargs):
        seen: dict[str, int] = {}
        for section in self.document.findall(nodes.section):
            for fixed in ("exercise-content", "solution-content"):
                if fixed in section["ids"]:
                    seen[fixed] = seen.get(fixed, 0) + 1
                    section["ids"] = [f"{fixed}-{seen[fixed]}" if i == fixed else i
                                      for i in section["ids"]]


# -- stacked tables -------------------------------------------------------------
class LabelStackedCells(SphinxPostTransform):
    """A table in a ``stacked-table`` container becomes one block per row on a phone,
    its header row hidden: every cell but the row's first starts with its column's
    header as a label (hidden on wider screens, see mnistbook.css). After the
    translation step, so each edition's labels are its own headers."""

    default_priority = 200

    def run(self, **kwargs):
        for container in self.document.findall(nodes.container):
            if "stacked-table" not in container["classes"]:
                continue
            for table in container.findall(nodes.table):
                head = next(table.findall(nodes.thead))
                headers = [entry.astext() for entry in head.findall(nodes.entry)]
                for row in next(table.findall(nodes.tbody)).findall(nodes.row):
                    for header, entry in list(zip(headers, row.findall(nodes.entry)))[1:]:
                        label = header[:1].upper() + header[1:] + ": "
                        entry[0].insert(0, nodes.inline(text=label, classes=["stacked-label"]))


# -- hidden code cells ----------------------------------------------------------
def visit_hidden_cell(self, node):
    """myst-nb's <details> for hidden code, named by its visible text.

    myst-nb labels every summary "Toggle hidden content" while it shows "Show code
    cell source": a name that differs from the visible label (axe:
    label-content-name-mismatch).  Without the aria-label the name is the text.
    """
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{self.encode(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{self.encode(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hidden_cell(self, node):
    self.body.append("</details>\n")


def visit_hidden_cell_single(self, node):
    """In the single page that becomes the PDF, print a hidden cell's output, not its code."""
    for child in list(node.children):
        if child.get("nb_element") == "cell_code_source":
            node.remove(child)
    if not node.children:
        raise nodes.SkipNode


def depart_hidden_cell_single(self, node):
    pass


def _register_hidden_cell(app: Sphinx) -> None:
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(
        HideCodeCellNode,
        override=True,
        html=(visit_hidden_cell, depart_hidden_cell),
        singlehtml=(visit_hidden_cell_single, depart_hidden_cell_single),
    )


def _singlehtml_uses_html_visitors(app: Sphinx) -> None:
    """Give the singlehtml builder the html visitors it lacks.

    Sphinx falls back to a builder's format ("html") only when no extension
    registered visitors under the builder's own name; sphinx-exercise does, so
    myst-nb's and others' html-only nodes would be unknown to singlehtml.
    """
    if app.builder.name != "singlehtml":
        return
    app.add_css_file("mnistbook-pdf.css", priority=950)
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, pair in handlers.get("html", {}).items():
        single.setdefault(name, pair)


# -- page metadata ------------------------------------------------------------------
def _description(doctree) -> str:
    """The page's first real paragraph, shortened to a meta description."""
    if doctree is None:
        return ""
    for paragraph in doctree.findall(nodes.paragraph):
        if not isinstance(paragraph.parent, nodes.section):
            continue  # not a learning-goal bullet, a caption or an admonition
        text = " ".join(paragraph.astext().split())
        if len(text) >= 40:
            break
    else:
        return ""
    if len(text) > DESCRIPTION_CHARS:
        text = text[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def _page_context(app: Sphinx, pagename, templatename, context, doctree):
    from html import escape

    description = _description(doctree)
    if not description:  # a generated page: the highlighted source of a module, the index
        title = re.sub(r"<[^>]+>", "", context.get("title") or "").strip()
        about = f"{app.config.project}, a course book, and the source of its NumPy library"
        description = f"{title} in {about}" if title else about
    context["metatags"] = context.get("metatags", "") + (
        f'\n    <meta name="description" content="{escape(description, quote=True)}" />'
    )
    context["book_pdf"] = BOOK_PDF if app.builder.name == "html" else ""
    # docutils gives a bibliography role="list" around entries that are not list
    # items (role doc-biblioentry): axe's aria-required-children. A plain div is right.
    if 'role="list" class="citation-list"' in context.get("body", ""):
        context["body"] = context["body"].replace('<div role="list" class="citation-list">',
                                                  '<div class="citation-list">')
    if app.builder.name == "singlehtml" and pagename == app.config.root_doc:
        body = context.get("body", "")
        marker = '<span id="document-'
        if marker in body:
            at = body.index(marker)
            context["body"] = body[:at] + _pdf_contents(app) + body[at:]


def _pdf_contents(app: Sphinx) -> str:
    """The PDF's table of contents: the root toctrees, the course's chapters numbered.

    Each entry links to the chapter's anchor in the single page; pdf.py puts
    the same number before the chapter's title.
    """
    from html import escape

    from sphinx import addnodes

    env = app.env
    parts = []
    number = 0
    for toctree in env.get_doctree(app.config.root_doc).findall(addnodes.toctree):
        caption = toctree.get("caption") or ""
        numbered = caption == "Course"  # the chapters; the reference pages are not numbered
        items = []
        for title, docname in toctree["entries"]:
            title = title or env.titles[docname].astext()
            if numbered:
                number += 1
            label = f'<span class="toc-number">{number}</span> ' if numbered else ""
            data = f' data-number="{number}"' if numbered else ""
            items.append(f'<li data-doc="{escape(docname)}"{data}>'
                         f'<a href="#document-{escape(docname)}">{label}{escape(title)}</a></li>')
        parts.append(f"<h3>{escape(caption)}</h3>\n<ol>{''.join(items)}</ol>")
    byline = (f'<p class="mnistbook-pdf-byline">mnistbook {escape(app.config.release)}'
              f" · © {escape(app.config.copyright)}</p>\n")
    return (byline + '<nav class="mnistbook-pdf-toc" aria-labelledby="mnistbook-pdf-contents">'
            '<h2 id="mnistbook-pdf-contents">Contents</h2>' + "\n".join(parts) + "</nav>\n")


# -- assets -----------------------------------------------------------------------
# The MathJax files the pages load: the combined TeX + CHTML component, its
# fonts, and the extensions and accessibility modules it loads on demand.
MATHJAX_KEEP = ("tex-chtml.js", "output/chtml/fonts/woff-v2/", "input/tex/extensions/", "a11y/", "ui/", "sre/")


def _trim_mathjax(app: Sphinx, exception) -> None:
    """sphinx-mathjax-offline copies all of MathJax (24 MB); keep what the pages use."""
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.outdir) / "_static" / "mathjax"
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*"), reverse=True):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith(MATHJAX_KEEP):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


# One icon of the Font Awesome bundle: name (quoted when it has a dash), width,
# height, aliases, unicode, path(s).
_ICON = re.compile(
    r'(?<=[{,])"?([a-z0-9-]+)"?:\[\d+(?:\.\d+)?,\d+(?:\.\d+)?,\[([^\]]*)\],"[0-9a-f]*",'
    r'(?:"[^"]*"|\[(?:"[^"]*",?)*\])\]'
)


def _trim_fontawesome(app: Sphinx, exception) -> None:
    """The theme ships every Font Awesome icon (1.5 MB of script); keep those the site uses.

    The used names are the fa-* classes in the written pages and in the site's
    other scripts (which add icons at run time); an icon is kept when its name
    or one of its aliases is used.  A page asking for an icon that is not kept
    logs a console error, which the browser tests fail on.
    """
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    bundle = static / "scripts" / "fontawesome.js"
    if not bundle.exists():
        return
    used: set[str] = set()
    sources = [*Path(app.outdir).rglob("*.html"), *(p for p in static.rglob("*.js") if p != bundle)]
    for path in sources:
        used.update(re.findall(r"\bfa-([a-z0-9-]+)", path.read_text(encoding="utf-8", errors="replace")))
    # Trim the theme's full bundle, not a copy trimmed by an earlier build.
    originals = [Path(d) / "static" / "scripts" / "fontawesome.js" for d in app.builder.theme.get_theme_dirs()]
    original = next((path for path in originals if path.exists()), bundle)
    script = original.read_text(encoding="utf-8")

    def keep_or_drop(match: re.Match) -> str:
        names = {match.group(1), *re.findall(r'"([a-z0-9-]+)"', match.group(2))}
        return match.group(0) if names & used else "\x00"

    trimmed = re.sub(r"\x00,|,\x00|\x00", "", _ICON.sub(keep_or_drop, script))
    trimmed = trimmed.replace("//# sourceMappingURL=fontawesome.js.map", "")
    bundle.write_text(trimmed, encoding="utf-8")
    (bundle.parent / "fontawesome.js.map").unlink(missing_ok=True)  # maps the full bundle


_LIGHT = re.compile(r'html\[data-theme=(?:"light"|light|\'light\')\]')
PRINT_LIGHT_CSS = "mnistbook-print-light.css"


def _top_level_rules(css: str):
    """(selector, body) of each top-level rule of a stylesheet, at-rules skipped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    depth, start, selector = 0, 0, None
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selector, start = css[start:index].strip(), index + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                if selector and not selector.startswith("@"):
                    yield selector, css[start:index]
                start = index + 1


def _write_print_light(app: Sphinx, exception) -> None:
    """Print is always light: the themes' light rules, applied to dark mode in print.

    The stylesheet is linked with media="print"; it repeats every rule of the
    themes (and Pygments) that is written for html[data-theme=light] as a rule
    for html[data-theme=dark], so a page printed from dark mode prints in the
    light colours, whatever those are in the installed theme version.
    """
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    rules = ["html[data-theme=dark]{color-scheme:light}"]
    for sheet in sorted(static.rglob("*.css")):
        if sheet.name in (PRINT_LIGHT_CSS, "mnistbook-site.css"):
            continue
        for selector, body in _top_level_rules(sheet.read_text(encoding="utf-8", errors="replace")):
            parts = [part.strip() for part in selector.split(",")]
            if parts and all(_LIGHT.match(part) for part in parts):
                dark = ",".join(_LIGHT.sub("html[data-theme=dark]", part, count=1) for part in parts)
                rules.append(f"{dark}{{{body}}}")
    (static / PRINT_LIGHT_CSS).write_text("\n".join(rules) + "\n", encoding="utf-8")


def _kernel_profile(app: Sphinx) -> None:
    """Point the chapters' kernels at an IPython profile with kernel_config.py.

    The profile lives under _build (IPython writes its history and security
    files there), never in the source tree.
    """
    profile = Path(app.outdir).parent / ".ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "kernel_config.py", profile / "ipython_kernel_config.py")
    os.environ["IPYTHONDIR"] = str(profile.parent)


def _config_inited(app: Sphinx, config) -> None:
    _kernel_profile(app)
    config.templates_path = [str(HERE / "templates"), *config.templates_path]
    config.html_static_path = [*config.html_static_path, str(HERE / "static")]
    if not config.html_favicon:
        config.html_favicon = str(HERE / "static" / "favicon.svg")
    if not config.html_sidebars:
        config.html_sidebars = {
            "**": ["navbar-logo.html", "icon-links.html", "search-button-field.html",
                   "sbt-sidebar-nav.html", "components/book-pdf.html"]
        }


def setup(app: Sphinx):
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _singlehtml_uses_html_visitors)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _trim_mathjax, priority=900)  # after MathJax is copied
    # After pydata-sphinx-theme rewrites pygments.css into light and dark rules.
    app.connect("build-finished", _write_print_light, priority=950)
    app.connect("build-finished", _trim_fontawesome)
    app.add_node(japanese, html=(visit_japanese, depart_japanese),
                 singlehtml=(visit_japanese, depart_japanese))
    app.add_transform(MarkJapanese)
    app.add_post_transform(UniqueExerciseIds)
    app.add_post_transform(LabelStackedCells)
    app.add_css_file("mnistbook-site.css", priority=600)  # after the book's own CSS
    app.add_css_file(PRINT_LIGHT_CSS, media="print", priority=900)
    app.add_js_file("mnistbook-site.js", loading_method="defer")
    app.setup_extension("myst_nb")
    _register_hidden_cell(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
