"""liftoff.aws.sshd_host_facts and liftoff.aws.iptables_conflicts: the roles' one-round-trip probes.

Each probe is the shell script in the role's task, run here with stand-ins for the host's commands
on PATH, and read back by its filter: the same decisions the roles made with one command task each.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.host_probe import (iptables_conflicts, probe_sections, sshd_host_facts,
                                                                       sshd_login_facts, probe_lines)
from tests.harness.paths import REPO_ROOT

SSHD_T = "port 22\nport 2222\npermitrootlogin without-password\nkexalgorithms curve25519-sha256\n"
RSA_LINE = "3072 SHA256:abc root@host (RSA)"
MODULI = "\n".join([
    "# Time Type Tests Tries Size Generator Modulus",
    "20230101000000 2 6 100 2047 2 AAAA",
    "20230101000000 2 6 100 3071 5 BBBB",
    "20230101000000 2 6 100 1535 2 CCCC",
    "not a modulus line",
]) + "\n"


def _task(role: str, file: str, register: str) -> dict:
    tasks = yaml.safe_load((REPO_ROOT / "roles" / role / "tasks" / file).read_text())
    return next(t for t in tasks if t.get("register") == register)


def _stub(bindir: Path, name: str, body: str) -> None:
    path = bindir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _run(argv: list[str], bindir: Path, only: bool = False, **env: str) -> subprocess.CompletedProcess:
    """Run argv with the stand-ins in bindir first on PATH (only them with only=True) and env added."""
    path = str(bindir) if only else f"{bindir}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(argv, env=dict(os.environ, PATH=path, **env), capture_output=True, text=True, check=False)


@pytest.fixture
def bindir(tmp_path):
    """An empty directory for stand-in commands."""
    path = tmp_path / "bin"
    path.mkdir()
    return path


@pytest.fixture
def host(tmp_path, bindir):
    """A stand-in host: sshd, ssh, systemctl and ssh-keygen on PATH, /etc/ssh and moduli in tmp."""
    confdir = tmp_path / "ssh"
    confdir.mkdir()
    (confdir / "ssh_host_ed25519_key").write_text("key")
    (confdir / "ssh_host_rsa_key.pub").write_text("pub")
    (tmp_path / "moduli").write_text(MODULI)
    _stub(bindir, "sshd", f"""case "$1" in
-V) echo "OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024" >&2; exit 1;;
-T) [ -e "{tmp_path}/broken" ] && {{ echo "sshd: bad config" >&2; exit 255; }}; printf '{SSHD_T}';;
esac
""")
    _stub(bindir, "ssh", """[ "$1" = -Q ] || exit 2
case "$2" in
kex) printf 'curve25519-sha256\\nsntrup761x25519-sha512\\n';;
cipher) printf 'aes256-gcm@openssh.com\\n';;
mac) exit 1;;
key) printf 'ssh-ed25519\\nrsa-sha2-512\\n';;
key-sig) printf 'rsa-sha2-512\\nrsa-sha2-256\\n';;
esac
""")
    _stub(bindir, "systemctl", f"""[ -e "{tmp_path}/socket" ] && {{ echo enabled; exit 0; }}; echo disabled; exit 1
""")
    _stub(bindir, "ssh-keygen", f"""[ -e "$3" ] || {{ echo "$3: No such file" >&2; exit 1; }}; echo "{RSA_LINE}"
