"""The os_baseline role: its files rendered per OS by Ansible's templar, its filters and its input checks.

The templates are rendered the way tests/unit/test_sshd_config.py renders the sshd drop-in: the role's
defaults and vars/main.yml, the OS settings through liftoff.aws.os_settings (``__os_baseline_os``), a host
read from a fake probe output (``__os_baseline_host``), and the planned values (``__os_baseline_sysctl_plan``,
``__os_baseline_ignoreip``, ``__os_baseline_origins``, ``__os_baseline_window``) templated from the very
expressions the role's tasks use.
"""

from __future__ import annotations

import hashlib

import configparser
import ipaddress
import re
import shutil
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.liftoff.aws.plugins.filter import os_baseline as ob
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report
from ansible_collections.liftoff.aws.plugins.lookup.os_settings import os_settings
from tests.harness.paths import REPO_ROOT
from tests.unit.test_roles_contract import PLATFORM_FACTS  # the facts of every platform the host roles claim

ROLE_PATH = REPO_ROOT / "roles" / "os_baseline"
TEMPLATES = ROLE_PATH / "templates"
SPEC = yaml.safe_load((ROLE_PATH / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]

PLATFORMS = sorted(PLATFORM_FACTS)
APT_PLATFORMS = [p for p in PLATFORMS if p[0] != "Amazon"]
DEBIAN = ("Debian", "bookworm")
UBUNTU = ("Ubuntu", "noble")
CONTROLLER = "10.0.0.5 51234 10.0.0.9 22"
ADMINS = ["198.51.100.0/24", "2001:db8:aa::/48", "203.0.113.7"]


def _load(path) -> dict:
    return DataLoader().load_from_file(str(path), trusted_as_template=True) or {}


def facts(platform, arch="x86_64") -> dict:
    dist, release = platform
    return {"distribution": dist, "distribution_release": release, "distribution_version": release,
            **PLATFORM_FACTS[platform], "architecture": arch}


def os_vars(platform) -> dict:
    return os_settings(str(ROLE_PATH), facts(platform))


ROLE_VARS = _load(ROLE_PATH / "vars" / "main.yml")
# The keys the probe asks about (tasks/probe.yml): the network and kernel sets and the router advertisement keys.
PROBED_KEYS = sorted(set(ROLE_VARS["__os_baseline_sysctl_network"]) | set(ROLE_VARS["__os_baseline_sysctl_kernel"])
                     | set(ROLE_VARS["__os_baseline_accept_ra_keys"]))


def probe_output(sysctl=None, container="none", ra="0", packages=("openssh-server",), mounts=(), services=(),
                 originals=(), state=(), installed=(), kept=(), existing=(), group="", ssh=CONTROLLER, end=True) -> str:
    """What tasks/probe.yml prints: each section after its marker line."""
    if sysctl is None:
        sysctl = ["%s\trw\t0" % key for key in PROBED_KEYS]
    sections = [("container", [container]), ("ra", [ra]), ("sysctl", list(sysctl)), ("packages", list(packages)),
                ("mounts", list(mounts)), ("services", list(services)), ("originals", list(originals)),
                ("state", list(state)), ("installed", list(installed)), ("kept-sysctls", list(kept)),
                ("existing", list(existing)), ("group", [group] if group else []), ("ssh-connection", [ssh] if ssh else [])]
    lines = []
    for name, body in sections:
        lines.append("##liftoff:" + name)
        lines.extend(body)
    if end:
        lines.append("##liftoff:end")
    return "\n".join(lines) + "\n"


def sysctl_probe(ro=(), missing=(), live=None) -> list[str]:
    live = live or {}
    out = []
    for key in PROBED_KEYS:
        if key in missing:
            out.append("%s\tmissing\t" % key)
        else:
            out.append("%s\t%s\t%s" % (key, "ro" if key in ro else "rw", live.get(key, "0")))
    return out


PLAN = ("__os_baseline_sysctl_plan", "__os_baseline_ignoreip", "__os_baseline_origins", "__os_baseline_window",
        "__os_baseline_missing_packages")


def variables(platform=DEBIAN, arch="x86_64", probe=None, plan=True, **overrides) -> dict:
    """The role's variables for one host, with the plan (vars/main.yml) templated as the tasks read it."""
    values = {}
    values.update(_load(ROLE_PATH / "defaults" / "main.yml"))
    values.update(ROLE_VARS)
    values.update({"ansible_managed": "Ansible managed", "ansible_facts": facts(platform, arch), "ansible_check_mode": False,
                   "__os_baseline_os": os_vars(platform), "role_path": str(ROLE_PATH),
                   "__os_baseline_host": ob.os_baseline_host_facts(probe if probe is not None else probe_output())})
    values.update(overrides)
    templar = Templar(loader=DataLoader(), variables=values)
    for name in PLAN if plan else ():
        if name not in overrides:
            values[name] = templar.template(values[name])
    return values


def template(expression: str, **kwargs):
    values = variables(**kwargs)
    return Templar(loader=DataLoader(), variables=values).template(trust_as_template(expression))


def render(name: str, platform=DEBIAN, arch="x86_64", probe=None, **overrides) -> str:
    values = variables(platform, arch, probe, **overrides)
    return Templar(loader=DataLoader(), variables=values).template(trust_as_template((TEMPLATES / name).read_text()))


def body(text: str, comment="#") -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(comment)]


