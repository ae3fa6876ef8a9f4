"""homesim: a home energy simulator. Every device a model; the ledger exact to the Joule."""

__version__ = "0.1.0"
