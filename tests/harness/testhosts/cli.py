"""Debian 12 test hosts on this machine: systemd-nspawn containers with systemd as PID 1 and real SSH.

The command line: ``python -m tests.harness.testhosts COMMAND ...`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from .config import BOOT_TIMEOUT, ROOTFS, TestHostError
from .host import parse_devices
from .lifecycle import all_up, down, start, status, stop, up
from .names import default_names
from .preflight import machine_problems, require_machine
from .rootfs import ensure_rootfs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.testhosts", description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="exit 0 if this machine can run test hosts")
    p_rootfs = sub.add_parser("rootfs", help=f"build the cached rootfs ({ROOTFS}) if missing or stale")
    p_rootfs.add_argument("--force", action="store_true", help="rebuild even if current")
    p_up = sub.add_parser("up", help="boot hosts and wait until SSH answers")
    p_up.add_argument("--run-dir", type=Path, required=True)
    p_up.add_argument("--count", type=int, help="boot N hosts with generated names")
    p_up.add_argument("names", nargs="*", metavar="NAME")
    p_up.add_argument("--no-apt-proxy", dest="apt_proxy", action="store_false",
                      help="do not serve apt-cacher-ng on the bridge")
    p_up.add_argument("--timeout", type=float, default=BOOT_TIMEOUT, help="seconds to wait for SSH")
    p_up.add_argument("--device", dest="devices", action="append", default=[], metavar="NAME=SRC[:DEST]",
                      help="bind this machine's block device SRC (e.g. a loop device) into host NAME, "
                           "seen there as DEST (default SRC); repeatable")
    for cmd in ("down", "status"):
        sub.add_parser(cmd).add_argument("--run-dir", type=Path, required=True)
    p_stop = sub.add_parser("stop", help="power one host off, keeping its disk")
    p_stop.add_argument("name")
    p_stop.add_argument("--run-dir", type=Path, required=True)
    p_start = sub.add_parser("start", help="boot a stopped host from its kept disk")
    p_start.add_argument("name")
    p_start.add_argument("--run-dir", type=Path, required=True)
    p_start.add_argument("--no-wait", dest="wait_ssh", action="store_false",
                         help="return once the host's init runs, without waiting for SSH")
    p_start.add_argument("--timeout", type=float, default=BOOT_TIMEOUT)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            problems = machine_problems()
            for problem in problems:
                print(f"cannot run test hosts: {problem}")
            return 1 if problems else 0
        if args.command == "rootfs":
            require_machine()
            print(ensure_rootfs(force=args.force))
        elif args.command == "up":
            if args.count is not None and args.names:
                raise TestHostError("give either --count or names, not both")
            names = args.names or default_names(args.run_dir, args.count or 1)
            hosts = up(args.run_dir, names, apt_proxy=args.apt_proxy, timeout=args.timeout,
                       devices=parse_devices(args.devices, names))
            print(json.dumps([asdict(h) for h in hosts], indent=2))
        elif args.command == "down":
            down(args.run_dir)
        elif args.command == "stop":
            stop(args.run_dir, args.name)
        elif args.command == "start":
            start(args.run_dir, args.name, wait_ssh=args.wait_ssh, timeout=args.timeout)
        elif args.command == "status":
            report = status(args.run_dir)
            print(json.dumps(report, indent=2))
            return 0 if all_up(report) else 1
    except (TestHostError, ValueError) as exc:
        print(f"testhosts: error: {exc}", file=sys.stderr)
        return 1
    return 0