# ---------------------------------------------------------------------------------------------------------------
# OS options


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_resolves_its_os_options(platform):
    options = {name: template("{{ %s }}" % name, platform=platform) for name in (
        "os_baseline_fail2ban_packages", "os_baseline_updates_packages", "os_baseline_auditd_packages",
        "os_baseline_login_packages", "os_baseline_time_sync_packages", "os_baseline_time_sync_service",
        "os_baseline_legacy_packages")}
    for name, value in options.items():
        assert value, "%s is empty on %s" % (name, platform)
    amazon = platform[0] == "Amazon"
    assert ("dnf-automatic" in options["os_baseline_updates_packages"]) is amazon
    assert ("unattended-upgrades" in options["os_baseline_updates_packages"]) is not amazon
    assert options["os_baseline_auditd_packages"] == (["audit"] if amazon else ["auditd"])
    assert options["os_baseline_time_sync_packages"] == (["chrony"] if amazon else ["systemd-timesyncd"])
    assert options["os_baseline_time_sync_service"] == ("chronyd" if amazon else "systemd-timesyncd")
    tool = os_vars(platform)["__os_baseline_tool"]
    assert tool == ("dnf" if amazon else "apt")
    # tasks/present.yml includes updates_<tool>.yml
    assert (ROLE_PATH / "tasks" / ("updates_%s.yml" % tool)).is_file()


@pytest.mark.parametrize("platform", APT_PLATFORMS)
def test_apt_platforms_update_from_their_security_archive_only(platform):
    origins = template("{{ os_baseline_updates_origins }}", platform=platform)
    assert origins
    if platform[0] == "Debian":
        assert all("label=Debian-Security" in origin for origin in origins)
    else:
        assert any("archive=${distro_codename}-security" in origin for origin in origins)
        assert all("-security" in origin for origin in origins)
    assert not any("-updates" in origin for origin in origins)


def test_the_feature_packages_follow_the_host():
    debian = template("{{ __os_baseline_feature_packages }}")
    assert debian["auditd"] == ["auditd"] and debian["time_sync"] == ["systemd-timesyncd"]
    assert "fail2ban" in debian["fail2ban"]
    # a container has no kernel audit; another time daemon already installed is left alone
    other = template("{{ __os_baseline_feature_packages }}", probe=probe_output(container="lxc", packages=["chrony"]))
    assert other["auditd"] == [] and other["time_sync"] == []
    off = template("{{ __os_baseline_feature_packages }}", os_baseline_fail2ban=False, os_baseline_updates=False)
    assert off["fail2ban"] == [] and off["updates"] == []


# ---------------------------------------------------------------------------------------------------------------
# sysctl.conf

SYSCTL_LINE = re.compile(r"^-?[A-Za-z0-9_][A-Za-z0-9_.@/-]* = \S(.*\S)?$")


def parse_sysctl(text: str) -> dict:
    written = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(("#", ";")):
            continue
        assert SYSCTL_LINE.match(line), "not sysctl.conf syntax: %r" % line
        key, value = line.split(" = ", 1)
        assert key not in written, "%s written twice" % key
        written[key] = value
    return written


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sysctl_file_writes_the_hardening_set(platform):
    text = render("sysctl.conf.j2", platform=platform)
    written = parse_sysctl(text)
    for key, value in {"net.ipv4.conf.all.rp_filter": "1", "net.ipv4.tcp_syncookies": "1", "kernel.kptr_restrict": "2",
                       "net.ipv4.conf.all.accept_redirects": "0", "kernel.yama.ptrace_scope": "1",
                       "fs.suid_dumpable": "0", "net.ipv6.conf.all.accept_ra": "0"}.items():
        assert written[key] == value, key
    assert "Not set on this host" not in text


def test_sysctl_file_writes_only_writable_keys_and_lists_the_others():
    probe = probe_output(container="docker", sysctl=sysctl_probe(
        ro=("kernel.kptr_restrict", "kernel.sysrq"), missing=("net.core.bpf_jit_harden",)))
    values = variables(probe=probe)
    text = render("sysctl.conf.j2", probe=probe)
    written = parse_sysctl(text)
    assert written == {k: str(v) for k, v in values["__os_baseline_sysctl_plan"]["write"].items()}
    assert {"kernel.kptr_restrict", "kernel.sysrq", "net.core.bpf_jit_harden"}.isdisjoint(written)
    assert "net.ipv4.tcp_syncookies" in written
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert "#   kernel.kptr_restrict: read-only on this host (a container?)" in comments
    assert "#   kernel.sysrq: read-only on this host (a container?)" in comments
    assert "#   net.core.bpf_jit_harden: not on this host (kernel or module lacks it)" in comments
    # what the report lists is what the file lists
    assert sorted(i["key"] for i in values["__os_baseline_sysctl_plan"]["skipped"]) == [
        "kernel.kptr_restrict", "kernel.sysrq", "net.core.bpf_jit_harden"]


@pytest.mark.parametrize("setting,ra,accept_ra_written", [
    ("auto", "0", True),    # no RA default route: turned off
    ("auto", "1", False),   # the IPv6 default route came from an RA (EC2 with IPv6): kept
    ("true", "0", False),
    ("false", "1", True),
])
def test_router_advertisements_are_kept_only_when_needed(setting, ra, accept_ra_written):
    written = parse_sysctl(render("sysctl.conf.j2", probe=probe_output(ra=ra), os_baseline_ipv6_router_advertisements=setting))
    for key in ("net.ipv6.conf.all.accept_ra", "net.ipv6.conf.default.accept_ra"):
        assert (written.get(key) == "0") is accept_ra_written, key
        assert (key in written) is accept_ra_written, key


