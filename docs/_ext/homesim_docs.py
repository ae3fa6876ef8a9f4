"""Sphinx extension of homesim's docs: the ``guide-run`` directive.

``guide-run GUIDE ID [ID...]`` shows the commands ``ID`` of ``GUIDE`` from
``docs/guides/runs.yaml`` as a console block, each followed by its output when the command
has ``output: true`` (the output ``tests/docs`` compares with a fresh run). An unknown guide or
id, or a missing output, is an error (the build fails).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

import guide_runs


class GuideRun(SphinxDirective):
    required_arguments = 2
    optional_arguments = 20
    has_content = False

    def run(self) -> list[nodes.Node]:
        guide, ids = self.arguments[0], self.arguments[1:]
        runs = guide_runs.load()
        self.env.note_dependency(str(guide_runs.RUNS))
        if guide not in runs:
            raise self.error(f"guide-run: no guide {guide!r} in {guide_runs.RUNS}")
        lines: list[str] = []
        for run_id in ids:
            run = runs[guide].get(run_id)
            if run is None:
                raise self.error(f"guide-run: no command {run_id!r} in guide {guide!r} of {guide_runs.RUNS}")
            lines.append(f"$ {run.run}")
            if run.output:
                if not run.output_path.exists():
                    raise self.error(f"guide-run: {run.output_path} is missing: run docs/_ext/guide_runs.py --update")
                self.env.note_dependency(str(run.output_path))
                lines.append(guide_runs.shown_output(run).rstrip("\n"))
        text = "\n".join(lines)
        block = nodes.literal_block(text, text)
        block["language"] = "console"
        block["classes"].append("guide-run")
        return [block]


def setup(app: Sphinx) -> dict:
    app.add_directive("guide-run", GuideRun)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
