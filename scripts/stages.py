"""`make test`'s driver: run each stage as `make <target>`, then print what each one cost.

Stages run in the order given and stop at the first failure; the table of wall times is printed
either way (and written to .cache/stage-times.json), so every change can see what it adds to CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULT_FILE = REPO_ROOT / ".cache" / "stage-times.json"


def fmt_seconds(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def table(rows: list[dict]) -> str:
    """A Markdown table of stage, result, wall time; a total row at the end."""
    width = max([len("stage"), len("total")] + [len(r["stage"]) for r in rows])
    lines = [f"| {'stage':<{width}} | result | wall    |", f"|{'-' * (width + 2)}|--------|---------|"]
    for row in rows:
        lines.append(f"| {row['stage']:<{width}} | {row['result']:<6} | {fmt_seconds(row['seconds']):>7} |")
    total = sum(r["seconds"] for r in rows)
    lines.append(f"| {'total':<{width}} |        | {fmt_seconds(total):>7} |")
    return "\n".join(lines)


def run_stages(targets: list[str], runner=None) -> tuple[int, list[dict]]:
    """Run `make <target>` for each target until one fails; return (exit code, rows)."""
    runner = runner or (lambda target: subprocess.run(
        [os.environ.get("MAKE", "make"), "--no-print-directory", target], cwd=REPO_ROOT, check=False).returncode)
    rows = []
    for target in targets:
        print(f"== stage {target}", flush=True)
        start = time.monotonic()
        rc = runner(target)
        rows.append({"stage": target, "result": "ok" if rc == 0 else f"rc={rc}", "seconds": time.monotonic() - start})
        if rc != 0:
            return rc, rows
    return 0, rows


def main(argv: list[str]) -> int:
    rc, rows = run_stages(argv)
    RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text(json.dumps(rows, indent=2) + "\n")
    skipped = argv[len(rows):]
    print("\nmake test: wall time per stage" + (f" (not run after the failure: {', '.join(skipped)})" if skipped else ""))
    print(table(rows), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
