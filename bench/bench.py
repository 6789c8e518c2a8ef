"""`make bench`: performance figures, written to bench/out/*.json and printed as Markdown rows.

harden: converge time of the harden step (iptables, sshd, os_baseline) on 1 host and on 8 hosts at once,
        plus the idempotent re-run, and per host of that re-run the tasks Ansible ran and skipped,
        read from its PLAY RECAP (tasks_per_host). Goals (issue #7): 8 hosts at most 2.5x the
        1-host converge, the 1-host re-run at most 12 s, at most 40 tasks run per host on it.
        With --mitogen DIR (a directory holding the mitogen package, e.g. `pip install --target DIR
        mitogen`) the same runs again with its mitogen_linear strategy: optional, never required.
        harden-without-os_baseline: the 1-host runs again with os_baseline skipped (ANSIBLE_SKIP_TAGS),
        so the difference is what os_baseline costs (issue #13).
aws:    converge, no-op re-run and teardown time of the AWS steps against the emulator, with
        the API calls each made (reads/writes), and per step of the no-op re-run: reads, writes,
        managed resources (counted from the emulator after the converge, tests/harness/owned.py)
        and reads per resource (the collection's goal: at most 2, and zero writes). Step 4 runs with steps 2 and 3
        (it reads their facts); step 6 (edge: dns, cdn, s3_site) runs alone, and with iam and step 7 (services: codedeploy,
        thumbnails), through site.yml --tags edge / --tags iam,edge,services.

Figures go in bench/RESULTS.md by hand, with the date and machine; never in a timed test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.emulator import Emulator  # noqa: E402
from tests.harness.inventory import hosts_inventory  # noqa: E402
from tests.harness.owned import reads_per_resource, resources  # noqa: E402
from tests.harness.paths import REPO_ROOT  # noqa: E402
from tests.harness.playbook import run_playbook  # noqa: E402

OUT = REPO_ROOT / "bench" / "out"


def testhosts(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "tests.harness.testhosts", *args], cwd=REPO_ROOT, check=True,
                   capture_output=True, text=True)


def timed(fn):
    start = time.monotonic()
    result = fn()
    return result, round(time.monotonic() - start, 1)


def tasks_per_host(recap: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Per host of a PLAY RECAP: tasks run (ran = ok, which already counts the changed ones) and skipped."""
    return {host: {"ran": counts.get("ok", 0), "changed": counts.get("changed", 0),
                   "skipped": counts.get("skipped", 0)}
            for host, counts in sorted(recap.items())}


def mitogen_env(path: str) -> dict[str, str]:
    """Environment that runs a playbook with the mitogen_linear strategy from a mitogen install at path."""
    strategy = Path(path) / "ansible_mitogen" / "plugins" / "strategy"
    if not (strategy / "mitogen_linear.py").is_file():
        raise SystemExit(f"--mitogen {path}: no ansible_mitogen/plugins/strategy/mitogen_linear.py there")
    return {"PYTHONPATH": str(Path(path)), "ANSIBLE_STRATEGY_PLUGINS": str(strategy), "ANSIBLE_STRATEGY": "mitogen_linear"}


def bench_harden(counts: list[int], env: dict[str, str] | None = None, name: str = "harden") -> list[dict]:
    rows = []
    for count in counts:
        run_dir = OUT / f"{name}-{count}"
        try:
            boot = timed(lambda: testhosts("up", "--run-dir", str(run_dir), "--count", str(count)))[1]
            inventory = run_dir / "bench-inventory.json"
            hosts_inventory(run_dir, lambda _name: "ec2_hosts", inventory)
            runs = []
            for label in ("converge", "re-run"):
                result, seconds = timed(lambda: run_playbook(
                    REPO_ROOT / "playbooks" / "harden.yml", inventory=[REPO_ROOT / "inventories" / "sandbox", inventory],
                    env=env))
                if result.rc != 0:
                    raise RuntimeError(f"harden {label} on {count} hosts failed:\n{result}")
                (OUT / f"{name}-{count}-{label}.log").write_text(result.stdout)
                runs.append((label, seconds, result))
            rerun = tasks_per_host(runs[1][2].recap)
            rows.append({"bench": name, "hosts": count, "boot_s": boot,
                         **{f"{run[0]}_s": run[1] for run in runs},
                         "rerun_changed": runs[1][2].changed,
                         "rerun_max_ran_per_host": max((h["ran"] for h in rerun.values()), default=0),
                         "rerun_max_skipped_per_host": max((h["skipped"] for h in rerun.values()), default=0),
                         "rerun_tasks_per_host": rerun})
        finally:
            testhosts("down", "--run-dir", str(run_dir))
    if len(rows) == 2:
        rows[1]["ratio_to_1_host"] = round(rows[1]["converge_s"] / rows[0]["converge_s"], 2)
    return rows


def measured(emu, row: dict, what: str, label: str, run) -> tuple:
    """Run one playbook against the emulator; put its wall time and read/write counts in ``row`` under ``label``."""
    emu.reset_calls()
    result, seconds = timed(run)
    if result.rc != 0:
        raise RuntimeError(f"{what} failed:\n{result}")
    calls = emu.calls()
    row[f"{label}_s"] = seconds
    row[f"{label}_calls"] = f"{sum(c.is_read for c in calls)}r/{sum(c.is_write for c in calls)}w"
    return result, calls


