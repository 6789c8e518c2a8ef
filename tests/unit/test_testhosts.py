"""Unit tests for the pure logic of tests/harness/testhosts/ (no root, no containers)."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.harness import testhosts as th
from tests.harness.testhosts import cli as th_cli
from tests.harness.testhosts import lifecycle as th_lifecycle
from tests.harness.testhosts import network as th_network
from tests.harness.testhosts import rootfs as th_rootfs


# -- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a", "h1", "testbed-a", "abcdefghijk", "0-9"])
def test_valid_names(name):
    assert th.validate_name(name) == name


@pytest.mark.parametrize("name", ["", "A", "host_1", "-lead", "trail-", "abcdefghijkl", "a b", "a.b", "ü"])
def test_invalid_names(name):
    with pytest.raises(ValueError):
        th.validate_name(name)


def test_names_fit_in_a_veth_name():
    longest = "a" * 11
    assert len(f"vb-{th.validate_name(longest)}") <= 15


def test_default_names_are_valid_unique_and_per_run(tmp_path):
    names = th.default_names(tmp_path / "one", 8)
    assert len(set(names)) == 8
    assert all(th.validate_name(n) for n in names)
    assert set(names).isdisjoint(th.default_names(tmp_path / "two", 8))
    assert names == th.default_names(tmp_path / "one", 8)  # stable across calls


@pytest.mark.parametrize("count", [0, -1, 254])
def test_default_names_rejects_bad_counts(tmp_path, count):
    with pytest.raises(ValueError):
        th.default_names(tmp_path, count)


# What systemd's machine_name_is_valid() (a hostname) and ifname_valid() need, stated apart from
# the code under test: lowercase DNS label characters, and "vb-" + machine within IFNAMSIZ - 1.
_MACHINE_CHARSET = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def _assert_good_machine(machine):
    assert 1 <= len(machine) <= 12, machine
    assert _MACHINE_CHARSET.fullmatch(machine), machine
    assert len(f"vb-{machine}") <= 15  # nspawn only shortens (hashes) names longer than this
    assert th.validate_machine(machine) == machine


@pytest.mark.parametrize("slot", [1, 2, 9, 10, 99, 100, 254])
def test_machine_name_is_short_valid_and_fits_the_veth(tmp_path, slot):
    _assert_good_machine(th.machine_name(tmp_path / "run", slot))


def test_machine_name_is_stable_for_one_run_dir(tmp_path):
    assert th.machine_name(tmp_path / "a", 2) == th.machine_name(tmp_path / "a", 2)
    assert th.machine_name(tmp_path / "a", 2) == th.machine_name(str(tmp_path / "a"), 2)


def test_machine_names_are_distinct_within_a_run_and_between_runs(tmp_path):
    a = [th.machine_name(tmp_path / "tbA", slot) for slot in range(2, 255)]
    b = [th.machine_name(tmp_path / "tbB", slot) for slot in range(2, 255)]
    assert len(set(a)) == len(a) and len(set(b)) == len(b)
    assert set(a).isdisjoint(b)


@pytest.mark.parametrize("slot", [0, -1, 255])
def test_machine_name_rejects_bad_slots(tmp_path, slot):
    with pytest.raises(ValueError):
        th.machine_name(tmp_path, slot)


@pytest.mark.parametrize("machine", ["", "M1", "a_b", "-a", "a-", "a" * 13, "../etc", "a.b", "a/b"])
def test_invalid_machine_names(machine):
    with pytest.raises(ValueError):
        th.validate_machine(machine)


@pytest.mark.parametrize("name", ["a", "h1", "testbed-a", "abcdefghijk", "0-9"])
def test_host_names_are_valid_machine_names(name):
    assert th.validate_machine(name) == name  # hosts recorded before machine names use their name


def test_veth_name_is_what_nspawn_makes(tmp_path):
    machine = th.machine_name(tmp_path, 254)
    assert th.veth_name(machine) == "vb-" + machine and len(th.veth_name(machine)) <= 15
    with pytest.raises(ValueError):
        th.veth_name("a" * 13)


def test_nspawn_runtime_dirs_are_per_machine():
    assert th.nspawn_runtime_dirs("m1234567-2") == [
        th.NSPAWN_RUN_DIR / "propagate" / "m1234567-2", th.NSPAWN_RUN_DIR / "unix-export" / "m1234567-2"]
    with pytest.raises(ValueError):
        th.nspawn_runtime_dirs("../x")


def test_bridge_name_is_short_and_derived_from_run_dir(tmp_path):
    a, b = th.bridge_name(tmp_path / "a"), th.bridge_name(tmp_path / "b")
    assert a != b and a.startswith("ltb") and len(a) <= 15
    assert th.bridge_name(tmp_path / "a") == a


def test_bridge_mac_is_locally_administered_unicast(tmp_path):
    mac = th.bridge_mac(tmp_path)
    first = int(mac.split(":")[0], 16)
    assert len(mac.split(":")) == 6 and first & 0b10 and not first & 0b1


# -- addresses ----------------------------------------------------------------------------------

def test_address_pair_and_subnets():
    assert th.address_pair(7, 1) == ("10.213.7.1", "fd00:213:7::1")
    assert th.address_pair(7, 12) == ("10.213.7.12", "fd00:213:7::c")
    net4, net6 = th.subnets(255)
    assert net4 == ipaddress.IPv4Network("10.213.255.0/24")
    assert net6 == ipaddress.IPv6Network("fd00:213:255::/64")


@pytest.mark.parametrize("index,slot", [(-1, 2), (256, 2), (0, 0), (0, 255)])
def test_address_pair_range_checks(index, slot):
    with pytest.raises(ValueError):
        th.address_pair(index, slot)


def test_distinct_subnet_indexes_never_share_a_network():
    seen4, seen6 = set(), set()
    for index in range(256):
        net4, net6 = th.subnets(index)
        assert net4 not in seen4 and net6 not in seen6
        seen4.add(net4)
        seen6.add(net6)


def test_free_slot_skips_gateway_and_used():
    assert th.free_slot([]) == 2
    assert th.free_slot([2, 3, 5]) == 4
    with pytest.raises(th.TestHostError):
        th.free_slot(range(2, 255))


def test_subnet_indexes_in_use_reads_ip_json():
    ip_json = json.dumps([
        {"ifname": "eth0", "addr_info": [{"local": "192.0.2.2"}, {"local": "fd00::2"}]},
        {"ifname": "ltbaaaa", "addr_info": [{"local": "10.213.4.1"}, {"local": "fd00:213:9::1"}]},
        {"ifname": "other", "addr_info": [{"local": "10.2130.1.1"}, {"local": "10.213.12.7"}]},
    ])
    assert th.subnet_indexes_in_use(ip_json) == {4, 9, 12}
    assert th.subnet_indexes_in_use("") == set()


def test_pick_subnet_index():
    assert th.pick_subnet_index([]) == 0
    assert th.pick_subnet_index([0, 1, 3]) == 2
    with pytest.raises(th.TestHostError):
        th.pick_subnet_index(range(256))


# -- apt sources --------------------------------------------------------------------------------

SOURCES = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_parse_debian_mirror():
    assert th.parse_debian_mirror(SOURCES) == "http://deb.debian.org/debian"


def test_parse_debian_mirror_skips_source_and_security_stanzas():
    text = ("Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n"
            "Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\n\n"
            "Types: deb\nURIs: http://mirror.example/debian http://second.example/debian\nSuites: bookworm\n")
    assert th.parse_debian_mirror(text) == "http://mirror.example/debian"


def test_parse_debian_mirror_without_match():
    with pytest.raises(th.TestHostError):
        th.parse_debian_mirror("Types: deb\nURIs: http://x/debian\nSuites: trixie\n")


def test_recipe_version_is_stable_and_tracks_the_recipe(monkeypatch):
    version = th.recipe_version()
    assert version == th.recipe_version() and len(version) == 16
    monkeypatch.setattr(th_rootfs, "LATE_PACKAGES", th.LATE_PACKAGES + ("rsync",))  # where it is looked up
    assert th.recipe_version() != version


def test_recipe_has_what_the_roles_need():
    for package in ("openssh-server", "python3", "python3-apt", "sudo", "iptables", "systemd-sysv"):
        assert package in th.BASE_PACKAGES
    assert {"netfilter-persistent", "iptables-persistent"} <= set(th.LATE_PACKAGES)
    assert "autosave_v4 boolean false" in th.DEBCONF_SELECTIONS


# -- rendered host files ------------------------------------------------------------------------

def test_network_unit():
    text = th.network_unit("10.213.3.2", "fd00:213:3::2", "10.213.3.1", "fd00:213:3::1")
    assert "Name=host0" in text
    assert "Address=10.213.3.2/24" in text and "Address=fd00:213:3::2/64" in text
    assert "Gateway=10.213.3.1" in text and "Gateway=fd00:213:3::1" in text


def test_hosts_file_resolves_own_name_and_peers():
    text = th.hosts_file("a", [("a", "10.213.0.2", "fd00:213:0::2"), ("b", "10.213.0.3", "fd00:213:0::3")])
    lines = [line.split("\t") for line in text.splitlines()]
    assert ["10.213.0.2", "a"] in lines and ["fd00:213:0::2", "a"] in lines
    assert ["10.213.0.3", "b"] in lines
    assert ["127.0.0.1", "localhost"] in lines


def test_hosts_file_without_own_address_falls_back_to_loopback():
    assert "127.0.1.1\tsolo" in th.hosts_file("solo", [])


def test_apt_proxy_conf():
    assert 'Acquire::http::Proxy "http://10.213.1.1:3142";' in th.apt_proxy_conf("10.213.1.1")


def test_known_hosts_lines():
    keys = ["ssh-ed25519 AAAAC3Nz root@x\n", "ecdsa-sha2-nistp256 AAAAE2 root@x", "garbage"]
    assert th.known_hosts_lines(["h", "10.0.0.2", "fd00::2"], keys) == [
        "h,10.0.0.2,fd00::2,[h]:*,[10.0.0.2]:*,[fd00::2]:* ssh-ed25519 AAAAC3Nz",
        "h,10.0.0.2,fd00::2,[h]:*,[10.0.0.2]:*,[fd00::2]:* ecdsa-sha2-nistp256 AAAAE2",
    ]


def test_known_hosts_lines_accepts_a_generator():
    lines = th.known_hosts_lines(iter(["h", "10.0.0.2"]), ["ssh-ed25519 AAAAC3Nz"])
    assert lines == ["h,10.0.0.2,[h]:*,[10.0.0.2]:* ssh-ed25519 AAAAC3Nz"]


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen (openssh-client)")
def test_known_hosts_lines_match_in_openssh_on_any_port(tmp_path):
    """OpenSSH itself finds the key for the bare names and for [name]:port, and only for those."""
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    known = tmp_path / "known_hosts"
    lines = th.known_hosts_lines(["h1", "10.213.0.2", "fd00:213:0::2"], [(tmp_path / "key.pub").read_text()])
    known.write_text("\n".join(lines) + "\n")

    def found(host: str) -> bool:
        proc = subprocess.run(["ssh-keygen", "-F", host, "-f", str(known)], capture_output=True, check=False)
        return proc.returncode == 0

    for host in ("h1", "10.213.0.2", "fd00:213:0::2", "[10.213.0.2]:2222", "[fd00:213:0::2]:2200", "[h1]:2222"):
        assert found(host), host
    for host in ("h2", "10.213.0.3", "[10.213.0.3]:2222", "[fd00:213:0::3]:22"):
        assert not found(host), host


def _host(name="h1", slot=2):
    address, address6 = th.address_pair(5, slot)
    return th.Host(name, address, address6, "liftoff", 22, "/run dir/id_ed25519", 123, name, "ltbx", slot,
                   state="running")


def test_inventory_yaml_is_valid_ansible_inventory(tmp_path):
    data = yaml.safe_load(th.inventory_yaml([_host("h1", 2), _host("h2", 3)], tmp_path))
    hosts = data["all"]["children"]["testhosts"]["hosts"]
    assert hosts["h1"]["ansible_host"] == "10.213.5.2"
    assert hosts["h2"]["testhost_address6"] == "fd00:213:5::3"
    assert hosts["h1"]["ansible_ssh_private_key_file"] == "/run dir/id_ed25519"
    assert f"UserKnownHostsFile={tmp_path}/known_hosts" in hosts["h1"]["ansible_ssh_common_args"]
    assert "StrictHostKeyChecking=yes" in hosts["h1"]["ansible_ssh_common_args"]


def test_inventory_yaml_without_hosts(tmp_path):
    data = yaml.safe_load(th.inventory_yaml([], tmp_path))
    assert data["all"]["children"]["testhosts"]["hosts"] == {}


def test_ssh_config_has_v4_and_v6_aliases(tmp_path):
    text = th.ssh_config_text([_host()], tmp_path)
    assert "Host h1\n  HostName 10.213.5.2\n" in text
    assert "Host h1-v6\n  HostName fd00:213:5::2\n" in text
    assert "StrictHostKeyChecking yes" in text


# -- mounts, cgroups, banners -------------------------------------------------------------------

MOUNTINFO = """\
22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
32 30 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
40 22 0:40 / /run/x/machines/h1/root rw - overlay overlay rw,lowerdir=/var/cache/r
41 40 0:41 / /run/x/machines/h1/root/proc rw - proc proc rw
42 22 0:42 / /run/x/machines/h10/root rw - overlay overlay rw
43 22 0:43 / /with\\040space rw - tmpfs tmpfs rw
"""


def test_mounts_under_is_deepest_first_and_exact_on_prefixes():
    assert th.mounts_under(MOUNTINFO, "/run/x/machines/h1") == [
        "/run/x/machines/h1/root/proc", "/run/x/machines/h1/root"]
    assert th.mounts_under(MOUNTINFO, "/nothing") == []


def test_mount_points_decode_escapes():
    assert "/with space" in th.mount_points(MOUNTINFO)


def test_host_cgroups_are_named_by_run_id_and_machine():
    info = th.RunInfo("abcd1234", "ltbabcd1234", 3, "10.213.3.1", "fd00:213:3::1")
    assert th.host_cgroups(info, "mabcd123-2", MOUNTINFO) == [
        Path("/sys/fs/cgroup/systemd/liftoff-testhosts/abcd1234/mabcd123-2"),
        Path("/sys/fs/cgroup/unified/liftoff-testhosts/abcd1234/mabcd123-2")]
    with pytest.raises(ValueError):
        th.host_cgroups(info, "../escape", MOUNTINFO)


def test_nspawn_argv_uses_the_machine_name_and_keeps_the_host_name_as_hostname(tmp_path):
    host = _host("web1", 2)
    host.machine = th.machine_name(tmp_path, 2)
    argv = th.nspawn_argv(Path("/run dir/machines/web1/root"), host)
    assert f"--machine={host.machine}" in argv and "--hostname=web1" in argv
    assert "--machine=web1" not in argv
    assert "--network-bridge=ltbx" in argv and "--directory=/run dir/machines/web1/root" in argv


def test_cgroup_hierarchies_are_systemd_and_unified():
    assert th.cgroup_hierarchies(MOUNTINFO) == ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]


def test_ssh_banner_ok():
    assert th.ssh_banner_ok(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5\r\n")
    assert not th.ssh_banner_ok(b"HTTP/1.1 400")
    assert not th.ssh_banner_ok(b"")


@pytest.mark.parametrize("path", ["/a,b", "/a:b", "/a b"])
def test_check_overlay_path_rejects_option_separators(path):
    with pytest.raises(th.TestHostError):
        th.check_overlay_path(path)


def test_check_overlay_path_accepts_plain_paths():
    assert th.check_overlay_path(Path("/root/.ansible/tmp/molecule.x.testbed")) == "/root/.ansible/tmp/molecule.x.testbed"


# -- state files --------------------------------------------------------------------------------

def test_hosts_json_round_trip_and_required_fields(tmp_path):
    hosts = [_host("h2", 3), _host("h1", 2)]
    th.save_hosts(tmp_path, hosts)
    raw = json.loads((tmp_path / "hosts.json").read_text())
    assert [h["name"] for h in raw] == ["h1", "h2"]
    for key in ("name", "address", "address6", "user", "port", "identity_file", "pid", "netns", "bridge"):
        assert key in raw[0]
    assert th.load_hosts(tmp_path) == sorted(hosts, key=lambda h: h.name)


def test_load_hosts_ignores_unknown_keys_and_missing_file(tmp_path):
    assert th.load_hosts(tmp_path) == []
    (tmp_path / "hosts.json").write_text(json.dumps([{**vars(_host()), "future_field": 1}]))
    assert th.load_hosts(tmp_path)[0].name == "h1"


def test_hosts_json_records_the_machine_name(tmp_path):
    host = _host("web1", 2)
    host.machine = host.netns = th.machine_name(tmp_path, 2)
    th.save_hosts(tmp_path, [host])
    raw = json.loads((tmp_path / "hosts.json").read_text())
    assert raw[0]["machine"] == host.machine and raw[0]["name"] == "web1"
    assert th.load_hosts(tmp_path) == [host]


# hosts.json as written before hosts had a machine name (no "machine" key).
OLD_HOSTS_JSON = [{
    "name": "sshd1", "address": "10.213.4.2", "address6": "fd00:213:4::2", "user": "liftoff",
    "port": 22, "identity_file": "/tmp/old/id_ed25519", "pid": None, "netns": "sshd1",
    "bridge": "ltb0123abcd", "slot": 2, "init_pid": None, "state": "stopped",
    "cgroups": ["/sys/fs/cgroup/liftoff-testhosts/0123abcd/sshd1"],
}]


def test_old_hosts_json_without_machine_loads_with_the_host_name_as_machine(tmp_path):
    (tmp_path / "hosts.json").write_text(json.dumps(OLD_HOSTS_JSON))
    [host] = th.load_hosts(tmp_path)
    assert host.name == "sshd1" and host.machine == "sshd1" and host.netns == "sshd1"
    assert host.cgroups == OLD_HOSTS_JSON[0]["cgroups"]
    assert th.nspawn_argv(Path("/r"), host)[4:6] == ["--machine=sshd1", "--hostname=sshd1"]
    th.save_hosts(tmp_path, [host])  # rewritten with the machine name spelled out
    assert json.loads((tmp_path / "hosts.json").read_text())[0]["machine"] == "sshd1"


def _record_release(monkeypatch, tmp_path, present):
    """Run release_links against fake /sys/class/net, /run/netns and /run/systemd/nspawn."""
    calls = []
    netns_dir, nspawn_dir = tmp_path / "netns", tmp_path / "nspawn"
    monkeypatch.setattr(th_network, "NETNS_DIR", netns_dir)
    monkeypatch.setattr(th_network, "NSPAWN_RUN_DIR", nspawn_dir)
    monkeypatch.setattr(th_network, "link_exists", lambda name: name in present)
    monkeypatch.setattr(th_network, "run", lambda argv, **kw: calls.append(argv))
    monkeypatch.setattr(th_network, "unmount_all_under", lambda path: None)
    for name in present:
        netns_dir.mkdir(exist_ok=True)
        (netns_dir / name).touch()
        for sub in ("propagate", "unix-export"):
            (nspawn_dir / sub / name).mkdir(parents=True)
    return calls, nspawn_dir


def test_release_links_of_an_old_host_uses_its_host_name(monkeypatch, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "hosts.json").write_text(json.dumps(OLD_HOSTS_JSON))
    [host] = th.load_hosts(tmp_path / "run")
    calls, nspawn_dir = _record_release(monkeypatch, tmp_path, {"vb-sshd1", "sshd1"})
    th.release_links(host)
    assert ["ip", "link", "delete", "vb-sshd1"] in calls
    assert ["ip", "netns", "delete", "sshd1"] in calls
    assert not (nspawn_dir / "propagate" / "sshd1").exists()
    assert not (nspawn_dir / "unix-export" / "sshd1").exists()


def test_release_links_uses_the_machine_name_not_the_shared_host_name(monkeypatch, tmp_path):
    host = _host("web1", 2)
    host.machine = host.netns = th.machine_name(tmp_path / "tbA", 2)
    other = {"vb-web1", "web1"}  # another run's old-style host of the same name
    calls, nspawn_dir = _record_release(monkeypatch, tmp_path, {f"vb-{host.machine}", host.machine} | other)
    th.release_links(host)
    assert ["ip", "link", "delete", f"vb-{host.machine}"] in calls
    assert ["ip", "netns", "delete", host.machine] in calls
    assert not any("web1" in argv for argv in calls), calls
    assert not (nspawn_dir / "propagate" / host.machine).exists()
    assert (nspawn_dir / "propagate" / "web1").exists()


def test_run_json_round_trip(tmp_path):
    assert th.load_run(tmp_path) is None
    info = th.RunInfo("abcd1234", "ltbabcd1234", 3, "10.213.3.1", "fd00:213:3::1", 99, "http://10.213.3.1:3142")
    th.save_run(tmp_path, info)
    assert th.load_run(tmp_path) == info


def test_write_atomic_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    th.write_atomic(target, "one")
    th.write_atomic(target, "two", mode=0o600)
    assert target.read_text() == "two"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert os.listdir(target.parent) == ["f.txt"]


def test_write_in_root_replaces_symlinks_instead_of_following_them(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside.txt"
    (root / "etc").mkdir(parents=True)
    outside.write_text("machine file")
    (root / "etc" / "resolv.conf").symlink_to(outside)
    th.write_in_root(root, "etc/resolv.conf", "nameserver 127.0.0.1\n", uid=os.getuid(), gid=os.getgid())
    assert outside.read_text() == "machine file"
    assert not (root / "etc" / "resolv.conf").is_symlink()
    assert (root / "etc" / "resolv.conf").read_text() == "nameserver 127.0.0.1\n"


def test_write_in_root_refuses_symlinked_directories(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "etc").symlink_to(elsewhere)
    with pytest.raises(th.TestHostError):
        th.write_in_root(root, "etc/hostname", "x\n", uid=os.getuid(), gid=os.getgid())
    assert list(elsewhere.iterdir()) == []


def test_user_ids_reads_passwd(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\nliftoff:x:1000:1000::/home/liftoff:/bin/bash\n")
    assert th.user_ids(tmp_path, "liftoff") == (1000, 1000, "/home/liftoff")
    with pytest.raises(th.TestHostError):
        th.user_ids(tmp_path, "nobody")


# -- registry -----------------------------------------------------------------------------------

def _registry(tmp_path, boot_time=0.0):
    return th.Registry(tmp_path / "registry", boot_time=boot_time)


def test_registry_gives_concurrent_runs_distinct_subnets(tmp_path):
    reg = _registry(tmp_path)
    runs = [tmp_path / f"run{i}" for i in range(3)]
    for run_dir in runs:
        run_dir.mkdir()
    with reg.locked():
        indexes = [reg.reserve_subnet(r, in_use_on_machine=set()) for r in runs]
    assert indexes == [0, 1, 2]
    with reg.locked():
        assert reg.reserve_subnet(runs[1], set()) == 1  # same run: same subnet


def test_registry_avoids_subnets_seen_on_the_machine(tmp_path):
    reg = _registry(tmp_path)
    (tmp_path / "run").mkdir()
    with reg.locked():
        assert reg.reserve_subnet(tmp_path / "run", in_use_on_machine={0, 1}) == 2


def test_registry_release_and_reuse(tmp_path):
    reg = _registry(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    with reg.locked():
        reg.reserve_subnet(a, set())
        reg.release_subnet(a)
        assert reg.subnet_of(a) is None
        assert reg.reserve_subnet(b, set()) == 0


def test_registry_drops_reservations_of_deleted_run_dirs(tmp_path):
    reg = _registry(tmp_path)
    gone, live = tmp_path / "gone", tmp_path / "live"
    gone.mkdir()
    live.mkdir()
    with reg.locked():
        reg.reserve_subnet(gone, set())
    gone.rmdir()
    with reg.locked():
        assert reg.reserve_subnet(live, set()) == 0


def test_registry_drops_reservations_from_before_boot_unless_still_in_use(tmp_path):
    old_run, new_run = tmp_path / "old", tmp_path / "new"
    old_run.mkdir()
    new_run.mkdir()
    reg = _registry(tmp_path)
    with reg.locked():
        reg.reserve_subnet(old_run, set())
    rebooted = _registry(tmp_path, boot_time=time.time() + 60)
    with rebooted.locked():
        assert rebooted.reserve_subnet(new_run, in_use_on_machine={0}) == 1  # bridge still there
        rebooted.release_subnet(new_run)
        assert rebooted.reserve_subnet(new_run, in_use_on_machine=set()) == 0  # stale, reclaimed


def test_registry_names_conflict_between_live_runs(tmp_path):
    reg = _registry(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    with reg.locked():
        reg.claim_names(a, ["web1", "web2"])
        reg.claim_names(a, ["web1"])  # same run again is fine
        with pytest.raises(th.TestHostError, match="web2"):
            reg.claim_names(b, ["web2"])
        reg.release_names(a, ["web2"])
        reg.claim_names(b, ["web2"])
        reg.release_names(a, ["web2"])  # not a's any more: left alone
        assert (reg.base / "names" / "web2").read_text().strip() == str(b.absolute())


def test_registry_names_of_deleted_runs_are_reclaimed(tmp_path):
    reg = _registry(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    with reg.locked():
        reg.claim_names(a, ["web1"])
    a.rmdir()
    with reg.locked():
        reg.claim_names(b, ["web1"])


def test_registry_lets_two_runs_share_host_names_through_distinct_machine_names(tmp_path):
    reg = _registry(tmp_path)
    a, b = tmp_path / "tbA", tmp_path / "tbB"
    a.mkdir()
    b.mkdir()
    info = th.RunInfo("x", "ltbx", 5, "10.213.5.1", "fd00:213:5::1")
    plan_a = th_lifecycle._plan_new_hosts(a, ["web1", "web2"], {}, info, a / "id_ed25519")
    plan_b = th_lifecycle._plan_new_hosts(b, ["web1", "web2"], {}, info, b / "id_ed25519")
    assert [h.name for h in plan_a] == [h.name for h in plan_b] == ["web1", "web2"]
    with reg.locked():
        reg.claim_names(a, [h.machine for h in plan_a])
        reg.claim_names(b, [h.machine for h in plan_b])
        with pytest.raises(th.TestHostError, match=plan_a[0].machine):
            reg.claim_names(b, [plan_a[0].machine])
    assert sorted(p.name for p in (reg.base / "names").iterdir()) == sorted(
        h.machine for h in plan_a + plan_b)


def test_plan_new_hosts_takes_free_slots_and_machine_names_from_them(tmp_path):
    info = th.RunInfo("x", "ltbx", 5, "10.213.5.1", "fd00:213:5::1")
    existing = _host("web1", 2)
    existing.machine = existing.netns = th.machine_name(tmp_path, 2)
    plan = th_lifecycle._plan_new_hosts(tmp_path, ["web1", "db1", "db2"], {"web1": existing}, info,
                                        tmp_path / "id_ed25519")
    assert [(h.name, h.slot) for h in plan] == [("db1", 3), ("db2", 4)]
    for host in plan:
        _assert_good_machine(host.machine)
        assert host.machine == host.netns == th.machine_name(tmp_path, host.slot)
        assert (host.address, host.address6) == th.address_pair(5, host.slot)
        assert host.bridge == "ltbx" and host.identity_file == str(tmp_path / "id_ed25519")


def test_a_new_host_is_refused_when_its_machine_netns_exists_not_its_host_name(monkeypatch, tmp_path):
    monkeypatch.setattr(th_lifecycle, "NETNS_DIR", tmp_path)
    host = _host("web1", 2)
    host.machine = host.netns = th.machine_name(tmp_path / "run", 2)
    (tmp_path / "web1").touch()  # another run's host of the same name: no clash
    th_lifecycle._check_machine_free(host)
    (tmp_path / host.machine).touch()
    with pytest.raises(th.TestHostError, match=f"machine name {host.machine} \\(host web1\\) is taken"):
        th_lifecycle._check_machine_free(host)


def test_registry_rejects_invalid_names(tmp_path):
    reg = _registry(tmp_path)
    with reg.locked(), pytest.raises(ValueError):
        reg.claim_names(tmp_path, ["../etc"])


# -- CLI ----------------------------------------------------------------------------------------

def test_cli_rejects_count_with_names(tmp_path, capsys):
    assert th.main(["up", "--run-dir", str(tmp_path), "--count", "2", "a"]) == 1
    assert "either --count or names" in capsys.readouterr().err


def test_cli_rejects_invalid_names_before_touching_the_machine(tmp_path, capsys):
    assert th.main(["up", "--run-dir", str(tmp_path), "Bad_Name"]) == 1
    assert "invalid host name" in capsys.readouterr().err


def test_down_on_missing_run_dir_is_a_no_op(tmp_path):
    assert th.main(["down", "--run-dir", str(tmp_path / "never-created")]) == 0


def test_status_of_empty_run_dir_is_not_up(tmp_path, capsys):
    assert th.main(["status", "--run-dir", str(tmp_path)]) == 1
    assert json.loads(capsys.readouterr().out) == []


def test_all_up():
    assert th.all_up([{"alive": True, "ssh": True}, {"alive": True, "ssh": True}])
    assert not th.all_up([{"alive": True, "ssh": True}, {"alive": True, "ssh": False}])
    assert not th.all_up([{"alive": False, "ssh": False}])
    assert not th.all_up([])


def test_every_listed_debian_package_is_known_to_check():
    """`check` reads scripts/debian-packages.txt: each package there has a PACKAGE_TOOLS entry,
    and each package whose program booting hosts needs is on the list."""
    listed = th.listed_packages()
    assert th.PACKAGE_LIST.name == "debian-packages.txt" and th.PACKAGE_LIST.exists()
    assert set(listed) <= set(th.PACKAGE_TOOLS), set(listed) - set(th.PACKAGE_TOOLS)
    needed = {package for package, tool in th.PACKAGE_TOOLS.items() if tool}
    assert needed <= set(listed), needed - set(listed)
    assert set(th.required_tools(listed)) == {
        ("systemd-nspawn", "systemd-container"), ("debootstrap", "debootstrap"),
        ("ip", "iproute2"), ("ssh-keygen", "openssh-client")}


def test_read_package_list_and_required_tools():
    text = "# comment\nrsync\n\n  debootstrap  # the rootfs\nrsync\nunknown-pkg\n"
    assert th.read_package_list(text) == ["rsync", "debootstrap", "unknown-pkg"]
    assert th.required_tools(th.read_package_list(text)) == [("debootstrap", "debootstrap")]


def test_listed_packages_falls_back_to_the_table(tmp_path):
    assert th.listed_packages(tmp_path / "missing.txt") == list(th.PACKAGE_TOOLS)


def test_machine_problems_names_missing_programs_with_their_package(monkeypatch):
    from tests.harness.testhosts import preflight

    monkeypatch.setattr(preflight.shutil, "which", lambda tool: None if tool == "debootstrap" else "/bin/" + tool)
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 1000)
    problems = preflight.machine_problems()
    assert "debootstrap not found (apt-get install debootstrap)" in problems
    assert not any("systemd-nspawn" in p and "not found" in p for p in problems)
    assert problems[0].startswith("not root")


# -- block devices bound into a host (up --device) ---------------------------------------------------

def test_nspawn_argv_binds_the_hosts_devices_and_nothing_by_default():
    host = _host("dv1", 2)
    assert not [a for a in th.nspawn_argv(Path("/r"), host) if a.startswith("--bind")]
    host.devices = ["/dev/loop7", "/dev/loop8"]
    argv = th.nspawn_argv(Path("/r"), host)
    assert [a for a in argv if a.startswith("--bind")] == ["--bind=/dev/loop7", "--bind=/dev/loop8"]


def test_devices_are_kept_in_hosts_json_for_a_later_start(tmp_path):
    host = _host("dv1", 2)
    host.devices = ["/dev/loop7"]
    th.save_hosts(tmp_path, [host])
    assert th.load_hosts(tmp_path)[0].devices == ["/dev/loop7"]


def test_hosts_json_without_devices_loads_with_none():
    data = {"name": "old", "address": "10.213.5.2", "address6": "fd00:213:5::2", "user": "liftoff", "port": 22,
            "identity_file": "/k", "pid": None, "netns": "old", "bridge": "ltbx"}
    assert th.Host.from_dict(data).devices == []


def test_parse_devices_maps_hosts_to_their_devices():
    assert th.parse_devices(["dv1=/dev/loop3", "dv1=/dev/loop4", "dv2=/dev/loop5"], ["dv1", "dv2"]) == {
        "dv1": ["/dev/loop3", "/dev/loop4"], "dv2": ["/dev/loop5"]}
    assert th.parse_devices([], ["dv1"]) == {}


def test_parse_devices_may_show_a_device_under_other_paths_of_the_same_host():
    specs = ["dv1=/dev/loop3", "dv1=/dev/loop3:/dev/xvdf", "dv1=/dev/loop3:/dev/disk/by-id/nvme-Amazon_x",
             "dv1=/dev/loop4:/dev/loop4"]
    assert th.parse_devices(specs, ["dv1"]) == {
        "dv1": ["/dev/loop3", "/dev/loop3:/dev/xvdf", "/dev/loop3:/dev/disk/by-id/nvme-Amazon_x", "/dev/loop4"]}
    host = _host("dv1", 2)
    host.devices = th.parse_devices(["dv1=/dev/loop3:/dev/xvdf"], ["dv1"])["dv1"]
    assert "--bind=/dev/loop3:/dev/xvdf" in th.nspawn_argv(Path("/r"), host)


@pytest.mark.parametrize("spec, why", [
    ("/dev/loop3", "NAME=/dev/DEVICE"),
    ("other=/dev/loop3", "NAME=/dev/DEVICE"),
    ("dv1=/tmp/disk.img", "a path like /dev/loop3"),
    ("dv1=/dev/../etc/shadow", "a path like /dev/loop3"),
    ("dv1=/dev/loop3:/etc/shadow", "a path under /dev"),
    ("dv1=/dev/loop3:/dev/../etc", "a path under /dev"),
    ("dv1=/dev/loop3:/dev/x:/y", "a path under /dev"),
    ("dv1=/dev/disk/by-id/x", "a path like /dev/loop3"),
])
def test_parse_devices_refuses_bad_options(spec, why):
    with pytest.raises(th.TestHostError, match=re.escape(why)):
        th.parse_devices([spec], ["dv1", "dv2"])


def test_parse_devices_refuses_one_device_for_two_hosts():
    with pytest.raises(th.TestHostError, match="given to both dv1 and dv2"):
        th.parse_devices(["dv1=/dev/loop3", "dv2=/dev/loop3:/dev/xvdf"], ["dv1", "dv2"])


def test_check_block_devices_refuses_files_and_missing_paths(tmp_path):
    (tmp_path / "disk.img").write_bytes(b"")
    with pytest.raises(th.TestHostError, match="not a block device"):
        th.check_block_devices([str(tmp_path / "disk.img")])
    with pytest.raises(th.TestHostError, match="No such file"):
        th.check_block_devices([str(tmp_path / "missing") + ":/dev/xvdf"])
    th.check_block_devices([])


def test_up_refuses_a_device_that_is_not_a_block_device_before_booting(tmp_path, monkeypatch):
    monkeypatch.setattr(th_lifecycle, "require_machine", lambda: pytest.fail("checked the machine first"))
    with pytest.raises(th.TestHostError, match="not a block device"):
        th.up(tmp_path / "run", ["dv1"], devices={"dv1": ["/dev/null"]})
    assert not (tmp_path / "run").exists()


def test_cli_up_passes_devices(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(th_cli, "up", lambda run_dir, names, **kw: seen.update(names=names, **kw) or [])
    assert th.main(["up", "--run-dir", str(tmp_path), "--device", "dv1=/dev/loop3", "dv1", "dv2"]) == 0
    assert seen["names"] == ["dv1", "dv2"] and seen["devices"] == {"dv1": ["/dev/loop3"]}
