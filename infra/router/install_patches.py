"""Install the router-side fixes of this folder into the running interpreter's site-packages.

Run with the router virtualenv's Python (``make router`` does): copies each patch module and
writes a ``.pth`` file so every Crossbar process (controller and workers) imports it at start.
"""

import shutil
import sysconfig
from pathlib import Path

PATCHES = ("crossbar_tcp_nodelay",)

site = Path(sysconfig.get_paths()["purelib"])
here = Path(__file__).resolve().parent
for name in PATCHES:
    shutil.copy(here / f"{name}.py", site / f"{name}.py")
    (site / f"homesim_{name}.pth").write_text(f"import {name}\n")
    print(f"installed {name} into {site}")
