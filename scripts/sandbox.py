"""`make sandbox` / `make sandbox-down`: the embedded default environment.

up:   start (or reuse) the AWS emulator on a free loopback port, boot local test hosts for the
      droplet and the EC2 hosts when this machine can, run site.yml against all of it, and print
      a short summary of what exists. Running it again re-runs site.yml against the same
      emulator and hosts: that is how you see idempotence (changed=0).
down: stop everything `up` started, by PID, and remove the hosts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.emulator import DUMMY_KEY_ID, DUMMY_SECRET, Emulator  # noqa: E402
from tests.harness.inventory import hosts_inventory  # noqa: E402
from tests.harness.paths import REPO_ROOT  # noqa: E402
from tests.harness.playbook import ansible_env, parse_recap  # noqa: E402
from scripts.host_setup import ensure_host_packages  # noqa: E402

STATE = REPO_ROOT / ".sandbox"
HOSTS_DIR = STATE / "hosts"
REGION = "eu-west-1"
# Test hosts: name -> inventory group they stand in for.
SANDBOX_HOSTS = {"droplet": "droplet", "web1": "ec2_hosts"}
HOST_STEPS = "step 5 harden: iptables, sshd, os_baseline"


def say(msg: str) -> None:
    print(f"[sandbox] {msg}", flush=True)


def start_emulator() -> Emulator:
    emu = Emulator.attach(STATE)
    if emu is not None:
        if not emu.wait_ready():
            raise SystemExit(f"[sandbox] the emulator (pid {emu.pid}) does not answer at {emu.endpoint}: make sandbox-down, then retry")
        say(f"AWS emulator already running at {emu.endpoint} (pid {emu.pid})")
        return emu
    emu = Emulator(STATE).start()
    say(f"AWS emulator started at {emu.endpoint} (pid {emu.pid})")
    return emu


def write_env(emu: Emulator) -> dict[str, str]:
    env = {
        "AWS_ENDPOINT_URL": emu.endpoint,
        "AWS_ACCESS_KEY_ID": DUMMY_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    (STATE / "env").write_text("".join(f"export {k}={v}\n" for k, v in env.items()))
    return env


def testhosts(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.harness.testhosts", *args],
        cwd=REPO_ROOT, text=True, capture_output=True, check=check,
    )


def skipped(reason: str, fix: str) -> None:
    say(f"host steps SKIPPED ({HOST_STEPS} on {', '.join(SANDBOX_HOSTS)}): {reason}.")
    say(f"  the AWS steps still run; to run the host steps too: {fix}")


def start_hosts() -> Path | None:
    """Boot the stand-in hosts; return an inventory file for them, or None with the reason said."""
    setup = ensure_host_packages(say)
    if not setup.ready:
        skipped(setup.reason, setup.fix)
        return None
    probe = testhosts("check", check=False)
    if probe.returncode != 0:
        reason = (probe.stdout + probe.stderr).strip() or "unknown"
        skipped(f"this machine cannot boot test hosts ({reason})",
                "sudo make sandbox" if os.geteuid() != 0 else "fix the problem above, then make sandbox")
        return None
    status = testhosts("status", "--run-dir", str(HOSTS_DIR), check=False)
    if status.returncode != 0:
        say(f"booting test hosts {', '.join(SANDBOX_HOSTS)} (first run builds a Debian rootfs, ~2 min)")
        up = testhosts("up", "--run-dir", str(HOSTS_DIR), *SANDBOX_HOSTS, check=False)
        if up.returncode != 0:
            say(f"host steps SKIPPED: booting test hosts failed:\n{up.stdout}{up.stderr}")
            return None
    path = STATE / "hosts-inventory.json"
    for host in hosts_inventory(HOSTS_DIR, SANDBOX_HOSTS.get, path):
        say(f"host {host['name']} ({host['group']}) at {host['address']} / {host.get('address6', '-')}")
    return path


def run_site(env: dict[str, str], host_inventory: Path | None, extra: list[str]) -> int:
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "site.yml", "-i", "inventories/sandbox"]
    if host_inventory is not None:
        cmd += ["-i", str(host_inventory)]
    cmd += extra
    say("running: " + " ".join(cmd))
    run_env = ansible_env(env)
    run_env.pop("ANSIBLE_NOCOLOR")
    run_env.pop("ANSIBLE_FORCE_COLOR")
    log = STATE / "last-run.log"
    with subprocess.Popen(cmd, cwd=REPO_ROOT, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, stdin=subprocess.DEVNULL) as proc, open(log, "w") as out:
        for line in proc.stdout:
            sys.stdout.write(line)
            out.write(line)
    recap = parse_recap(log.read_text())
    changed = sum(h.get("changed", 0) for h in recap.values())
    failed = sum(h.get("failed", 0) + h.get("unreachable", 0) for h in recap.values())
    say(f"site.yml finished: rc={proc.returncode}, changed={changed}, failed={failed} (log: {log.relative_to(REPO_ROOT)})")
    return proc.returncode


def summary(emu: Emulator) -> None:
    """What exists in the emulator, per deployment step."""
    sts = emu.client("sts", REGION)
    ident = sts.get_caller_identity()
    say(f"account {ident['Account']} region {REGION} as {ident['Arn']}")
    counts = {}
    iam = emu.client("iam", REGION)
    ec2 = emu.client("ec2", REGION)
    s3 = emu.client("s3", REGION)
    counts["iam"] = {
        "users": len(iam.list_users()["Users"]),
        "groups": len(iam.list_groups()["Groups"]),
        "roles": len([r for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")]),
    }
    counts["network"] = {
        "vpcs": len([v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]),
        "security groups": len([g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]),
    }
    live = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    cloudwatch = emu.client("cloudwatch", REGION)
    autoscaling = emu.client("autoscaling", REGION)
    counts["compute"] = {
        "instances": sum(len(r["Instances"]) for r in ec2.describe_instances(Filters=live)["Reservations"]),
        "data volumes": len(ec2.describe_volumes(Filters=[{"Name": "tag:liftoff:purpose", "Values": ["data"]}])["Volumes"]),
        "elastic ips": len(ec2.describe_addresses()["Addresses"]),
        "auto scaling groups": len(autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]),
        "alarms": len(cloudwatch.describe_alarms()["MetricAlarms"]),
    }
    route53 = emu.client("route53", REGION)
    zones = route53.list_hosted_zones()["HostedZones"]
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    site = [b for b in buckets if b.endswith("-site")]
    cloudfront = emu.client("cloudfront", "us-east-1")
    counts["edge"] = {"buckets": len(buckets), "site files": sum(s3.list_objects_v2(Bucket=b)["KeyCount"] for b in site),
                      "distributions": len(cloudfront.list_distributions()["DistributionList"].get("Items", [])),
                      "hosted zones": len(zones), "record sets": sum(z.get("ResourceRecordSetCount", 0) for z in zones)}
    codedeploy = emu.client("codedeploy", REGION)
    applications = codedeploy.list_applications()["applications"]
    counts["services"] = {"codedeploy applications": len(applications),
                          "deployment groups": sum(len(codedeploy.list_deployment_groups(applicationName=a)["deploymentGroups"])
                                                   for a in applications),
                          "lambda functions": len(emu.client("lambda", REGION).list_functions()["Functions"])}
    for step, items in counts.items():
        say(f"  {step:8} " + ", ".join(f"{name}: {n}" for name, n in items.items()))
    say("explore: source .sandbox/env && aws --endpoint-url \"$(cat .sandbox/endpoint)\" s3 ls")


def up(extra: list[str]) -> int:
    STATE.mkdir(exist_ok=True)
    emu = start_emulator()
    env = write_env(emu)
    host_inventory = start_hosts()
    emu.reset_calls()
    rc = run_site(env, host_inventory, extra)
    calls = emu.calls()
    writes = [str(c) for c in calls if c.is_write]
    kinds = sorted(set(writes))
    say(f"AWS API calls during this run: {len(calls) - len(writes)} reads, {len(writes)} writes"
        + (f" ({', '.join(kinds[:8])}{', ...' if len(kinds) > 8 else ''})" if writes else ""))
    summary(emu)
    return rc


def down() -> int:
    emu = Emulator.attach(STATE)
    if emu is not None:
        emu.stop()
        say(f"AWS emulator stopped (pid file {STATE / 'moto.pid'})")
    else:
        (STATE / "moto.pid").unlink(missing_ok=True)
        say("AWS emulator was not running")
    if (HOSTS_DIR / "hosts.json").exists():
        result = testhosts("down", "--run-dir", str(HOSTS_DIR), check=False)
        say("test hosts stopped" if result.returncode == 0 else f"stopping test hosts failed:\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            return 1
    for name in ("endpoint", "env", "hosts-inventory.json"):
        (STATE / name).unlink(missing_ok=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("ansible_args", nargs=argparse.REMAINDER, help="passed to ansible-playbook (up)")
    args = parser.parse_args()
    os.chdir(REPO_ROOT)
    return up(args.ansible_args) if args.action == "up" else down()


if __name__ == "__main__":
    sys.exit(main())
