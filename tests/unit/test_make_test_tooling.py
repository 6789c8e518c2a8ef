"""The tooling around `make test` and `make sandbox`: the one Debian package list, the sandbox's
decision to install it or to say what it skipped, and the per-stage timing table."""

from __future__ import annotations

import subprocess

from scripts import host_setup, stages
from tests.harness.paths import REPO_ROOT


def test_ci_installs_exactly_the_package_list():
    """.ci/run and make sandbox read the same file: run CI's own extraction and compare."""
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "scripts/debian-packages.txt" in ci
    for name in host_setup.host_packages():
        assert f" {name} " not in ci.replace("\n", " "), f".ci/run names {name} itself instead of reading the list"
    line = next(raw for raw in ci.splitlines() if "mapfile" in raw and "debian-packages.txt" in raw)
    script = line.strip() + '\nprintf "%s\\n" "${host_packages[@]}"\n'
    out = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == host_setup.host_packages()
    assert {"systemd-container", "debootstrap", "apt-cacher-ng", "iptables"} <= set(host_setup.host_packages())


def test_package_list_parsing_ignores_comments_and_duplicates():
    text = "# a comment\nrsync\n\n  debootstrap  # trailing\nrsync\n"
    assert host_setup.read_package_list(text) == ["rsync", "debootstrap"]


def test_os_release_detection():
    debian = host_setup.parse_os_release('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')
    ubuntu = host_setup.parse_os_release("ID=ubuntu\nID_LIKE=debian\n")
    mint = host_setup.parse_os_release('ID=linuxmint\nID_LIKE="ubuntu debian"\n')
    fedora = host_setup.parse_os_release('ID=fedora\n')
    assert host_setup.is_debian_like(debian) and host_setup.is_debian_like(ubuntu) and host_setup.is_debian_like(mint)
    assert not host_setup.is_debian_like(fedora)


def test_dpkg_query_parsing_counts_only_installed():
    out = "rsync installed\ndebootstrap config-files\niptables:amd64 installed\n"
    assert host_setup.installed_from_dpkg_query(out) == {"rsync", "iptables"}


def test_plan_installs_as_root_on_debian():
    decision = host_setup.plan(["debootstrap"], is_root=True, debian_like=True)
    assert not decision.ready and decision.installed == ["debootstrap"]


def test_plan_without_root_names_the_one_command():
    decision = host_setup.plan(["debootstrap", "systemd-container"], is_root=False, debian_like=True)
    assert not decision.ready and decision.installed == []
    assert "debootstrap systemd-container" in decision.reason
    assert decision.fix == "sudo make sandbox"


def test_plan_elsewhere_lists_what_to_install():
    decision = host_setup.plan(["debootstrap"], is_root=True, debian_like=False)
    assert not decision.ready and decision.installed == [] and "debootstrap" in decision.fix


def test_plan_nothing_missing_is_ready():
    assert host_setup.plan([], is_root=False, debian_like=False).ready


def test_stages_stop_at_the_first_failure_and_time_what_ran():
    ran = []

    def runner(target):
        ran.append(target)
        return 2 if target == "sanity" else 0

    rc, rows = stages.run_stages(["yamllint", "sanity", "pytest"], runner)
    assert rc == 2 and ran == ["yamllint", "sanity"]
    assert [(r["stage"], r["result"]) for r in rows] == [("yamllint", "ok"), ("sanity", "rc=2")]
    text = stages.table(rows)
    assert "| yamllint" in text and "| sanity" in text and "rc=2" in text and "| total" in text
    assert "pytest" not in text


def test_stage_times_are_readable():
    assert stages.fmt_seconds(7.4) == "7s"
    assert stages.fmt_seconds(125) == "2m05s"


def test_make_test_runs_every_molecule_scenario_as_a_stage():
    out = subprocess.run(["make", "-n", "-s", "test"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    line = next(raw for raw in out.splitlines() if "scripts/stages.py" in raw)
    scenarios = sorted(p.parent.name for p in (REPO_ROOT / "molecule").glob("*/molecule.yml"))
    assert scenarios, "no molecule scenarios found"
    for name in ["yamllint", "ansible-lint", "sanity", "pytest", "build"] + [f"molecule-{s}" for s in scenarios]:
        assert f" {name}" in line, f"make test does not run stage {name}"
