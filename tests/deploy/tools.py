"""The real tools the deploy tier runs: promtool and amtool (Debian's `prometheus` and
`prometheus-alertmanager` packages, installed by scripts/tools) and Alertmanager itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import missing_service

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PACKAGE_OF = {
    "promtool": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


def tool(name: str) -> str:
    """The tool's path; without it, a skip locally and a failure with CI=true."""
    path = shutil.which(name)
    if path is None:
        missing_service(f"{name} (Debian package {PACKAGE_OF[name]}; scripts/tools installs it)")
    assert path is not None
    return path


def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run a tool; the result, whatever its exit code (the test says what it expects)."""
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
