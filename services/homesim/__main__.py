import sys

from homesim.cli import main

sys.exit(main())
