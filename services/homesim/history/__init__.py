"""A home's measured history: read from the files people have, cleaned onto a regular grid,
and used to calibrate a twin of the home (issue 26).

The shared shape is :class:`homesim.history.series.History`: mean powers [W] and the battery's
state of charge [0..1] on a regular grid of ``step_s`` seconds, NaN where the data has a gap,
with a :class:`~homesim.history.series.Quality` report of what was read, fixed and dropped.
"""
