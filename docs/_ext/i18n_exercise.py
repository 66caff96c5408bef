"""Exercise titles in the translated editions.

sphinx-exercise builds an exercise's title from its label ("Exercise") and the
directive's argument ("4-1: creating arrays").  The argument is parsed without
a source position, so Sphinx's gettext builder skips it and the title would
stay English in every translation.  This extension

- makes that subtitle a message of the page's catalog (with the position of
  its exercise), translated like any paragraph;
- names exercises and solutions with the words of the lecture (演習, 解答)
  rather than sphinx-exercise's own Japanese catalog ("練習").
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

LABELS = {"ja": {"exercise": "演習", "solution": "解答"}}


class TranslatableExerciseTitles(SphinxTransform):
    """Make each exercise's subtitle a translatable message.

    sphinx-exercise later moves the subtitle's children into a plain title and
    drops the subtitle node, so the message is an inline node wrapping them: it
    travels with them and is still there when the gettext builder looks.
    """

    default_priority = 5  # before sphinx's i18n transforms (10, 20) and the gettext builder

    def apply(self, **kwargs) -> None:
        from sphinx_exercise.nodes import exercise_subtitle

        for subtitle in self.document.findall(exercise_subtitle):
            exercise = subtitle.parent.parent  # subtitle < title < exercise
            text = subtitle.astext()
            message = nodes.inline(text, "", *subtitle.children, translatable=True)
            message.source = exercise.source or self.document["source"]
            message.line = exercise.line
            subtitle.children = []
            subtitle += message


class ExerciseLabels(SphinxPostTransform):
    """Replace sphinx-exercise's label words by the lecture's in a translated edition."""

    default_priority = 23  # after sphinx-exercise's title post-transforms (up to 22)

    def run(self, **kwargs) -> None:
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, solution_node

        labels = LABELS.get(self.config.language)
        if not labels:
            return
        kinds = (("exercise", exercise_node), ("exercise", exercise_enumerable_node),
                 ("solution", solution_node))
        for kind, node_type in kinds:
            for node in self.document.findall(node_type):
                title = node.children[0]
                first = title.children[0] if title.children else None
                if isinstance(first, nodes.Text):
                    title.replace(first, nodes.Text(labels[kind]))


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_transform(TranslatableExerciseTitles)
    app.add_post_transform(ExerciseLabels)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