def test_sysctl_extra_wins_skip_removes_rp_filter_follows_the_setting():
    probe = probe_output(sysctl=sysctl_probe() + ["vm.swappiness\trw\t60", "net.ipv4.tcp_rmem\trw\t4096 131072 6291456"])
    written = parse_sysctl(render(
        "sysctl.conf.j2", probe=probe, os_baseline_rp_filter=2,
        os_baseline_sysctl_extra={"kernel.sysrq": 4, "vm.swappiness": 10, "net.ipv4.tcp_rmem": "4096  87380\t6291456"},
        os_baseline_sysctl_skip=["kernel.dmesg_restrict"]))
    assert written["net.ipv4.conf.all.rp_filter"] == "2" and written["net.ipv4.conf.default.rp_filter"] == "2"
    assert written["kernel.sysrq"] == "4"
    assert written["vm.swappiness"] == "10"
    assert written["net.ipv4.tcp_rmem"] == "4096 87380 6291456"
    assert "kernel.dmesg_restrict" not in written


def test_sysctl_off_writes_nothing():
    assert parse_sysctl(render("sysctl.conf.j2", os_baseline_sysctl=False)) == {}


# ---------------------------------------------------------------------------------------------------------------
# fail2ban


def parse_ini(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True)
    parser.read_string(text)
    return parser


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_sshd_jail(platform):
    jail = parse_ini(render("fail2ban_jail.local.j2", platform=platform, liftoff_admin_sources=ADMINS))
    assert jail.sections() == ["sshd"]
    sshd = jail["sshd"]
    assert sshd.getboolean("enabled") is True
    assert sshd["backend"] == "systemd"
    assert sshd["filter"] == "sshd"
    assert sshd["banaction"] == "iptables-multiport"
    assert sshd["port"] == "22"
    assert (sshd.getint("maxretry"), sshd.getint("findtime"), sshd.getint("bantime")) == (5, 600, 3600)
    assert "_COMM=sshd-session" in sshd["journalmatch"]  # OpenSSH 9.8+ logs from sshd-session
    ignore = sshd["ignoreip"].split()
    assert ignore[:2] == ["127.0.0.0/8", "::1"]
    assert set(ignore) == {"127.0.0.0/8", "::1", "198.51.100.0/24", "2001:db8:aa::/48", "203.0.113.7", "10.0.0.5"}
    assert len(ignore) == len(set(ignore))


@pytest.mark.parametrize("overrides,port", [
    ({"sshd_listen_ports": [22, 2222]}, "22,2222"),
    ({"liftoff_ssh_port": 2222}, "2222"),
    ({"sshd_listen_ports": [2200], "liftoff_ssh_port": 22}, "2200"),
    ({"os_baseline_fail2ban_ports": [443]}, "443"),
])
def test_the_jail_watches_the_ports_sshd_listens_on(overrides, port):
    assert parse_ini(render("fail2ban_jail.local.j2", **overrides))["sshd"]["port"] == port


def test_the_jail_ignores_the_controller_only_when_asked():
    jail = render("fail2ban_jail.local.j2", os_baseline_fail2ban_ignore_controller=False,
                  os_baseline_fail2ban_ignoreip=["192.0.2.9/32", "192.0.2.9"], os_baseline_fail2ban_maxretry=3)
    sshd = parse_ini(jail)["sshd"]
    assert sshd["ignoreip"].split() == ["127.0.0.0/8", "::1", "192.0.2.9"]
    assert sshd["maxretry"] == "3"


def test_fail2ban_global_setting_bans_ipv6_too():
    conf = parse_ini(render("fail2ban.local.j2"))
    assert conf.sections() == ["Definition"]
    assert dict(conf["Definition"]) == {"allowipv6": "auto"}


# ---------------------------------------------------------------------------------------------------------------
# unattended-upgrades


def apt_statements(text: str) -> list[str]:
    """Check apt.conf syntax: balanced braces, every statement ends with ';'. Returns the statements."""
    depth, statements = 0, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("#"):
            assert re.match(r"^#clear [A-Za-z:-]+;$", line), "bad apt.conf directive %r" % line
            statements.append(line)
            continue
        if line.endswith("{"):
            assert re.match(r'^[A-Za-z][A-Za-z0-9:-]* \{$', line), line
            depth += 1
        elif line == "};":
            depth -= 1
            assert depth >= 0, "unbalanced braces"
        else:
            assert line.endswith(";"), "statement without ';': %r" % line
            assert line.count('"') % 2 == 0, "unbalanced quotes: %r" % line
        statements.append(line)
    assert depth == 0, "unbalanced braces"
    return statements