""")
    return tmp_path, bindir, confdir


def _sshd_probe(host, min_bits=2048):
    tmp_path, bindir, confdir = host
    task = _task("sshd", "facts.yml", "__sshd_probe")
    argv = task["ansible.builtin.command"]["argv"]
    script = argv[2]
    return _run(["/bin/sh", "-c", script, "sh", str(bindir / "sshd"), "ssh.socket", str(confdir),
                 str(tmp_path / "moduli"), str(min_bits - 1)], bindir)


def test_the_sshd_probe_reads_what_the_separate_tasks_read(host):
    proc = _sshd_probe(host)
    assert proc.returncode == 0, proc.stderr
    facts = sshd_host_facts(proc.stdout)
    assert facts == {
        "version": "9.2",
        # mac exited 1: left out, as the role left out a failed ssh -Q; key and key-sig merged, each once
        "query": {"kex": ["curve25519-sha256", "sntrup761x25519-sha512"], "cipher": ["aes256-gcm@openssh.com"],
                  "mac": [], "key": ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]},
        "socket_mode": False,
        "ports_before": [22, 2222],
        "rsa_bits": 3072,
        "ed25519_key": True,
        "moduli_weak": 1,  # the Size column counts a 2048-bit modulus as 2047: only the 1535 one is below
        "errors": [],
    }


def test_the_sshd_probe_reads_socket_activation_missing_keys_and_no_moduli_file(host):
    tmp_path, dummy_bin, confdir = host
    (tmp_path / "socket").write_text("")
    (confdir / "ssh_host_ed25519_key").unlink()
    (confdir / "ssh_host_rsa_key.pub").unlink()
    (tmp_path / "moduli").unlink()
    facts = sshd_host_facts(_sshd_probe(host).stdout)
    assert facts["socket_mode"] is True
    assert facts["ed25519_key"] is False
    assert facts["rsa_bits"] == 0
    assert facts["moduli_weak"] == 0
    assert facts["errors"] == []


def test_the_sshd_probe_counts_moduli_against_the_minimum_it_is_given(host):
    assert sshd_host_facts(_sshd_probe(host, min_bits=3072).stdout)["moduli_weak"] == 2
    assert sshd_host_facts(_sshd_probe(host, min_bits=1024).stdout)["moduli_weak"] == 0


def test_a_failing_sshd_t_is_an_error_the_role_fails_on(host):
    tmp_path, dummy_bin, dummy_confdir = host
    (tmp_path / "broken").write_text("")
    proc = _sshd_probe(host)
    assert "sshd: bad config" in proc.stderr
    facts = sshd_host_facts(proc.stdout)
    assert facts["errors"] == ["`sshd -T` failed (exit 255); see the task's stderr"]
    assert "errors | length > 0" in _task("sshd", "facts.yml", "__sshd_probe")["failed_when"]


def test_no_openssh_version_is_an_error():
    facts = sshd_host_facts("##liftoff:version\nsomething else\n##liftoff:effective-rc\n0\n")
    assert facts["version"] is None
    assert facts["errors"] == ["`sshd -V` printed no OpenSSH version (like OpenSSH_9.2): something else"]


def test_the_probe_output_must_be_text():
    with pytest.raises(AnsibleFilterError, match="string"):
        sshd_host_facts(["not", "text"])
    assert probe_sections(None) == {}
    assert probe_sections("before any marker\n##liftoff:a\n1\n##liftoff:b\n") == {"a": ["1"], "b": []}


def _iptables_probe(bindir: Path, services="netfilter-persistent", packages="iptables netfilter-persistent",
                    only=False) -> str:
    task = _task("iptables", "present.yml", "__iptables_conflict_probe")
    argv = task["ansible.builtin.command"]["argv"][:4] + [services, packages]
    proc = _run(argv, bindir, only=only)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _conflicts(bindir: Path) -> list[str]:
    return iptables_conflicts(_iptables_probe(bindir))


def test_no_other_firewall_manager(bindir):
    _stub(bindir, "systemctl", 'case "$1" in is-active) echo inactive; exit 3;; *) echo disabled; exit 1;; esac\n')
    _stub(bindir, "ufw", "exit 127\n")  # as if ufw were not installed
    assert _conflicts(bindir) == []


def test_every_other_firewall_manager(bindir):
    _stub(bindir, "systemctl", 'case "$1" in is-active) echo active;; is-enabled) echo enabled;; esac\n')
    _stub(bindir, "ufw", 'echo "Status: active"; echo; echo "To Action From"\n')
    assert _conflicts(bindir) == ["ufw", "firewalld", "nftables"]


def test_ufw_counts_only_when_it_answers_and_is_active(bindir):
    _stub(bindir, "systemctl", "echo unknown; exit 1\n")
    _stub(bindir, "ufw", 'echo "Status: inactive"\n')
    assert _conflicts(bindir) == []
    _stub(bindir, "ufw", 'echo "Status: active"; exit 1\n')  # an error exit: not counted, as before
    assert _conflicts(bindir) == []


# roles/sshd/tasks/access.yml: the account, groups, address and authorized keys of the connecting user.
def _login(bindir, user="deploy", keys="ssh-ed25519 AAAA deploy@laptop\n", connection="192.0.2.10 50022 10.0.0.5 22"):
    home = bindir.parent / "home" / "deploy"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    if keys is not None:
        (home / ".ssh" / "authorized_keys").write_text(keys)
    _stub(bindir, "getent", f'[ "$2" = deploy ] && echo "deploy:x:1001:1001::{home}:/bin/bash"; [ "$2" = deploy ]\n')
    _stub(bindir, "id", '[ "$3" = deploy ] && echo "deploy sudo ssh-users"\n')
    task = _task("sshd", "access.yml", "__sshd_login_probe")
    argv = [str(a).replace("{{ __sshd_login_user }}", user) for a in task["ansible.builtin.command"]["argv"]]
    proc = _run(argv, bindir, SSH_CONNECTION=connection, SSH_CLIENT="")  # the probe falls back to SSH_CLIENT
    assert proc.returncode == 0, proc.stderr
    return sshd_login_facts(proc.stdout, user), home


def test_the_login_probe_reads_account_groups_address_and_keys(bindir):
    facts, home = _login(bindir)
    assert facts == {"account": True, "home": str(home), "groups": ["deploy", "sudo", "ssh-users"],
                     "address": "192.0.2.10", "authorized_keys": True,
                     "authorized_keys_path": f"{home}/.ssh/authorized_keys"}


@pytest.mark.parametrize("keys", [None, ""], ids=["missing", "empty"])
def test_the_login_probe_sees_no_usable_authorized_keys(bindir, keys):
    facts, _home = _login(bindir, keys=keys)
    assert facts["account"] and not facts["authorized_keys"]


def test_the_login_probe_for_a_user_without_an_account(bindir):
    facts, _home = _login(bindir, user="nobody-here", connection="")
    assert facts == {"account": False, "home": "", "groups": [], "address": "", "authorized_keys": False,
                     "authorized_keys_path": "~/.ssh/authorized_keys"}


# The same iptables probe says which of the role's packages are installed and which boot services enabled.
def test_the_iptables_probe_lists_installed_packages_and_enabled_services_on_debian(bindir):
    _stub(bindir, "systemctl", '[ "$2" = netfilter-persistent ] && echo enabled || { echo disabled; exit 1; }\n')
    _stub(bindir, "ufw", "exit 127\n")
    _stub(bindir, "dpkg-query", 'for p in "$@"; do case $p in -*) ;; iptables) echo "iptables install ok installed";; '
                                'netfilter-persistent) echo "netfilter-persistent deinstall ok config-files";; '
                                '*) echo "dpkg-query: no packages found matching $p" >&2;; esac; done\n')
    out = _iptables_probe(bindir, "netfilter-persistent other.service", "iptables netfilter-persistent iptables-persistent")
    assert probe_lines(out, "installed") == ["iptables"]  # config-files only is not installed
    assert probe_lines(out, "enabled") == ["netfilter-persistent"]
    assert iptables_conflicts(out) == []


def test_the_iptables_probe_lists_installed_packages_with_rpm(bindir):
    _stub(bindir, "systemctl", "echo disabled; exit 1\n")
    _stub(bindir, "ufw", "exit 127\n")
    _stub(bindir, "rpm", 'shift 3; for p in "$@"; do [ "$p" = iptables-nft ] && echo iptables-nft || '
                         'echo "package $p is not installed"; done\n')
    for tool in ("grep", "awk"):  # PATH is only the stand-ins below: this machine's dpkg-query must not be found
        (bindir / tool).symlink_to(shutil.which(tool))
    out = _iptables_probe(bindir, "iptables ip6tables", "iptables-nft iptables-services", only=True)
    assert probe_lines(out, "installed") == ["iptables-nft"]
    assert probe_lines(out, "enabled") == []
