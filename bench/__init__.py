"""Benchmarks and the chaos proving ground (bench/README.md), run from the repository root:
`python bench/propagation.py`, `python -m bench.chaos`."""
