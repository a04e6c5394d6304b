"""A day at internet scale, on paper: a discrete-event model (SimPy) of vidpipe and of the designs it replaces.

``python -m scale`` simulates one day of 1,000,000 uploads through each design and prints the table that
docs/scale.md quotes. Parameters and their sources: :mod:`scale.params`, :mod:`scale.sources`.
"""