def origins_block(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("Unattended-Upgrade::Origins-Pattern {")
    end = lines.index("};", start)
    return [re.match(r'^\s*"(.*)";$', line).group(1) for line in lines[start + 1:end]]


@pytest.mark.parametrize("platform", APT_PLATFORMS)
def test_unattended_upgrades_security_only_by_default(platform):
    text = render("apt_unattended.conf.j2", platform=platform)
    statements = apt_statements(text)
    origins = origins_block(text)
    assert origins == os_vars(platform)["os_baseline_updates_origins"]
    if platform[0] == "Debian":
        assert origins and all("label=Debian-Security" in o for o in origins)
    else:
        assert "origin=Ubuntu,archive=${distro_codename}-security,label=Ubuntu" in origins
    assert not any("-updates" in o for o in origins)
    # the distribution's own lists are cleared before ours is set
    pattern = statements.index("Unattended-Upgrade::Origins-Pattern {")
    assert statements.index("#clear Unattended-Upgrade::Origins-Pattern;") < pattern
    assert statements.index("#clear Unattended-Upgrade::Allowed-Origins;") < pattern
    assert 'APT::Periodic::Unattended-Upgrade "1";' in statements
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in statements
    assert not any("Automatic-Reboot-Time" in s or "Automatic-Reboot-WithUsers" in s for s in statements)
    assert not any("Unattended-Upgrade::Mail" in s for s in statements)


@pytest.mark.parametrize("platform", APT_PLATFORMS)
def test_unattended_upgrades_all_updates_when_not_security_only(platform):
    text = render("apt_unattended.conf.j2", platform=platform, os_baseline_updates_security_only=False)
    apt_statements(text)
    origins = origins_block(text)
    updates = [o for o in origins if "${distro_codename}-updates" in o]
    assert len(updates) == 1
    assert origins[:len(os_vars(platform)["os_baseline_updates_origins"])] == os_vars(platform)["os_baseline_updates_origins"]


@pytest.mark.parametrize("platform", APT_PLATFORMS)
def test_unattended_upgrades_reboot_and_mail(platform):
    text = render("apt_unattended.conf.j2", platform=platform, os_baseline_updates_reboot=True,
                  os_baseline_updates_mail="ops@example.com")
    statements = apt_statements(text)
    assert 'Unattended-Upgrade::Automatic-Reboot "true";' in statements
    assert 'Unattended-Upgrade::Automatic-Reboot-Time "now";' in statements
    assert 'Unattended-Upgrade::Automatic-Reboot-WithUsers "true";' in statements
    assert 'Unattended-Upgrade::Mail "ops@example.com";' in statements
    assert 'Unattended-Upgrade::MailReport "on-change";' in statements
    # reboot without mail, mail without reboot
    reboot_only = apt_statements(render("apt_unattended.conf.j2", platform=platform, os_baseline_updates_reboot=True))
    assert not any("::Mail" in s for s in reboot_only)
    mail_only = apt_statements(render("apt_unattended.conf.j2", platform=platform, os_baseline_updates_mail="a@b.example"))
    assert 'Unattended-Upgrade::Mail "a@b.example";' in mail_only
    assert not any("Automatic-Reboot-Time" in s for s in mail_only)


# ---------------------------------------------------------------------------------------------------------------
# The update timer's window


@pytest.mark.parametrize("window,start,delay", [
    ("03:00-05:00", "03:00", 7200),
    ("23:30-01:00", "23:30", 5400),
    ("00:00-00:01", "00:00", 60),
    ("22:00-21:59", "22:00", 1439 * 60),
])
@pytest.mark.parametrize("platform", [DEBIAN, ("Amazon", "2023")])
def test_timer_window(platform, window, start, delay):
    text = render("timer_window.conf.j2", platform=platform, os_baseline_updates_reboot_window=window)
    conf = body(text)
    assert conf[0] == "[Timer]"
    # the distribution's OnCalendar is reset, then ours is set
    assert conf.index("OnCalendar=") < conf.index("OnCalendar=*-*-* %s:00" % start)
    assert [line for line in conf if line.startswith("OnCalendar=")] == ["OnCalendar=", "OnCalendar=*-*-* %s:00" % start]
    assert "RandomizedDelaySec=%d" % delay in conf
    assert "Persistent=false" in conf


# ---------------------------------------------------------------------------------------------------------------
# audit rules

WATCH = re.compile(r"^-w /\S+ -p [rwxa]+ -k [A-Za-z0-9_-]+$")
SYSCALL = re.compile(r"^-a always,exit( -F [a-z]+(=|!=|>=|<=|>|<)\S+)* -S [a-z0-9_,]+( -F [a-z]+(=|!=|>=|<=|>|<)\S+)* -k [A-Za-z0-9_-]+$")


def audit_rules(text: str) -> list[str]:
    rules = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        assert WATCH.match(line) or SYSCALL.match(line), "not an audit rule: %r" % line
        rules.append(line)
    return rules


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_audit_rules(platform, arch):
    rules = audit_rules(render("audit.rules.j2", platform=platform, arch=arch))
    b32 = [rule for rule in rules if "arch=b32" in rule]
    assert bool(b32) is (arch == "x86_64")
    assert any("arch=b64" in rule and "clock_settime" in rule for rule in rules)
    assert any("arch=b64" in rule and "init_module" in rule for rule in rules)
    for path in ("/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/ssh/sshd_config"):
        assert any(rule.startswith("-w %s " % path) for rule in rules), path


def test_audit_extra_rules_are_appended():
    extra = ["-w /etc/hosts -p wa -k hosts", "-a always,exit -F arch=b64 -S mount -F auid>=1000 -k mounts"]
    rules = audit_rules(render("audit.rules.j2", os_baseline_auditd_extra_rules=extra))
    assert rules[-2:] == extra


# ---------------------------------------------------------------------------------------------------------------
# pwquality


def test_pwquality_defaults():
    assert body(render("pwquality.conf.j2")) == ["dictcheck = 1", "enforce_for_root", "maxrepeat = 3", "minclass = 3",
                                                 "minlen = 14"]


def test_pwquality_true_is_a_flag_false_is_left_out():
    lines = body(render("pwquality.conf.j2", os_baseline_pwquality={
        "minlen": 16, "enforce_for_root": True, "local_users_only": False, "badwords": "acme shop", "difok": 0}))
    assert lines == ["badwords = acme shop", "difok = 0", "enforce_for_root", "minlen = 16"]


# ---------------------------------------------------------------------------------------------------------------
# rollback.sh


@pytest.mark.skipif(shutil.which("sh") is None, reason="no sh")
@pytest.mark.parametrize("platform", PLATFORMS)
def test_rollback_script_is_valid_sh_and_names_what_it_guards(tmp_path, platform):
    probe = probe_output(sysctl=sysctl_probe(ro=("kernel.sysrq",), missing=("net.core.bpf_jit_harden",)))
    values = variables(platform, probe=probe)
    text = render("rollback.sh.j2", platform=platform, probe=probe)
    script = tmp_path / "rollback.sh"
    script.write_text(text)
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert text.startswith("#!/bin/sh\n")
    keys = re.search(r"^keys='(.*)'$", text, re.M).group(1).split()
    assert keys == list(values["__os_baseline_sysctl_plan"]["write"])
    assert "kernel.sysrq" not in keys and "net.core.bpf_jit_harden" not in keys
    paths = re.search(r"^paths='(.*)'$", text, re.M).group(1).split()
    assert paths == ["/etc/sysctl.d/60-liftoff-os-baseline.conf", "/etc/fail2ban/jail.d/60-liftoff-sshd.local",
                     "/etc/fail2ban/fail2ban.d/60-liftoff.local"]
    assert re.search(r"^state=/var/lib/liftoff-os-baseline$", text, re.M)


# ---------------------------------------------------------------------------------------------------------------
# Filters: the sysctl plan


def test_sysctl_plan_writes_rw_keys_and_skips_the_others_with_reasons():
    wanted = {"net.ipv4.tcp_syncookies": 1, "kernel.sysrq": 0, "net.core.bpf_jit_harden": 2, "vm.unknown": 1}
    probe = ["net.ipv4.tcp_syncookies\trw\t1", "kernel.sysrq\tro\t176", "net.core.bpf_jit_harden\tmissing\t"]
    plan = ob.os_baseline_sysctl_plan(wanted, probe)
    assert plan["write"] == {"net.ipv4.tcp_syncookies": "1"}
    assert plan["skipped"] == [
        {"key": "kernel.sysrq", "reason": "read-only on this host (a container?)"},
        {"key": "net.core.bpf_jit_harden", "reason": "not on this host (kernel or module lacks it)"},
        {"key": "vm.unknown", "reason": "not on this host (kernel or module lacks it)"},
    ]
    assert plan["pending"] == []


def test_sysctl_plan_pending_only_when_the_live_value_differs():
    wanted = {"a.b": 1, "a.c": "4096 87380 6291456", "a.d": 2, "a.e": True, "a.f": False, "a.g": " x\ty "}
    probe = ["a.b\trw\t1", "a.c\trw\t4096   87380 6291456 ", "a.d\trw\t1", "a.e\trw\t1", "a.f\trw\t1", "a.g\trw\tx y"]
    plan = ob.os_baseline_sysctl_plan(wanted, probe)
    assert plan["write"] == {"a.b": "1", "a.c": "4096 87380 6291456", "a.d": "2", "a.e": "1", "a.f": "0", "a.g": "x y"}
    assert plan["pending"] == ["a.d", "a.f"]
    assert plan["skipped"] == []


def test_sysctl_plan_refuses_a_non_dict():
    with pytest.raises(AnsibleFilterError):
        ob.os_baseline_sysctl_plan(["net.ipv4.tcp_syncookies"], [])


# ---------------------------------------------------------------------------------------------------------------
# Filters: the reboot window


@pytest.mark.parametrize("window,on_calendar,delay", [
    ("03:00-05:00", "*-*-* 03:00:00", 7200),
    ("23:30-01:00", "*-*-* 23:30:00", 5400),
    (" 22:15 - 02:45 ", "*-*-* 22:15:00", 4 * 3600 + 30 * 60),
    ("00:00-23:59", "*-*-* 00:00:00", 1439 * 60),
])
def test_reboot_window(window, on_calendar, delay):
    result = ob.os_baseline_reboot_window(window)
    assert result["on_calendar"] == on_calendar
    assert result["delay_seconds"] == delay
    assert result["start"] == window.split("-")[0].strip() and result["end"] == window.split("-")[1].strip()


@pytest.mark.parametrize("window", ["03:00-03:00", "", None, "3am", "25:00-03:00", "03:00-05:60", "03:00", "03:00-05:00-07:00",
                                    "0300-0500"])
def test_reboot_window_refuses_empty_and_malformed(window):
    with pytest.raises(AnsibleFilterError):
        ob.os_baseline_reboot_window(window)


# ---------------------------------------------------------------------------------------------------------------
# Filters: fail2ban's ignore list


def test_ignoreip_dedupes_and_normalises():
    result = ob.os_baseline_ignoreip(["10.1.2.3", "10.1.2.3/32", "192.0.2.7/24", "2001:db8::1/128", " 2001:db8::/32 "],
                                     ["192.0.2.0/24", "127.0.0.1"], CONTROLLER)
    assert result == ["127.0.0.0/8", "::1", "10.1.2.3", "192.0.2.0/24", "2001:db8::1", "2001:db8::/32", "127.0.0.1",
                      "10.0.0.5"]
    # a single address is written bare (fail2ban compares it as an address), a network with its prefix
    assert not any("/" in entry and ipaddress.ip_network(entry).num_addresses == 1 for entry in result)


def test_ignoreip_controller_from_ssh_connection_and_loopback_always():
    assert ob.os_baseline_ignoreip([], None, CONTROLLER) == ["127.0.0.0/8", "::1", "10.0.0.5"]
    assert ob.os_baseline_ignoreip(None) == ["127.0.0.0/8", "::1"]
    assert ob.os_baseline_ignoreip([], [], "2001:db8::5 51234 2001:db8::9 22")[-1] == "2001:db8::5"
    # the controller already among the admin sources is not listed twice
    assert ob.os_baseline_ignoreip(["10.0.0.0/24"], [], "10.0.0.0 1 2 3") == ["127.0.0.0/8", "::1", "10.0.0.0/24", "10.0.0.0"]


@pytest.mark.parametrize("bad", ["not-an-ip", "10.0.0.300", "10.0.0.0/33", ""])
def test_ignoreip_raises_on_an_invalid_entry(bad):
    with pytest.raises(ValueError):
        ob.os_baseline_ignoreip(["10.0.0.0/8"], [bad])


# ---------------------------------------------------------------------------------------------------------------
# Filters: the probe's answers

REAL_PROBE = "\n".join([
    "##liftoff:container", "docker",
    "##liftoff:ra", "1",
    "##liftoff:sysctl",
    "net.ipv4.tcp_syncookies\trw\t1", "kernel.sysrq\tro\t176", "net.core.bpf_jit_harden\tmissing\t",
    "net.ipv4.tcp_rmem\trw\t4096 131072 6291456", "",
    "##liftoff:packages", "openssh-server", "fail2ban", "python3-systemd", "fail2ban", " auditd ", "",
    "##liftoff:mounts",
    "/dev/shm tmpfs tmpfs rw,nosuid,nodev,inode64", "/tmp tmpfs tmpfs rw,nosuid,nodev,size=1048576k,inode64", "broken line",
    "##liftoff:services",
    "fail2ban active enabled", "auditd inactive ", "systemd-timesyncd active enabled", "apt-daily.timer active enabled",
    "apt-daily-upgrade.timer inactive disabled",
    "##liftoff:originals", "/etc/login.defs", "/etc/issue", "",
    "##liftoff:state", "rollback.sh", "originals", "created-group", "installed-packages",
    "##liftoff:installed", "python3-systemd", "fail2ban",
    "##liftoff:kept-sysctls", "net.ipv4.tcp_syncookies", "kernel.kptr_restrict",
    "##liftoff:existing", "/etc/login.defs", "/etc/issue", "/etc/fstab", "/etc/pam.d/su",
    "##liftoff:group", "sugroup:alice,bob",
    "##liftoff:ssh-connection", "10.0.0.5 51234 10.0.0.9 22",
    "##liftoff:end", "",
])


def test_host_facts_from_a_full_probe():
    host = ob.os_baseline_host_facts(REAL_PROBE)
    assert host["container"] is True and host["container_type"] == "docker"
    assert host["ra_default_route"] is True
    assert host["sysctl"] == ["net.ipv4.tcp_syncookies\trw\t1", "kernel.sysrq\tro\t176", "net.core.bpf_jit_harden\tmissing\t",
                              "net.ipv4.tcp_rmem\trw\t4096 131072 6291456"]
    assert host["packages"] == ["auditd", "fail2ban", "openssh-server", "python3-systemd"]
    assert host["mounts"] == {
        "/dev/shm": {"source": "tmpfs", "fstype": "tmpfs", "options": ["rw", "nosuid", "nodev", "inode64"]},
        "/tmp": {"source": "tmpfs", "fstype": "tmpfs", "options": ["rw", "nosuid", "nodev", "size=1048576k", "inode64"]},
    }
    assert host["services"]["fail2ban"] == {"active": "active", "enabled": "enabled"}
    assert host["services"]["auditd"] == {"active": "inactive", "enabled": ""}
    assert host["services"]["apt-daily-upgrade.timer"] == {"active": "inactive", "enabled": "disabled"}
    assert host["originals"] == ["/etc/issue", "/etc/login.defs"]
    assert host["state_files"] == ["created-group", "installed-packages", "originals", "rollback.sh"]
    assert host["installed"] == ["fail2ban", "python3-systemd"]
    assert host["kept_sysctls"] == ["kernel.kptr_restrict", "net.ipv4.tcp_syncookies"]
    assert host["existing"] == ["/etc/fstab", "/etc/issue", "/etc/login.defs", "/etc/pam.d/su"]
    assert host["controller"] == "10.0.0.5"
    assert host["group_exists"] is True and host["group_members"] == ["alice", "bob"]
    # the plan reads the probe's sysctl lines straight
    plan = ob.os_baseline_sysctl_plan({"net.ipv4.tcp_syncookies": 1, "kernel.sysrq": 0, "net.core.bpf_jit_harden": 2},
                                      host["sysctl"])
    assert plan["write"] == {"net.ipv4.tcp_syncookies": "1"} and plan["pending"] == []


def test_host_facts_of_a_vm_without_group_or_ssh_connection():
    host = ob.os_baseline_host_facts(probe_output(ra="0", group="sugroup:", ssh=""))
    assert host["container"] is False and host["container_type"] == ""
    assert host["ra_default_route"] is False
    assert host["controller"] == ""
    assert host["group_exists"] is True and host["group_members"] == []
    assert ob.os_baseline_host_facts(probe_output())["group_exists"] is False


@pytest.mark.parametrize("stdout", [probe_output(end=False), "", None, REAL_PROBE.replace("##liftoff:end", "")])
def test_host_facts_refuse_an_unfinished_probe(stdout):
    with pytest.raises(AnsibleFilterError, match="end marker"):
        ob.os_baseline_host_facts(stdout)


# ---------------------------------------------------------------------------------------------------------------
# Filters: mounts and missing packages


def test_mount_plan_only_mounts_that_exist_and_lack_an_option():
    mounts = ob.os_baseline_host_facts(REAL_PROBE)["mounts"]
    wanted = {"/dev/shm": ["nodev", "nosuid", "noexec"], "/tmp": ["nodev", "nosuid"], "/var/tmp": ["nodev"]}
    assert ob.os_baseline_mount_plan(wanted, mounts) == [{
        "path": "/dev/shm", "source": "tmpfs", "fstype": "tmpfs",
        "options": ["nosuid", "nodev", "inode64", "noexec"], "missing": ["noexec"]}]
    seclabel = {"/tmp": {"source": "/dev/nvme0n1p3", "fstype": "xfs", "options": ["rw", "seclabel", "relatime"]}}
    assert ob.os_baseline_mount_plan({"/tmp": ["nodev", "nosuid"]}, seclabel) == [{
        "path": "/tmp", "source": "/dev/nvme0n1p3", "fstype": "xfs", "options": ["relatime", "nodev", "nosuid"],
        "missing": ["nodev", "nosuid"]}]
    assert ob.os_baseline_mount_plan(wanted, {}) == []
    assert ob.os_baseline_mount_plan({}, mounts) == []


FEATURES = {"fail2ban": ["fail2ban", "python3-systemd"], "updates": ["unattended-upgrades", "needrestart"], "auditd": [],
            "login": ["libpam-pwquality"], "time_sync": ["systemd-timesyncd"]}


def test_features_missing_and_their_message():
    missing = ["needrestart", "python3-systemd"]
    assert ob.os_baseline_features_missing(FEATURES, missing) == ["fail2ban", "updates"]
    assert ob.os_baseline_missing_by_feature(FEATURES, missing) == (
        "Needed by os_baseline_fail2ban (python3-systemd); os_baseline_updates (needrestart).")
    assert ob.os_baseline_features_missing(FEATURES, []) == []
    assert ob.os_baseline_missing_by_feature(FEATURES, []) == ""
    assert ob.os_baseline_missing_by_feature(FEATURES, ["fail2ban", "python3-systemd"]) == (
        "Needed by os_baseline_fail2ban (fail2ban, python3-systemd).")


def test_the_missing_packages_fact_matches_the_features():
    values = variables(probe=probe_output(packages=["fail2ban", "auditd"]))
    expression = ROLE_VARS["__os_baseline_missing_packages"]
    missing = Templar(loader=DataLoader(), variables=values).template(expression)
    assert "fail2ban" not in missing and "auditd" not in missing
    assert {"python3-systemd", "unattended-upgrades", "libpam-pwquality", "systemd-timesyncd"} <= set(missing)
    assert "fail2ban" in ob.os_baseline_missing_by_feature(template("{{ __os_baseline_feature_packages }}"), missing)


# ---------------------------------------------------------------------------------------------------------------
# Input checks (liftoff.aws.input_report)


def default_inputs(**overrides) -> dict:
    """The role's inputs with their defaults, templated (what __os_baseline_inputs holds on a Debian host)."""
    values = variables(DEBIAN, plan=False, **{"liftoff_admin_sources": ["198.51.100.0/24"], **overrides})
    templar = Templar(loader=DataLoader(), variables=values)
    inputs = {name: templar.template(values[name]) for name in SPEC if name in values}
    inputs["liftoff_admin_sources"] = values["liftoff_admin_sources"]
    return inputs


def test_the_defaults_pass():
    inputs = default_inputs()
    assert set(SPEC) <= set(inputs)
    assert input_report(inputs, "os_baseline", SPEC) == {"errors": [], "warnings": []}


def test_no_admin_source_warns_but_passes():
    inputs = default_inputs()
    inputs["liftoff_admin_sources"] = []
    inputs["os_baseline_fail2ban_admin_sources"] = []
    report = input_report(inputs, "os_baseline", SPEC)
    assert report["errors"] == []
    assert any("liftoff_admin_sources" in w for w in report["warnings"])
    inputs["os_baseline_fail2ban_admin_sources"] = ["198.51.100.0/24"]
    assert input_report(inputs, "os_baseline", SPEC)["warnings"] == []


@pytest.mark.parametrize("name,value", [
    ("os_baseline_sysctl_extra", {"Net.ipv4.ip_forward": 0}),
    ("os_baseline_sysctl_extra", {"net ipv4 ip_forward": 0}),
    ("os_baseline_sysctl_extra", {"swappiness": 10}),
    ("os_baseline_sysctl_extra", {"net.ipv4.ip_local_port_range": "32768\n60999"}),
    ("os_baseline_sysctl_extra", {"net.ipv4.ip_forward": ""}),
    ("os_baseline_sysctl_extra", {"net.ipv4.ip_forward": [0]}),
    ("os_baseline_sysctl_skip", ["kernel sysrq"]),
    ("os_baseline_updates_reboot_window", "25:00-03:00"),
    ("os_baseline_updates_reboot_window", "3am"),
    ("os_baseline_updates_reboot_window", "04:00-04:00"),
    ("os_baseline_fail2ban_ignoreip", ["10.0.0.0/8", "office"]),
    ("os_baseline_fail2ban_ignoreip", ["10.0.0.256"]),
    ("liftoff_admin_sources", ["198.51.100.0/24", "vpn.example.com"]),
    ("os_baseline_login_defs", {"UMASK": "0778"}),
    ("os_baseline_login_defs", {"UMASK": "27"}),
    ("os_baseline_login_defs", {"UMASK": "0o027"}),
    ("os_baseline_login_defs", {"pass_max_days": 90}),
    ("os_baseline_login_defs", {"PASS_MAX_DAYS": "90\nUMASK 000"}),
    ("os_baseline_su_group", "Wheel"),
    ("os_baseline_su_group", "su group"),
    ("os_baseline_mount_options", {"tmp": ["nodev"]}),
    ("os_baseline_rollback_timeout", 59),
    ("os_baseline_rollback_timeout", 0),
    ("os_baseline_fail2ban_maxretry", 0),
    ("os_baseline_fail2ban_ports", [0]),
    ("os_baseline_fail2ban_ports", [65536]),
    ("os_baseline_updates_mail", "ops at example"),
])
def test_a_bad_input_is_refused_naming_the_variable(name, value):
    report = input_report(default_inputs(**{name: value}), "os_baseline", SPEC)
    assert report["errors"], "%s=%r passed" % (name, value)
    assert all(error.startswith(name) for error in report["errors"]), report["errors"]


@pytest.mark.parametrize("name,value", [
    ("os_baseline_sysctl_extra", {"net.ipv4.conf.eth0.rp_filter": 2, "net.ipv4.ip_local_port_range": "32768 60999",
                                  "net.ipv6.conf.ens5.accept_ra": 2, "kernel.core_pattern": "|/bin/false"}),
    ("os_baseline_updates_reboot_window", "23:30-01:00"),
    ("os_baseline_fail2ban_ignoreip", ["10.0.0.1", "2001:db8::/32", "192.0.2.7/24"]),
    ("os_baseline_login_defs", {"UMASK": "077", "ENCRYPT_METHOD": "YESCRYPT"}),
    ("os_baseline_login_defs", {"UMASK": "0027"}),
    ("os_baseline_su_group", ""),
    ("os_baseline_su_group", "wheel"),
    ("os_baseline_rollback_timeout", 60),
    ("os_baseline_fail2ban_ports", [22, 2222]),
    ("os_baseline_updates_mail", "ops@example.com"),
])
def test_a_good_input_passes(name, value):
    assert input_report(default_inputs(**{name: value}), "os_baseline", SPEC)["errors"] == []


def test_a_wrong_type_is_refused_before_the_role_rules():
    report = input_report(default_inputs(os_baseline_rollback_timeout="soon", os_baseline_sysctl_skip="kernel.sysrq"),
                          "os_baseline", SPEC)
    assert any(e.startswith("os_baseline_rollback_timeout") for e in report["errors"])
    assert any(e.startswith("os_baseline_sysctl_skip") for e in report["errors"])


# ---------------------------------------------------------------------------------------------------------------
# Gaps the first version had: a shared admin source never reached the check, fail2ban's own admin list was not
# checked, an empty sysctl value was written as 'None'.


def test_the_input_hook_checks_liftoff_admin_sources():
    names = template("{{ __os_baseline_input_names }}", plan=False, liftoff_admin_sources=["vpn.example.com"])
    assert "liftoff_admin_sources" in names


def test_a_bad_fail2ban_admin_source_is_refused():
    with pytest.raises(ValueError):
        ob.os_baseline_ignoreip(["vpn.example.com"])
    report = input_report(default_inputs(os_baseline_fail2ban_admin_sources=["vpn.example.com"]), "os_baseline", SPEC)
    assert any(e.startswith("os_baseline_fail2ban_admin_sources") for e in report["errors"])


def test_an_empty_sysctl_value_is_refused():
    report = input_report(default_inputs(os_baseline_sysctl_extra={"vm.swappiness": None}), "os_baseline", SPEC)
    assert report["errors"]


# ---------------------------------------------------------------------------------------------------------------
# The no-op path: files compared by SHA-1, login.defs by value


def test_a_file_whose_sha1_matches_the_host_is_not_written_and_a_new_one_needs_its_directory():
    specs = [{"dest": "/etc/issue", "src": "banner.j2"}, {"dest": "/etc/new.d/x.conf", "src": "x.j2", "mode": "0640", "validate": "v %s"}]
    same = hashlib.sha1(b"hello\n").hexdigest()
    plan = ob.os_baseline_file_plan(specs, ["hello\n", "x = 1\n"], {"/etc/issue": same}, ["/etc"])
    assert plan["dests"] == ["/etc/new.d/x.conf"]
    assert plan["write"] == [{"dest": "/etc/new.d/x.conf", "content": "x = 1\n", "mode": "0640", "validate": "v %s"}]
    assert plan["dirs"] == ["/etc/new.d"]
    changed = ob.os_baseline_file_plan(specs[:1], ["hello again\n"], {"/etc/issue": same}, ["/etc"])
    assert changed["dests"] == ["/etc/issue"] and changed["dirs"] == []
    with pytest.raises(AnsibleFilterError):
        ob.os_baseline_file_plan(specs, ["only one"], {}, [])


def test_login_defs_plan_lists_only_keys_whose_value_differs():
    wanted = {"UMASK": "027", "PASS_MAX_DAYS": 365, "PASS_MIN_DAYS": 1}
    assert ob.os_baseline_login_defs_plan(wanted, {"UMASK": "022", "PASS_MAX_DAYS": "365"}) == [
        {"key": "PASS_MIN_DAYS", "value": "1"}, {"key": "UMASK", "value": "027"}]
    assert ob.os_baseline_login_defs_plan(wanted, {"UMASK": "027", "PASS_MAX_DAYS": "365", "PASS_MIN_DAYS": "1"}) == []


def test_every_wanted_file_is_rendered_and_a_probe_with_their_checksums_plans_no_write():
    values = variables(DEBIAN)
    templar = Templar(loader=DataLoader(), variables=values)
    specs = templar.template(trust_as_template("{{ __os_baseline_file_specs }}"))
    dests = [spec["dest"] for spec in specs]
    assert "/etc/sysctl.d/60-liftoff-os-baseline.conf" in dests and "/etc/fail2ban/jail.d/60-liftoff-sshd.local" in dests
    contents = [templar.template(trust_as_template((TEMPLATES / spec["src"]).read_text())) for spec in specs]
    checksums = {dest: hashlib.sha1(text.encode()).hexdigest() for dest, text in zip(dests, contents)}
    assert ob.os_baseline_file_plan(specs, contents, checksums, sorted({d.rsplit("/", 1)[0] for d in dests}))["write"] == []
