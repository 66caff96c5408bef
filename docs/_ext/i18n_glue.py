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
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from myst_nb.ext.glue.roles import PasteMarkdownRole, PasteRoleAny, PasteTextRole
from myst_nb.ext.glue.utils import glue_warning

TRANSLATED = ":<translated>"  # how Sphinx names the document of a translated msgstr


def is_translated(document) -> bool:
    """True for the small document Sphinx parses a translated message into."""
    return str(document.get("source", "")).endswith(TRANSLATED)


def load_glue_data(output_folder: str | Path, docname: str) -> dict:
    """The glue data myst-nb wrote for ``docname`` ({key: {"data": {mime: value}}})."""
    path = Path(output_folder, *f"{docname}.glue.json".split("/"))
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf8"))


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


def _untranslatable(role_class, name: str):
    class Role(role_class):
        def run(self):
            if "nb_renderer" not in self.document and is_translated(self.document):
                message = f"{{{name}}} does not work in a translated paragraph: use {{glue:text}}"
                return [], [glue_warning(message, self.document, self.line)]
            return super().run()

    Role.__name__ = f"Translated{role_class.__name__}"
    return Role


def setup(app):
    app.setup_extension("myst_nb")
    app.add_role_to_domain("glue", "text", TranslatedPasteTextRole(), override=True)
    for name, role_class in (("", PasteRoleAny), ("any", PasteRoleAny), ("md", PasteMarkdownRole)):
        role = _untranslatable(role_class, f"glue:{name}" if name else "glue")
        app.add_role_to_domain("glue", name, role(), override=True)
    app.add_role("glue", _untranslatable(PasteRoleAny, "glue")(), override=True)  # plain {glue}
    return {"parallel_read_safe": True, "parallel_write_safe": True}
