"""Pure text in and out: the files written into hosts and into the run directory (no I/O)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from .config import APT_PROXY_PORT, SUITE, TestHostError
from .state import Host


def parse_debian_mirror(sources_text: str, suite: str = SUITE) -> str:
    """The main Debian mirror URL from a deb822 ``debian.sources`` file.

    Takes the first ``Types: deb`` stanza listing ``suite`` itself (not -security/-updates).
    """
    for stanza in re.split(r"\n\s*\n", sources_text):
        fields_: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields_[key.strip().lower()] = value.strip()
        if "deb" in fields_.get("types", "").split() and suite in fields_.get("suites", "").split():
            uris = fields_.get("uris", "").split()
            if uris:
                return uris[0]
    raise TestHostError(f"no 'Types: deb' stanza for suite {suite} in the apt sources")


def network_unit(address: str, address6: str, gateway: str, gateway6: str,
                 prefix: int = 24, prefix6: int = 64) -> str:
    """systemd-networkd configuration for the host's ``host0`` interface (static v4 + v6).

    Duplicate address detection is off for IPv6 so the address is usable the moment the
    link is up; the addresses are unique by construction.
    """
    return (
        "[Match]\nName=host0\n\n"
        "[Network]\n"
        f"Gateway={gateway}\nGateway={gateway6}\n"
        "IPv6AcceptRA=no\nLinkLocalAddressing=ipv6\nLLMNR=no\nMulticastDNS=no\n\n"
        f"[Address]\nAddress={address}/{prefix}\n\n"
        f"[Address]\nAddress={address6}/{prefix6}\nDuplicateAddressDetection=none\n"
    )


def hosts_file(name: str, peers: Iterable[tuple[str, str, str]]) -> str:
    """``/etc/hosts`` for host ``name``; ``peers`` is (name, address, address6) of every run host.

    The host's own name must resolve (else every sudo waits for DNS); it resolves to its
    real address, as on an EC2 instance. The other hosts of the run resolve too.
    """
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters"]
    own = [p for p in peers if p[0] == name]
    if not own:
        lines.append(f"127.0.1.1\t{name}")
    for peer_name, address, address6 in sorted(peers):
        lines.append(f"{address}\t{peer_name}")
        lines.append(f"{address6}\t{peer_name}")
    return "\n".join(lines) + "\n"


def apt_proxy_conf(gateway: str, port: int = APT_PROXY_PORT) -> str:
    """apt configuration pointing at the run's apt-cacher-ng on the bridge address."""
    return (f'Acquire::http::Proxy "http://{gateway}:{port}";\n'
            'Acquire::Retries "2";\nAcquire::http::Timeout "30";\n')


def known_hosts_lines(names: Iterable[str], public_keys: Iterable[str]) -> list[str]:
    """known_hosts lines binding every name/address of a host to each of its public keys.

    ``public_keys`` are the contents of ``ssh_host_*_key.pub`` ("type base64 [comment]").
    Each name is listed bare (port 22) and as ``[name]:*``: on any other port SSH looks the
    host up as ``[name]:port``, and the sshd role can move sshd to another port. The key
    stays the same, so strict host key checking keeps working there too.
    """
    names = list(names)
    patterns = ",".join(names + [f"[{name}]:*" for name in names])
    lines = []
    for key in public_keys:
        parts = key.split()
        if len(parts) >= 2:
            lines.append(f"{patterns} {parts[0]} {parts[1]}")
    return lines


def _yaml_scalar(value: object) -> str:
    """A YAML scalar: JSON's encoding is valid YAML and needs no quoting rules of its own."""
    return json.dumps(value)


def inventory_yaml(hosts: list["Host"], run_dir: Path | str) -> str:
    """An Ansible YAML inventory: group ``testhosts`` with one entry per running host."""
    run_dir = Path(run_dir)
    ssh_args = (f"-o UserKnownHostsFile={run_dir / 'known_hosts'} -o StrictHostKeyChecking=yes "
                "-o IdentitiesOnly=yes")
    lines = ["---", "all:", "  children:", "    testhosts:", "      hosts:"]
    if not hosts:
        lines[-1] += " {}"
    for host in hosts:
        lines.append(f"        {host.name}:")
        for key, value in (
            ("ansible_host", host.address), ("ansible_port", host.port),
            ("ansible_user", host.user), ("ansible_ssh_private_key_file", host.identity_file),
            ("ansible_ssh_common_args", ssh_args),
            ("testhost_address6", host.address6), ("testhost_netns", host.netns),
        ):
            lines.append(f"          {key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def ssh_config_text(hosts: list["Host"], run_dir: Path | str) -> str:
    """An ssh_config: ``ssh -F DIR/ssh_config NAME`` (IPv4) and ``NAME-v6`` (IPv6)."""
    run_dir = Path(run_dir)
    blocks = []
    for host in hosts:
        for alias, address in ((host.name, host.address), (f"{host.name}-v6", host.address6)):
            blocks.append(
                f"Host {alias}\n"
                f"  HostName {address}\n"
                f"  Port {host.port}\n"
                f"  User {host.user}\n"
                f"  IdentityFile {host.identity_file}\n"
                "  IdentitiesOnly yes\n"
                f"  UserKnownHostsFile {run_dir / 'known_hosts'}\n"
                "  StrictHostKeyChecking yes\n"
                "  ConnectTimeout 10\n"
                "  LogLevel ERROR\n")
    return "\n".join(blocks)
