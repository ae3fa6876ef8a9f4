"""``python -m homesim.cli``: the same as the ``homesim`` command."""

import sys

from homesim.cli import main

sys.exit(main())
