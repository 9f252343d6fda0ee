"""Run every benchmark script; `--quick` for CI (fewer runs, report only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    extra = sys.argv[1:]
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.stem}", flush=True)
        code = subprocess.run([sys.executable, str(script), *extra], cwd=HERE).returncode
        if code != 0:
            failed.append(script.stem)
    if failed:
        print(f"benchmarks with missed targets or errors: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
