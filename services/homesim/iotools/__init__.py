"""Readers of files people already have (weather files), apart from the models that use them."""
