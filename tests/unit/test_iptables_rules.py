"""liftoff.aws.iptables: the rendered chains for every supported OS, checked by iptables-restore --test.

One ansible-playbook run renders roles/iptables/templates/chain.rules.j2 on localhost for each
vars/<OS>.yml with the role's own defaults and input tasks (nothing is applied: the playbook only
writes files under pytest's tmp dir). The rendered text then goes through `iptables-restore --test`
/ `ip6tables-restore --test` on this machine when they exist (parse and kernel check, no commit).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.needs import skip_unless_ci
from tests.harness.paths import REPO_ROOT

ROLE = REPO_ROOT / "roles" / "iptables"
OS_FILES = sorted(p.name for p in (ROLE / "vars").glob("*.yml"))
CHAIN = "LIFTOFF-INPUT"

SCENARIO = {
    "liftoff_admin_sources": ["203.0.113.0/24", "2001:db8:1::/48", "198.51.100.7/32"],
    "liftoff_firewall_rules": [
        {"name": "https", "port": 443, "sources": ["0.0.0.0/0", "::/0"], "comment": "public web"},
        {"name": "dns", "port": 53, "protocol": "udp", "sources": ["10.0.0.0/8"]},
        {"name": "app-range", "port": 8000, "port_end": 8010, "sources": ["2001:db8:2::/48"], "comment": 'say "hi"'},
    ],
    "iptables_log_dropped": True,
    "iptables_extra_rules": [
        "-p udp -m udp --dport 51820 -j ACCEPT",
        {"rule": "-s 10.0.0.0/8 -p tcp -m tcp --dport 9300 -j REJECT --reject-with tcp-reset", "family": 4,
         "comment": 'search "cluster"'},
        {"rule": "-p ipv6-icmp -m icmp6 --icmpv6-type 139 -j DROP", "family": 6},
    ],
    "sshd_port": 2222,
}

RENDER_OS = """\
- name: Read {{ iptables_test_os }}
  ansible.builtin.include_vars:
    file: "{{ iptables_test_role }}/vars/{{ iptables_test_os }}"

- name: Render both families for {{ iptables_test_os }}
  ansible.builtin.template:
    src: "{{ iptables_test_role }}/templates/chain.rules.j2"
    dest: "{{ iptables_test_out }}/{{ iptables_test_os }}.v{{ __iptables_family }}"
    mode: "0600"
  loop: [4, 6]
  loop_control:
    loop_var: __iptables_family

- name: Write the OS settings the role would use
  ansible.builtin.copy:
    content: "{{ {'packages': iptables_packages, 'services': iptables_persist_services,
                  'v4': iptables_persist_file_v4, 'v6': iptables_persist_file_v6} | to_json }}"
    dest: "{{ iptables_test_out }}/{{ iptables_test_os }}.json"
    mode: "0600"
"""

PLAYBOOK = """\
- name: Render liftoff.aws.iptables chains per OS
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - "{{ iptables_test_role }}/defaults/main.yml"
    - "{{ iptables_test_role }}/vars/main.yml"
  vars:
    role_path: "{{ iptables_test_role }}"
  tasks:
    - name: Run the role's input hook (checks and normalisation)
      ansible.builtin.include_tasks: "{{ iptables_test_role }}/tasks/validate.yml"

    - name: Render per OS
      ansible.builtin.include_tasks: render_os.yml
      loop: "{{ iptables_test_os_files }}"
      loop_control:
        loop_var: iptables_test_os
