"""Glued numbers in translated paragraphs.

A ``{glue:text}`` role reads the glue data of the notebook being parsed, which
myst-nb keeps on the document only while it parses the notebook.  Sphinx
translates a page afterwards, parsing each translated paragraph (msgstr) as a
small document of its own, so the role finds no data there and fails with "No
key ... found in glue data for this document" (MyST-NB#587).

This extension replaces the ``glue:text`` role with one that, inside a
translated paragraph, reads the same page's glue data from the file myst-nb
wrote for it (``<output folder>/<docname>.glue.json``), from the execution of
this very build.  Outside translations it is myst-nb's role unchanged.  The
other glue roles, which need myst-nb's renderer, report a clear error in a
translated paragraph instead of an obscure one.

Some cells glue words, not only numbers ("about 40 times faster than",
"meets"), chosen from a measurement.  In a translated build such a phrase
is translated through the catalog ``glue.po`` of the language, whose msgids are
the phrases with ``{}`` in place of each number ("about {} times faster than");
the numbers are put back, in order, into the msgstr.  A phrase the catalog
lacks stays as the run glued it (tests/test_translations.py lists those).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from myst_nb.ext.glue.roles import PasteMarkdownRole, PasteRoleAny, PasteTextRole
from myst_nb.ext.glue.utils import glue_warning

TRANSLATED = ":<translated>"  # how Sphinx names the document of a translated msgstr
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
PHRASES = "glue"  # the catalog of glued phrases: <locale dir>/<lang>/LC_MESSAGES/glue.po


def is_translated(document) -> bool:
    """True for the small document Sphinx parses a translated message into."""
    return str(document.get("source", "")).endswith(TRANSLATED)


def load_glue_data(output_folder: str | Path, docname: str) -> dict:
    """The glue data myst-nb wrote for ``docname`` ({key: {"data": {mime: value}}})."""
    path = Path(output_folder, *f"{docname}.glue.json".split("/"))
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf8"))


def translate_phrase(text: str, phrases: dict[str, str]) -> str:
    """``text`` through the phrase catalog: numbers become ``{}`` for the lookup."""
    numbers = NUMBER.findall(text)
    pattern = NUMBER.sub("{}", text)
    if pattern not in phrases:
        return text
    return phrases[pattern].format(*numbers)


def load_phrases(srcdir, locale_dirs, language) -> dict[str, str]:
    """The translated phrases of ``glue.po`` (msgid pattern: msgstr), fuzzy ones left out."""
    from babel.messages.pofile import read_po

    phrases = {}
    for locale_dir in locale_dirs:
        po = Path(srcdir, locale_dir, language, "LC_MESSAGES", f"{PHRASES}.po")
        if po.exists():
            with po.open("rb") as handle:
                phrases.update({m.id: m.string for m in read_po(handle)
                                if m.id and m.string and not m.fuzzy})
    return phrases


class _GlueFromFile:
    """Stands in for myst-nb's renderer, giving the role this page's glue data."""

    def __init__(self, glue_data: dict):
        self.renderer = SimpleNamespace(nb_client=SimpleNamespace(glue_data=glue_data))


class TranslatedPasteTextRole(PasteTextRole):
    """``{glue:text}`` that also works inside a translated paragraph."""

    def run(self):
        document = self.document
        if "nb_renderer" in document or not is_translated(document):
            return super().run()
        env = document.settings.env
        document["nb_renderer"] = _GlueFromFile(
            load_glue_data(env.mystnb_config.output_folder, env.docname)
        )
        try:
            return super().run()
        finally:
            del document["nb_renderer"]


class TranslateGluedPhrases(SphinxPostTransform):
    """In a translated build, glued phrases read in its language, in every paragraph
    (also one whose translation is the same as the English, which Sphinx does not
    re-parse) and for ``path::key`` glue from other pages, resolved before this."""

    default_priority = 50  # after myst-nb resolves glue from other pages (5)

    def run(self, **kwargs) -> None:
        app = self.app
        if (app.config.language or "en") == "en":
            return
        if not hasattr(app, "mnistbook_phrases"):  # on the app: read once per build
            app.mnistbook_phrases = load_phrases(app.srcdir, app.config.locale_dirs, app.config.language)
        for node in self.document.findall(nodes.inline):
            if "pasted-text" in node["classes"]:
                text = translate_phrase(node.astext(), app.mnistbook_phrases)
                node.children = [nodes.Text(text)]


def _untranslatable(role_class, name: str):
    class Role(role_class):
        def run(self):
            if "nb_renderer" not in self.document and is_translated(self.document):
                message = f"{{{name}}} does not work in a translated paragraph: use {{glue:text}}"
                return [], [glue_warning(message, self.document, self.line)]
            return super().run()

    Role.__name__ = f"Translated{role_class.__name__}"
    return Role


def _phrases_changed(app, env, added, changed, removed):
    """Re-read the pages that glue when glue.po changed since the last build."""
    stamp = max((Path(app.srcdir, d, str(app.config.language), "LC_MESSAGES", f"{PHRASES}.po").stat().st_mtime
                 for d in app.config.locale_dirs
                 if Path(app.srcdir, d, str(app.config.language), "LC_MESSAGES", f"{PHRASES}.po").exists()),
                default=0.0)
    if stamp == getattr(env, "mnistbook_phrases_stamp", 0.0):
        return []
    env.mnistbook_phrases_stamp = stamp
    return [doc for doc in env.found_docs if doc not in changed and doc not in added]


def setup(app):
    app.setup_extension("myst_nb")
    app.connect("env-get-outdated", _phrases_changed)
    app.add_post_transform(TranslateGluedPhrases)
    app.add_role_to_domain("glue", "text", TranslatedPasteTextRole(), override=True)
    for name, role_class in (("", PasteRoleAny), ("any", PasteRoleAny), ("md", PasteMarkdownRole)):
        role = _untranslatable(role_class, f"glue:{name}" if name else "glue")
        app.add_role_to_domain("glue", name, role(), override=True)
    app.add_role("glue", _untranslatable(PasteRoleAny, "glue")(), override=True)  # plain {glue}
    return {"parallel_read_safe": True, "parallel_write_safe": True}
