"""Errors shared by the command line and the modules it drives."""


class BadInput(Exception):
    """A problem with what the user gave; printed as is, exit status 2."""
