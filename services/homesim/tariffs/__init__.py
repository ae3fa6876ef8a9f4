"""Utility tariffs: the native model (:mod:`.model`), the bill (:mod:`.bill`) and the OpenEI
Utility Rate Database's JSON layout (:mod:`.urdb`)."""
