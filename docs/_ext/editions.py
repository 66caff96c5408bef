"""The English and the Japanese edition of the book, built from one source.

The English site is built into ``_build/html``, the Japanese one (``-D
language=ja``) into ``_build/ja/html`` and published as ``_build/html/ja``
(see ``noxfile.py``).  This extension

- links every page to the same page in the other edition: a switch in the
  article header and ``<link rel="alternate" hreflang>`` in the head;
- in a translated build, lists every message of the English source that the
  catalog does not translate (missing, empty or fuzzy) in
  ``<outdir>/../untranslated.json``, which ``tests/test_translations.py``
  requires to be empty.  The build itself stays green, so a change to the
  English prose can be built before its translation is written.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain
from sphinx.util.nodes import extract_messages

SOURCE_LANGUAGE = "en"
# language: (folder of its edition under the site's root, the switch's label leading
# to it (in that language), the switch's title in the other edition's language)
EDITIONS = {
    "en": ("", "English", "このページの英語版"),
    "ja": ("ja/", "日本語", "This page in Japanese"),
}
REPORT = "untranslated.json"
# The book's title in each translated edition (the English one is conf.py's html_title).
TITLES = {"ja": "ゼロからのディープラーニング: MNIST"}


def other_language(language: str) -> str:
    return "ja" if language == SOURCE_LANGUAGE else SOURCE_LANGUAGE


def edition_href(pagename: str, target_uri: str, language: str, target: str) -> str:
    """Relative link from ``pagename`` in ``language``'s edition to the same page in ``target``'s."""
    site_root = "../" * pagename.count("/") + "../" * EDITIONS[language][0].count("/")
    return site_root + EDITIONS[target][0] + target_uri


def _page_context(app, pagename, templatename, context, doctree):
    language = app.config.language or SOURCE_LANGUAGE
    if language not in EDITIONS:
        return
    uri = app.builder.get_target_uri(pagename)
    links = []
    for lang in (*EDITIONS, "x-default"):  # x-default: the English edition, the source
        href = edition_href(pagename, uri, language, SOURCE_LANGUAGE if lang == "x-default" else lang)
        links.append(f'<link rel="alternate" hreflang="{lang}" href="{escape(href)}" />')
    context["metatags"] = context.get("metatags", "") + "\n".join(links) + "\n"
    other = other_language(language)
    _, label, title = EDITIONS[other]
    context["other_edition"] = {
        "href": edition_href(pagename, uri, language, other),
        "lang": other,
        "label": label,
        "title": title,
    }


def translated_messages(po_path: Path) -> set[str]:
    """The msgids that a .po file translates (non-empty msgstr, not fuzzy)."""
    from babel.messages.pofile import read_po

    if not po_path.exists():
        return set()
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id for m in catalog if m.id and m.string and not m.fuzzy}


def _left_out(node) -> bool:
    """Nodes the gettext builder never sees: the front matter (moved out of the page
    before writing) and sphinx-exercise's titles (rebuilt after reading; their
    words come from i18n_exercise and the subtitle message)."""
    if type(node).__name__ in ("exercise_title", "solution_title"):
        return True
    return any(_is_front_matter(parent) for parent in _ancestors(node))


def _is_front_matter(node) -> bool:
    """The page's front matter: docinfo, or the leading field list that becomes it."""
    if isinstance(node, nodes.docinfo):
        return True
    if not isinstance(node, nodes.field_list) or not isinstance(node.parent, nodes.document):
        return False
    first = next((c for c in node.parent.children if not isinstance(c, (nodes.title, nodes.comment, nodes.target))), None)
    return first is node


def _ancestors(node):
    while node is not None:
        yield node
        node = node.parent


class ListUntranslated(SphinxTransform):
    """Record the messages of this page that its catalog leaves in English."""

    default_priority = 15  # before sphinx's Locale transform (20) replaces them

    def apply(self, **kwargs) -> None:
        config = self.config
        if (config.language or SOURCE_LANGUAGE) == SOURCE_LANGUAGE:
            return
        if self.document.get("source", "").endswith(":<translated>"):
            return  # a translated message being parsed, not a page
        domain = docname_to_domain(self.env.docname, config.gettext_compact)
        done = set()
        for locale_dir in config.locale_dirs:
            po = Path(self.app.srcdir, locale_dir, config.language, "LC_MESSAGES", f"{domain}.po")
            done |= translated_messages(po)
        messages = {msg for node, msg in extract_messages(self.document) if not _left_out(node)}
        missing = sorted(messages - done)
        _store(self.env)[self.env.docname] = missing


def _store(env) -> dict[str, list[str]]:
    """{docname: untranslated messages}, kept in the environment between builds."""
    if not hasattr(env, "mnistbook_untranslated"):
        env.mnistbook_untranslated = {}
    return env.mnistbook_untranslated


def _purge(app, env, docname):
    _store(env).pop(docname, None)


def _merge(app, env, docnames, other):
    _store(env).update({doc: _store(other)[doc] for doc in docnames if doc in _store(other)})


def _write_report(app, exception):
    if exception or (app.config.language or SOURCE_LANGUAGE) == SOURCE_LANGUAGE:
        return
    report = {doc: msgs for doc, msgs in sorted(_store(app.env).items()) if doc in app.env.found_docs and msgs}
    path = Path(app.outdir).parent / REPORT
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf8")
    count = sum(map(len, report.values()))
    logging.getLogger(__name__).info(
        f"{count} untranslated message(s) in {len(report)} page(s), listed in {path}"
    )


# Settings of other extensions that name a piece of the book's text, which a
# translated build shows translated (the course's toctree caption).
TRANSLATED_SETTINGS = ("reader_course_caption",)


def _translate_settings(app, config):
    language = config.language or SOURCE_LANGUAGE
    if language == SOURCE_LANGUAGE:
        return
    if language in TITLES:
        config.html_title = TITLES[language]
    from babel.messages.pofile import read_po

    domain = docname_to_domain(config.root_doc, config.gettext_compact)
    for locale_dir in config.locale_dirs:
        po = Path(app.srcdir, locale_dir, language, "LC_MESSAGES", f"{domain}.po")
        if not po.exists():
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for name in TRANSLATED_SETTINGS:
            value = getattr(config, name, None)
            message = catalog.get(value) if isinstance(value, str) else None
            if message is not None and message.string and not message.fuzzy:
                setattr(config, name, message.string)


def _add_switch(app, config):
    # The switch goes first in the article header, before the theme's buttons.
    options = config.html_theme_options
    end = options.get("article_header_end", ["article-header-buttons.html"])
    if isinstance(end, str):
        end = [item.strip() for item in end.split(",") if item.strip()]
    if "language-switch.html" not in end:
        options["article_header_end"] = ["language-switch.html", *end]
    templates = str(Path(__file__).resolve().parents[1] / "_templates")
    if templates not in config.templates_path:
        config.templates_path.append(templates)


def setup(app):
    app.connect("config-inited", _add_switch)
    app.connect("config-inited", _translate_settings, priority=900)  # after the others' defaults
    app.add_css_file("editions.css")  # docs/_static/editions.css
    app.connect("html-page-context", _page_context)
    app.add_transform(ListUntranslated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("build-finished", _write_report)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