"""


def _run_playbook(tmp: Path, extra: dict, os_files: list[str] | None = None) -> subprocess.CompletedProcess:
    """Render for `os_files` (default: every supported OS; the variant tests read the first one only)."""
    (tmp / "render_os.yml").write_text(RENDER_OS)
    (tmp / "render.yml").write_text(PLAYBOOK)
    (tmp / "out").mkdir(exist_ok=True)
    variables = dict(SCENARIO, iptables_test_role=str(ROLE), iptables_test_out=str(tmp / "out"),
                     iptables_test_os_files=OS_FILES if os_files is None else os_files, ansible_python_interpreter=sys.executable, **extra)
    (tmp / "vars.json").write_text(json.dumps(variables))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_HOME=str(tmp / "home"),
               ANSIBLE_NOCOLOR="1")
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(tmp / "render.yml"),
         "-e", "@" + str(tmp / "vars.json")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("iptables-render")
    result = _run_playbook(tmp, {})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return tmp / "out"


def _lines(rendered: Path, os_file: str, family: int) -> list[str]:
    return [line for line in (rendered / f"{os_file}.v{family}").read_text().splitlines() if line.strip()]


def _restore_file(tmp_path: Path, body: list[str]) -> Path:
    path = tmp_path / "rules"
    path.write_text("*filter\n" + "\n".join(body) + "\nCOMMIT\n")
    return path


def test_every_supported_os_has_a_vars_file():
    assert {"Debian.yml", "Amazon.yml"} <= set(OS_FILES)


@pytest.mark.parametrize("os_file", OS_FILES)
@pytest.mark.parametrize("family", [4, 6])
def test_rendered_chain_passes_iptables_restore_test(rendered, tmp_path, os_file, family):
    tool = shutil.which("ip6tables-restore" if family == 6 else "iptables-restore")
    if tool is None or os.geteuid() != 0:
        skip_unless_ci("iptables-restore --test needs the binary and root on this machine")
    path = _restore_file(tmp_path, _lines(rendered, os_file, family))
    # --test parses and checks every rule against the kernel without committing anything.
    result = subprocess.run([tool, "--test", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("os_file", OS_FILES)
def test_os_settings_point_at_the_boot_loader_files(rendered, os_file):
    settings = json.loads((rendered / f"{os_file}.json").read_text())
    if os_file.startswith("Amazon"):
        assert settings == {"packages": ["iptables-nft", "iptables-services"], "services": ["iptables", "ip6tables"],
                            "v4": "/etc/sysconfig/iptables", "v6": "/etc/sysconfig/ip6tables"}
    else:
        assert settings["v4"] == "/etc/iptables/rules.v4" and settings["v6"] == "/etc/iptables/rules.v6"
        assert "iptables-persistent" in settings["packages"] and settings["services"] == ["netfilter-persistent"]


@pytest.mark.parametrize("family", [4, 6])
def test_chain_accepts_established_and_loopback_first_and_drops_last(rendered, family):
    lines = _lines(rendered, OS_FILES[0], family)
    assert lines[0] == f":{CHAIN} - [0:0]"
    assert lines[1] == f"-A {CHAIN} -i lo -j ACCEPT"
    assert lines[2] == f"-A {CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    assert lines[-1] == f"-A {CHAIN} -j DROP"
    assert lines[-2].startswith(f"-A {CHAIN} -m limit --limit 5/minute -j LOG --log-prefix \"liftoff-drop: \"")
    # The built-in chains are never declared: --noflush then leaves INPUT's policy and rules alone.
    assert not [line for line in lines if line.startswith((":INPUT", ":FORWARD", ":OUTPUT", "-A INPUT"))]


def test_ipv6_neighbour_discovery_and_icmp_errors_come_before_the_invalid_drop(rendered):
    lines = _lines(rendered, OS_FILES[0], 6)
    invalid = lines.index(f"-A {CHAIN} -m conntrack --ctstate INVALID -j DROP")
    for icmp_type in (1, 2, 3, 4, 133, 134, 135, 136):
        matches = [i for i, line in enumerate(lines) if f"--icmpv6-type {icmp_type} " in line and line.endswith("ACCEPT")]
        assert matches and matches[0] < invalid, f"ICMPv6 type {icmp_type} not accepted before the INVALID drop"
    nd = [line for line in lines if "--icmpv6-type 135 " in line]
    assert "-m hl --hl-eq 255" in nd[0]


def test_ipv4_icmp_essentials_and_rate_limited_ping(rendered):
    lines = _lines(rendered, OS_FILES[0], 4)
    for icmp_type in (3, 11, 12):
        assert any(f"--icmp-type {icmp_type} " in line and line.endswith("-j ACCEPT") for line in lines)
    ping = [line for line in lines if "--icmp-type 8 " in line]
    assert len(ping) == 1 and "-m limit --limit 5/second --limit-burst 10" in ping[0]


@pytest.mark.parametrize("family, admin", [(4, ["203.0.113.0/24", "198.51.100.7/32"]), (6, ["2001:db8:1::/48"])])
def test_ssh_admin_sources_are_accepted_first_then_everyone_else_is_rate_limited(rendered, family, admin):
    # The admins' own host is never throttled (an ssh-audit scan from it had 74 SYNs dropped when the
    # limit came first); the limit still guards whatever else opens the port (a shared or extra rule).
    lines = _lines(rendered, OS_FILES[0], family)
    ssh = [line for line in lines if "--dport 2222 " in line]
    *accepts, limit = ssh
    assert [line.split()[3] for line in accepts] == admin
    assert all(line.endswith('--comment "liftoff: ssh from admin sources" -j ACCEPT') for line in accepts)
    assert "--ctstate NEW -m hashlimit --hashlimit-above 10/minute --hashlimit-burst 20 --hashlimit-mode srcip" in limit
    assert limit.endswith("-j DROP")
    assert lines.index(accepts[-1]) < lines.index(limit)


def test_open_ssh_accepts_admin_sources_unthrottled_and_rate_limits_everyone_else(tmp_path):
    result = _run_playbook(tmp_path, {"iptables_ssh_restrict": False}, [OS_FILES[0]])
    assert result.returncode == 0, result.stdout[-4000:]
    lines = _lines(tmp_path / "out", OS_FILES[0], 4)
    ssh = [line for line in lines if "--dport 2222 " in line]
    assert [line.split()[3] for line in ssh[:2]] == ["203.0.113.0/24", "198.51.100.7/32"]
    assert "hashlimit" in ssh[2] and ssh[2].endswith("-j DROP")
    assert ssh[3:] == [f'-A {CHAIN} -p tcp -m tcp --dport 2222 -m comment --comment "liftoff: ssh from anywhere" -j ACCEPT']


def test_a_world_admin_source_is_rate_limited_like_anywhere(tmp_path):
    result = _run_playbook(tmp_path, {"liftoff_admin_sources": ["0.0.0.0/0", "2001:db8:1::/48"],
                                      "iptables_allow_ssh_from_anywhere": True}, [OS_FILES[0]])
    assert result.returncode == 0, result.stdout[-4000:]
    v4 = [line for line in _lines(tmp_path / "out", OS_FILES[0], 4) if "--dport 2222 " in line]
    assert "hashlimit" in v4[0]
    assert v4[1:] == [f'-A {CHAIN} -p tcp -m tcp --dport 2222 -m comment --comment "liftoff: ssh from admin sources (anywhere)" -j ACCEPT']
    v6 = [line for line in _lines(tmp_path / "out", OS_FILES[0], 6) if "--dport 2222 " in line]
    assert v6[0].split()[3] == "2001:db8:1::/48" and "hashlimit" in v6[1] and len(v6) == 2


@pytest.mark.parametrize("family", [4, 6])
def test_extra_rules_come_after_every_accept_of_the_role_and_before_log_and_drop(rendered, family):
    lines = _lines(rendered, OS_FILES[0], family)
    extra = [i for i, line in enumerate(lines) if '--comment "liftoff: iptables_extra_rules[' in line or "search" in line]
    wanted = {4: [f'-A {CHAIN} -m comment --comment "liftoff: iptables_extra_rules[0]" -p udp -m udp --dport 51820 -j ACCEPT',
                  f"-A {CHAIN} -m comment --comment \"liftoff: search 'cluster'\" -s 10.0.0.0/8 -p tcp -m tcp --dport 9300 "
                  "-j REJECT --reject-with tcp-reset"],
              6: [f'-A {CHAIN} -m comment --comment "liftoff: iptables_extra_rules[0]" -p udp -m udp --dport 51820 -j ACCEPT',
                  f'-A {CHAIN} -m comment --comment "liftoff: iptables_extra_rules[2]" -p ipv6-icmp -m icmp6 --icmpv6-type 139 -j DROP']}
    assert [lines[i] for i in extra] == wanted[family]
    role_accepts = [i for i, line in enumerate(lines) if line.endswith("-j ACCEPT") and "iptables_extra_rules" not in line]
    assert max(role_accepts) < extra[0]
    assert extra[-1] < len(lines) - 2 and "-j LOG" in lines[-2] and lines[-1] == f"-A {CHAIN} -j DROP"


def test_shared_rules_split_by_family_with_ranges_and_comments(rendered):
    v4 = _lines(rendered, OS_FILES[0], 4)
    v6 = _lines(rendered, OS_FILES[0], 6)
    assert f'-A {CHAIN} -p tcp -m tcp --dport 443 -m comment --comment "liftoff: public web" -j ACCEPT' in v4
    assert f'-A {CHAIN} -p tcp -m tcp --dport 443 -m comment --comment "liftoff: public web" -j ACCEPT' in v6
    assert f'-A {CHAIN} -s 10.0.0.0/8 -p udp -m udp --dport 53 -m comment --comment "liftoff: dns" -j ACCEPT' in v4
    assert not [line for line in v6 if "--dport 53 " in line]
    assert f"-A {CHAIN} -s 2001:db8:2::/48 -p tcp -m tcp --dport 8000:8010 -m comment --comment \"liftoff: say 'hi'\" -j ACCEPT" in v6
    assert not [line for line in v4 if "--dport 8000" in line]


def test_open_ssh_and_no_logging_render_and_still_end_in_drop(tmp_path):
    result = _run_playbook(tmp_path, {"iptables_ssh_restrict": False, "iptables_log_dropped": False,
                                      "iptables_ssh_rate_limit": "", "liftoff_admin_sources": []}, [OS_FILES[0]])
    assert result.returncode == 0, result.stdout[-4000:]
    lines = _lines(tmp_path / "out", OS_FILES[0], 4)
    ssh = [line for line in lines if "--dport 2222 " in line]
    assert ssh == [f'-A {CHAIN} -p tcp -m tcp --dport 2222 -m comment --comment "liftoff: ssh from anywhere" -j ACCEPT']
    assert not [line for line in lines if "LOG" in line or "hashlimit" in line]
    assert lines[-1] == f"-A {CHAIN} -j DROP"


# Each rule is unit-tested on liftoff.aws.input_report (test_input_report.py); these prove the hook gets the
# role's values as the role builds them (from liftoff_admin_sources, sshd_port, liftoff_firewall_rules) and
# that nothing is rendered after a refusal.
@pytest.mark.parametrize("extra, message", [
    ({"liftoff_admin_sources": ["203.0.113.5/24"], "iptables_revert_seconds": 5},  # both refused in one run
     ["iptables_admin_sources: source '203.0.113.5/24' has host bits set", "iptables_revert_seconds is 5"]),
    ({"liftoff_admin_sources": []}, "iptables_admin_sources is empty while iptables_ssh_restrict is true"),
    ({"sshd_port": 65536}, "iptables_ssh_port is 65536"),
    ({"iptables_extra_rules": ["-p udp --dport 51820 -j WIREGUARD"]},
     "iptables_extra_rules[0]: -j WIREGUARD in '-p udp --dport 51820 -j WIREGUARD': an extra rule may only end in -j ACCEPT"),
    ({"iptables_extra_rules": "-p udp --dport 51820 -j ACCEPT"}, "iptables_extra_rules is \"-p udp --dport 51820 -j ACCEPT\", not a list"),
    ({"liftoff_firewall_rules": [{"name": "web", "port": 80, "sources": ["example.com"]}]},
     "iptables_firewall_rules[0] (web): source 'example.com' is not a CIDR"),
    ({"iptables_config_dir": "/etc/iptables"},
     "iptables_config_dir is '/etc/iptables': iptables_state absent deletes this directory with everything in it, "
     "so it must be one only this role uses: a path under /etc, /var or /opt ending in liftoff/iptables"),
    ({"iptables_config_dir": "/etc/iptables", "iptables_state": "absent"},
     "iptables_config_dir is '/etc/iptables': iptables_state absent deletes"),
])
def test_bad_input_is_refused_naming_the_variable(tmp_path, extra, message):
    result = _run_playbook(tmp_path, extra)
    assert result.returncode != 0
    for expected in [message] if isinstance(message, str) else message:
        assert expected in result.stdout, result.stdout[-3000:]
    assert not list((tmp_path / "out").iterdir()), "nothing may be rendered after a refused input"


@pytest.mark.parametrize("config_dir", ["/etc/liftoff/iptables", "/var/lib/liftoff/iptables/", "/opt/acme/liftoff/iptables"])
def test_a_config_dir_of_its_own_is_accepted(tmp_path, config_dir):
    result = _run_playbook(tmp_path, {"iptables_config_dir": config_dir}, [OS_FILES[0]])
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Refuse what the input check found" in result.stdout  # the input hook ran and passed it


def test_extra_ssh_port_gets_the_same_limit_and_sources_while_sshd_moves(tmp_path):
    result = _run_playbook(tmp_path, {"iptables_ssh_extra_ports": [22, 2222]}, [OS_FILES[0]])
    assert result.returncode == 0, result.stdout[-4000:]
    lines = _lines(tmp_path / "out", OS_FILES[0], 4)
    for port in (2222, 22):
        ssh = [line for line in lines if f"--dport {port} " in line]
        assert len(ssh) == 3, ssh  # the two IPv4 admin sources, then the limit: 2222 is not repeated
        assert "hashlimit" in ssh[2] and ssh[2].endswith("-j DROP")