def bench_aws(playbooks: list[str]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        emu = Emulator(Path(tmp)).start()
        try:
            env = emu.client_env()
            for name in playbooks:
                path = REPO_ROOT / "playbooks" / f"{name}.yml"
                if not path.exists():
                    continue
                row = {"bench": "aws", "step": name}
                labels = (("converge", {}), ("re-run", {}))
                if name != "preflight":  # preflight creates nothing to tear down
                    labels += (("teardown", {f"{name}_state": "absent"}),)
                for label, extra in labels:
                    extra = dict(extra, preflight_project_dir=tmp)  # preflight's secret scan: an empty dir
                    calls = measured(emu, row, f"{name} {label}", label, lambda: run_playbook(
                        path, inventory=REPO_ROOT / "inventories" / "sandbox", env=env, extra_vars=extra))[1]
                    if label == "converge":
                        owned = resources(emu, name)
                    if label == "re-run":
                        reads = sum(c.is_read for c in calls)
                        row.update(noop_reads=reads, noop_writes=sum(c.is_write for c in calls), resources=owned,
                                   reads_per_resource=reads_per_resource(reads, owned))
                rows.append(row)
        finally:
            emu.stop()
    return rows


def bench_steps(title: str, tags: list[str], steps: tuple[str, ...], extra: dict | None = None) -> list[dict]:
    """Steps that read each other's facts, run together: site.yml with their tags, converge and no-op re-run, then
    playbooks/teardown.yml for the same tags. ``steps`` name what tests/harness/owned.py counts as managed."""
    row = {"bench": "aws", "step": title}
    with tempfile.TemporaryDirectory() as tmp:
        emu = Emulator(Path(tmp)).start()
        try:
            env = emu.client_env()
            variables = dict({"preflight_project_dir": tmp, "iam_secret_dir": tmp,
                              "liftoff_teardown_confirm": "liftoff-demo"}, **(extra or {}))
            runs = (("converge", "site.yml"), ("re-run", "site.yml"), ("teardown", "playbooks/teardown.yml"))
            for label, playbook in runs:
                result, calls = measured(emu, row, f"{title} {label}", label, lambda: run_playbook(
                    REPO_ROOT / playbook, inventory=REPO_ROOT / "inventories" / "sandbox", env=env,
                    extra_vars=variables, tags=tags))
                if label == "converge":
                    owned = {step: resources(emu, step) for step in steps}
                if label == "re-run":
                    reads = sum(c.is_read for c in calls)
                    row.update(noop_changed=sum(h["changed"] for h in result.recap.values()), noop_reads=reads,
                               noop_writes=sum(c.is_write for c in calls), resources=owned,
                               reads_per_resource=reads_per_resource(reads, sum(owned.values())))
        finally:
            emu.stop()
    return [row]


def bench_compute() -> list[dict]:
    """Step 4 needs steps 2 and 3 in the same run (it reads their facts)."""
    return bench_steps("iam+network+compute (site.yml --tags)", ["iam", "network", "compute"],
                       ("iam", "network", "compute", "autoscaling", "alarms"), {"ec2_host_delete_data": True})


def bench_edge() -> list[dict]:
    """Step 6 alone (the app's record left out: it needs step 4's load balancer); its teardown empties the buckets."""
    return bench_steps("edge (site.yml --tags edge)", ["edge"], ("dns", "cdn", "s3_site"),
                       {"dns_app_name": "", "s3_site_force": True})


def bench_services() -> list[dict]:
    """Step 7 after the steps it needs: iam (the function's role) and edge (the upload bucket the function reads);
    without step 4's auto scaling group and target group for CodeDeploy. The teardown deletes every bucket."""
    return bench_steps("iam+edge+services (site.yml --tags iam,edge,services)", ["iam", "edge", "services"],
                       ("iam", "dns", "cdn", "s3_site", "codedeploy", "thumbnails"),
                       {"dns_app_name": "", "s3_site_force": True, "codedeploy_auto_scaling_groups": [],
                        "codedeploy_target_group_names": [], "codedeploy_force": True, "thumbnails_force": True})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["harden", "aws"])
    parser.add_argument("--mitogen", metavar="DIR", help="also run harden with mitogen_linear from this mitogen install")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    if args.only in (None, "aws"):
        rows += bench_aws(["preflight", "iam", "network"])
        rows += bench_compute()
        rows += bench_edge()
        rows += bench_services()
    if args.only in (None, "harden"):
        rows += bench_harden([1, 8])
        rows += bench_harden([1], env={"ANSIBLE_SKIP_TAGS": "os_baseline"}, name="harden-without-os_baseline")
        if args.mitogen:
            rows += bench_harden([1, 8], env=mitogen_env(args.mitogen), name="harden-mitogen")
    (OUT / "results.json").write_text(json.dumps(rows, indent=2))
    for row in rows:
        print("| " + " | ".join(f"{k}={v}" for k, v in row.items()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
