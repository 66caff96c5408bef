"""What the translations translate: the book's prose, not its code.

Code cells' outputs (printed results, the tables a cell writes, a figure's
pixels) and the library's docstrings on the API page (Sphinx's own words there,
such as "Parameters", come from Sphinx's catalog) are code and its results:
they stay as the run and the source made them, in every edition, like the code
itself.  Without this they would be catalog messages, and a message such as a
table cell holding a line count would change with every edit of the library.

Figure captions and images' alt text (also of output images) stay translatable: they are the book's
words about an output, written in the chapter.  So do raw HTML blocks (the
controls and labels of the draw page): they are written in the chapter, and
the whole block is one message.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform

DOCSTRING = ":docstring of "  # how autodoc names the source of docstring text


def _is_output(node: nodes.Element) -> bool:
    return isinstance(node, nodes.container) and "cell_output" in node.get("classes", [])


class GiveTableCellsASource(SphinxTransform):
    """The cells of a table inside a directive (``:::{container}``) are messages too.

    MyST leaves the paragraphs of such a table without a ``source``, and Sphinx
    takes a text without a source for one of its own built-in messages: it
    neither offers it for translation nor translates it, silently.  Each cell
    gets the source and line of its table.
    """

    default_priority = 11  # before KeepCodeUntranslated (12) and the Locale transform (20)

    def apply(self, **kwargs) -> None:
        for table in self.document.findall(nodes.table):
            for node in table.findall(nodes.TextElement):
                if not node.source and table.source:
                    node.source, node.line = table.source, node.line or table.line


class KeepCodeUntranslated(SphinxTransform):
    """Mark cell outputs and docstrings as not translatable."""

    # After ExtraTranslatableNodes (10), which marks every raw node translatable,
    # before the Locale transform (20) and the gettext builder.
    default_priority = 12

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.TextElement):
            if DOCSTRING in (node.source or ""):
                node["translatable"] = False
        for entry in self.document.findall(addnodes.desc):  # an API entry: signature, fields
            for node in entry.findall(nodes.TextElement):
                node["translatable"] = False
        for output in self.document.findall(_is_output):
            captions = {id(n) for c in output.findall(nodes.caption) for n in c.findall()}
            for node in output.findall(nodes.TextElement):
                if id(node) not in captions:
                    node["translatable"] = False


class KeepSourceAnchors(SphinxTransform):
    """Links to a heading of another page (``[text](layer.md#the-slow-version)``) use
    the anchors of the English headings in every edition.

    MyST records a page's heading anchors in the environment when it parses the
    page.  Sphinx parses a translated title as a small document of its own, and
    MyST records that one's anchor in place of the page's, so the other pages'
    links to the page would no longer resolve.  The page's own record, kept on
    the page's document, is put back after the translation.
    """

    default_priority = 21  # right after sphinx's Locale transform (20)

    def apply(self, **kwargs) -> None:
        slugs = getattr(self.document, "myst_slugs", None)
        if slugs and self.env.docname in self.env.metadata:
            self.env.metadata[self.env.docname]["myst_slugs"] = slugs


def _raw_blocks_are_messages(app, config):
    if "raw" not in config.gettext_additional_targets:
        config.gettext_additional_targets = [*config.gettext_additional_targets, "raw"]


def _catalog_sees_the_html_outputs(app, config):
    """myst-nb renders outputs for the gettext builder as text, without images, so
    their alt text would never reach the catalogs: render them as for HTML."""
    from myst_nb.core.render import base_render_priority

    html = base_render_priority()["html"]
    config.nb_mime_priority_overrides = [
        *config.nb_mime_priority_overrides,
        *(("gettext", mime, priority) for mime, priority in html.items()),
    ]


def setup(app):
    app.connect("config-inited", _raw_blocks_are_messages)
    app.connect("config-inited", _catalog_sees_the_html_outputs)
    app.add_transform(GiveTableCellsASource)
    app.add_transform(KeepCodeUntranslated)
    app.add_transform(KeepSourceAnchors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
