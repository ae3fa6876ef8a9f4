"""The live runtime: every device its own process on a WAMP bus through a Crossbar router.

The device models are the ones the fast-forward engine runs; only the transport differs.
"""
