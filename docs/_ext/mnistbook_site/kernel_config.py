# IPython kernel configuration for the chapters' executions (the extension
# copies it into a profile under _build and points IPYTHONDIR there).
# Figures as "retina" PNGs: drawn at twice the pixels, displayed at their usual
# size, so they stay sharp on high-density screens and when a reader zooms in.
c = get_config()  # noqa: F821 (IPython's config loader provides it)
c.InlineBackend.figure_formats = {"retina"}
