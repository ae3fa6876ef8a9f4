"""Sphinx configuration of homesim's docs (``make docs``: warnings are errors, nothing is
fetched from the network).

The reference pages are generated from the code before the pages are read (``docs/generate.py``
into ``docs/_generated/``); the guides show commands and outputs from ``docs/guides/runs.yaml``
and ``docs/guides/output/``, which ``tests/docs`` runs and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "_ext"))

import generate  # noqa: E402

generate.write_all(HERE / "_generated")

project = "homesim"
author = "homesim"
copyright = "2026, homesim"
release = version = "0.1.0"

extensions = ["myst_parser", "homesim_docs"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "guides/output", "screenshots/update.py", "Thumbs.db", ".DS_Store"]
nitpicky = True
suppress_warnings: list[str] = []

html_theme = "pydata_sphinx_theme"
html_title = "homesim"
html_static_path: list[str] = []
html_extra_path = ["_generated/extra"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_end": ["theme-switcher"],
    "footer_start": ["copyright"],
    "footer_end": [],
    "secondary_sidebar_items": ["page-toc"],
    "article_footer_items": [],
    "content_footer_items": [],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
html_copy_source = False
# Nothing from the network: no intersphinx, no math from a CDN.
intersphinx_mapping: dict = {}
