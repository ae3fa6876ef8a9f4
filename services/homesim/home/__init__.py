"""The home: its file, its model and its checks.

- :mod:`homesim.home.model`: the home file's pydantic models (:class:`Home`, :class:`Location`),
  loading, changing and the error messages that name a bad field;
- :mod:`homesim.home.files`: reading a home or finance file safely (YAML limits) and
  :class:`HomeFileError`.
- :mod:`homesim.home.consistency`: settings that make sense one device at a time but not together.
- :mod:`homesim.home.finance`: the ``finance:`` section (prices, rates, loan); what it pays back is
  :mod:`homesim.planning.finance`.

The names most callers need are importable from here (``from homesim.home import load_home``).
"""

from homesim.home.files import HomeFileError, check_yaml_size, parse_yaml, read_home_file
from homesim.home.model import (
    FIRST_START,
    LAST_START,
    Home,
    Location,
    describe_errors,
    free_id,
    home_from_dict,
    load_home,
    with_changes,
)

__all__ = ["FIRST_START", "LAST_START", "Home", "HomeFileError", "Location", "check_yaml_size", "describe_errors",
           "free_id", "home_from_dict", "load_home", "parse_yaml", "read_home_file", "with_changes"]
