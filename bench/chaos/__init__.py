"""The chaos proving ground, run as `python -m bench.chaos` from the repository root (see
`__main__.py` and bench/README.md, "Chaos").

- `__main__.py`: the command line and its exit codes
- `run.py`: one run, phase by phase; `drive.py`: traffic under the fault timeline; `settle.py`:
  after the faults, reconciliation and convergence; `report.py`: the JSON report
- `services.py`, `stack.py`: PostgreSQL, Redis and the processes; `faults.py`, `traffic.py`,
  `history.py`, `journal.py`: what is done to StoreSync and what is recorded
- `checks/`: the invariants, one module each
"""
