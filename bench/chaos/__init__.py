"""The proving ground's parts: services and processes, faults, traffic, history, invariants.

`bench/chaos.py` is the entry point; see its docstring and bench/README.md ("Chaos").
"""
