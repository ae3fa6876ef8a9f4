"""The fork server's preload (what every live process is forked from) imports none of the heavy
libraries: a device process stays small (its kernels run plain, ``HOMESIM_JIT=0``), and an import
hoisted to a module's top by mistake (a report's pandas into the recorder) fails here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("numba", "llvmlite", "pandas", "pyarrow", "scipy", "pvlib", "matplotlib", "kubernetes", "kopf", "psycopg")


def test_the_fork_servers_preload_imports_no_heavy_library():
    code = ("import json, sys\nfrom homesim.bus import forkserver\nforkserver.preload()\n"
            "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))")
    env = {**os.environ, "HOMESIM_JIT": "0"}
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                           env=env).stdout))
    assert "homesim" in loaded and "autobahn" in loaded  # (it did preload)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
