"""The sshd role's drop-in, rendered with the role's own defaults and vars by Ansible's templar.

One render per OpenSSH release the supported distributions ship (8.7 Amazon Linux 2023,
8.9 Ubuntu 22.04, 9.2 Debian 12, 9.6 Ubuntu 24.04, 10.0 Debian 13, plus 9.9 where ML-KEM
arrived), checked for the algorithm lists a client will be offered, and - with the Debian 12
sshd binary - checked by ``sshd -t`` itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ssh_audit.builtin_policies import BUILTIN_POLICIES

from tests.harness.needs import skip_unless_ci
from tests.harness.paths import CACHE_DIR, REPO_ROOT

ROLE = REPO_ROOT / "roles" / "sshd"
TEMPLATE = ROLE / "templates" / "sshd_dropin.conf.j2"

# What `ssh -Q kex|cipher|mac|key|key-sig` prints on Debian 12 (openssh 1:9.2p1-2+deb12u10): Debian
# backported sntrup761x25519-sha512 (upstream 9.9), which the version alone would not show.
DEBIAN12_QUERY = {
    "kex": ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group14-sha256",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha1",
            "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
            "curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512",
            "sntrup761x25519-sha512@openssh.com"],
    "cipher": ["3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-ctr", "aes192-ctr", "aes256-ctr",
               "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"],
    "mac": ["hmac-sha1", "hmac-sha1-96", "hmac-sha2-256", "hmac-sha2-512", "hmac-md5", "hmac-md5-96",
            "umac-64@openssh.com", "umac-128@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
            "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-md5-etm@openssh.com",
            "hmac-md5-96-etm@openssh.com", "umac-64-etm@openssh.com", "umac-128-etm@openssh.com"],
    "key": ["ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com",
            "sk-ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
            "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
            "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "ssh-dss", "ssh-dss-cert-v01@openssh.com", "ssh-rsa",
            "ssh-rsa-cert-v01@openssh.com",
            # `ssh -Q key-sig` adds the signature algorithms (the role asks for both)
            "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-256", "rsa-sha2-256-cert-v01@openssh.com",
            "rsa-sha2-512", "rsa-sha2-512-cert-v01@openssh.com"],
}

KEX_BY_VERSION = {
    "8.7": ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"],
    "8.9": ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"],
    "9.2": ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"],
    "9.6": ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"],
    "9.9": ["mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
            "curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"],
    "10.0": ["mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
             "curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512",
             "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"],
}
# Fragments no offered algorithm may contain: NIST curves, SHA-1, CBC, MD5, DSA, non-ETM MACs are
# checked separately (every MAC must be -etm).
FORBIDDEN = ("nistp", "sha1", "-cbc", "md5", "ssh-dss", "ecdsa", "3des", "group1-", "group14-")
ALGO_KEYWORDS = ("KexAlgorithms", "Ciphers", "MACs", "HostKeyAlgorithms", "PubkeyAcceptedAlgorithms",
                 "CASignatureAlgorithms")


def _load(path: Path) -> dict:
    return DataLoader().load_from_file(str(path), trusted_as_template=True) or {}


def render(version: str, os_family: str = "Debian", query: dict | None = None, **overrides) -> str:
    """The drop-in as the role would write it, with its defaults, vars/main.yml and OS vars."""
    variables = {}
    variables.update(_load(ROLE / "defaults" / "main.yml"))
    variables.update(_load(ROLE / "vars" / "main.yml"))
    variables.update(_load(ROLE / "vars" / f"{os_family}.yml"))
    variables.update({"ansible_managed": "Ansible managed", "__sshd_version": version, "__sshd_query": query or {}})
    variables.update(overrides)
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(TEMPLATE.read_text()))


def parse(text: str) -> dict[str, list[str]]:
    """keyword -> every value given for it, in order (sshd keeps the first for most)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.partition(" ")
        out.setdefault(parts[0], []).append(parts[2].strip())
    return out


def algos(conf: dict, keyword: str) -> list[str]:
    assert len(conf[keyword]) == 1, f"{keyword} given {len(conf[keyword])} times"
    return conf[keyword][0].split(",")


@pytest.mark.parametrize("version", sorted(KEX_BY_VERSION))
def test_kex_follows_the_openssh_version(version):
    conf = parse(render(version))
    assert algos(conf, "KexAlgorithms") == KEX_BY_VERSION[version]


@pytest.mark.parametrize("version", sorted(KEX_BY_VERSION))
def test_no_weak_algorithm_is_offered(version):
    conf = parse(render(version))
    for keyword in ALGO_KEYWORDS:
        for algorithm in algos(conf, keyword):
            assert not any(bad in algorithm for bad in FORBIDDEN), f"{keyword}: {algorithm} (OpenSSH {version})"
    assert all(mac.endswith("-etm@openssh.com") for mac in algos(conf, "MACs"))
    assert all(c.endswith(("-ctr", "-gcm@openssh.com")) or c.startswith("chacha20-poly1305")
               for c in algos(conf, "Ciphers"))
    # ssh-rsa (SHA-1 signatures) must not appear even though RSA keys are served.
    assert "ssh-rsa" not in algos(conf, "HostKeyAlgorithms")
    assert "ssh-rsa" not in algos(conf, "PubkeyAcceptedAlgorithms")


def test_mlkem_only_from_9_9():
    assert "mlkem768x25519-sha256" not in algos(parse(render("9.8")), "KexAlgorithms")
    assert algos(parse(render("9.9")), "KexAlgorithms")[0] == "mlkem768x25519-sha256"
    assert algos(parse(render("10.0")), "KexAlgorithms")[0] == "mlkem768x25519-sha256"


def test_host_query_beats_version_debian12_backport_matches_the_hardened_policy():
    """With `ssh -Q` from Debian 12 the lists equal ssh-audit's "Hardened Debian 12 (version 3)"."""
    policy = BUILTIN_POLICIES["Hardened Debian 12 (version 3)"]
    conf = parse(render("9.2", query=DEBIAN12_QUERY))
    assert algos(conf, "KexAlgorithms") == [k for k in policy["kex"] if not k.startswith("kex-strict")]
    assert algos(conf, "Ciphers") == policy["ciphers"]
    assert algos(conf, "MACs") == policy["macs"]
    offered_host_keys = [a for a in algos(conf, "HostKeyAlgorithms") if a in policy["host_keys"]]
    assert offered_host_keys == policy["host_keys"]
    assert set(algos(conf, "HostKeyAlgorithms")) <= set(policy["host_keys"] + policy["optional_host_keys"])


def test_debian13_lists_match_the_hardened_policy_ciphers_and_start_with_its_kex():
    policy = BUILTIN_POLICIES["Hardened Debian 13 (version 1)"]
    conf = parse(render("10.0"))
    assert algos(conf, "Ciphers") == policy["ciphers"]
    kex = [k for k in policy["kex"] if not k.startswith(("kex-strict", "ext-info"))]
    assert algos(conf, "KexAlgorithms")[:len(kex)] == kex


@pytest.mark.parametrize("version,keyword,absent", [
    ("8.4", "PubkeyAcceptedKeyTypes", "PubkeyAcceptedAlgorithms"),
    ("8.9", "PubkeyAcceptedAlgorithms", "PubkeyAcceptedKeyTypes"),
    ("8.6", "ChallengeResponseAuthentication", "KbdInteractiveAuthentication"),
    ("8.7", "KbdInteractiveAuthentication", "ChallengeResponseAuthentication"),
    ("9.2", "RequiredRSASize", "ChallengeResponseAuthentication"),
])
def test_keywords_follow_the_version(version, keyword, absent):
    conf = parse(render(version))
    assert keyword in conf
    assert absent not in conf


def test_required_rsa_size_only_from_9_1():
    assert "RequiredRSASize" not in parse(render("8.9"))
    assert parse(render("9.6"))["RequiredRSASize"] == ["3072"]


def test_logins_keys_only_no_root_no_forwarding():
    conf = parse(render("9.2"))
    for keyword, value in {
        "PermitRootLogin": "no", "PasswordAuthentication": "no", "KbdInteractiveAuthentication": "no",
        "PermitEmptyPasswords": "no", "PubkeyAuthentication": "yes", "AllowTcpForwarding": "no",
        "AllowAgentForwarding": "no", "X11Forwarding": "no", "PermitTunnel": "no", "GatewayPorts": "no",
        "AllowStreamLocalForwarding": "no", "MaxAuthTries": "3", "LoginGraceTime": "30",
        "MaxStartups": "10:30:60", "ClientAliveInterval": "300", "ClientAliveCountMax": "2",
    }.items():
        assert conf[keyword] == [value], keyword
    assert "AllowUsers" not in conf and "AllowGroups" not in conf
    # SFTP stays the distribution's: a second Subsystem line would make older sshd refuse to start.
    assert "Subsystem" not in conf


def test_listens_on_ipv4_and_ipv6_by_default():
    conf = parse(render("9.2"))
    assert conf["AddressFamily"] == ["any"]
    assert "ListenAddress" not in conf
    assert conf["Port"] == ["22"]


def test_port_from_the_shared_setting_and_both_phases():
    assert parse(render("9.2", liftoff_ssh_port=2222))["Port"] == ["2222"]
    assert parse(render("9.2", __sshd_ports=[22, 2222]))["Port"] == ["22", "2222"]


def test_allow_lists_and_host_keys():
    conf = parse(render("9.2", sshd_allow_users=["deploy", "ops*"], sshd_allow_groups=["sshusers"],
                        __sshd_host_keys=["/etc/ssh/ssh_host_ed25519_key"]))
    assert conf["AllowUsers"] == ["deploy ops*"]
    assert conf["AllowGroups"] == ["sshusers"]
    assert conf["HostKey"] == ["/etc/ssh/ssh_host_ed25519_key"]


def test_default_host_keys_are_ed25519_then_rsa():
    assert parse(render("9.2"))["HostKey"] == ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key"]


def test_extra_options_render_booleans_and_lists():
    extra = {"PrintMotd": False, "AcceptEnv": ["LANG", "LC_*"], "Banner": "/etc/issue.net"}
    conf = parse(render("9.2", sshd_extra_options=extra))
    assert conf["PrintMotd"] == ["no"]
    assert conf["AcceptEnv"] == ["LANG LC_*"]
    assert conf["Banner"] == ["/etc/issue.net"]


def test_user_pinned_lists_win():
    conf = parse(render("9.2", sshd_kex_algorithms=["curve25519-sha256"], sshd_pubkey_accepted_algorithms=["rsa-sha2-512"]))
    assert algos(conf, "KexAlgorithms") == ["curve25519-sha256"]
    assert algos(conf, "PubkeyAcceptedAlgorithms") == ["rsa-sha2-512"]


def test_amazon_linux_2023_settings():
    variables = {}
    for name in ("RedHat.yml", "Amazon_2023.yml"):
        variables.update(_load(ROLE / "vars" / name))
    assert variables["sshd_service_name"] == "sshd"
    conf = parse(render("8.7", os_family="RedHat"))
    assert algos(conf, "KexAlgorithms") == KEX_BY_VERSION["8.7"]
    assert "RequiredRSASize" not in conf


# --------------------------------------------------------------------------------------------
# sshd -t on the rendered file, with Debian 12's sshd
# --------------------------------------------------------------------------------------------

def _find_sshd() -> str | None:
    unpacked = CACHE_DIR / "openssh" / "unpacked"
    cached = str(CACHE_DIR / "openssh" / "root" / "usr" / "sbin" / "sshd")
    for candidate in (os.environ.get("SSHD"), "/usr/sbin/sshd",
                      cached if unpacked.exists() and unpacked.read_text().split() == list(UNPACKED) else None):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    # Unpack (never install: the package would start a server) Debian's openssh-server into .cache,
    # with the one library it links that a machine without openssh-server may lack (libwrap0).
    dest = CACHE_DIR / "openssh"
    if shutil.which("apt-get") and shutil.which("dpkg"):
        dest.mkdir(parents=True, exist_ok=True)
        for package in UNPACKED:
            fetched = subprocess.run(["apt-get", "download", package], cwd=dest, capture_output=True, check=False)
            debs = sorted(dest.glob(f"{package}_*.deb"))
            if fetched.returncode != 0 or not debs:
                return None
            subprocess.run(["dpkg", "-x", str(debs[-1]), str(dest / "root")], check=True)
        unpacked.write_text(" ".join(UNPACKED) + "\n")
        return cached
    return None


UNPACKED = ("openssh-server", "libwrap0")


def _sshd_env(sshd: str) -> dict[str, str]:
    """The unpacked sshd finds the unpacked libraries; an installed one needs nothing."""
    root = CACHE_DIR / "openssh" / "root"
    if not sshd.startswith(str(root)):
        return dict(os.environ)
    libs = [str(p) for p in (root / "usr" / "lib").glob("*-linux-gnu")] + [str(p) for p in (root / "lib").glob("*-linux-gnu")]
    return {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(libs)}


@pytest.fixture(scope="module")
def sshd_check(tmp_path_factory):
    """``check(text) -> CompletedProcess`` of ``sshd -t -f``.

    sshd -t needs its privilege separation user and /run/sshd: both are provided in a private
    mount namespace (a copied /etc/passwd with an sshd line, a tmpfs on /run), so this
    machine's files stay as they are.
    """
    sshd = _find_sshd()
    if sshd is None or os.geteuid() != 0 or not shutil.which("unshare"):
        skip_unless_ci("needs root, unshare and an sshd binary (apt-get download openssh-server)")
    work = tmp_path_factory.mktemp("sshd-t")
    passwd = work / "passwd"
    passwd.write_text(Path("/etc/passwd").read_text() + "sshd:x:899:65534::/run/sshd:/usr/sbin/nologin\n")
    keys = []
    for kind, bits in (("ed25519", []), ("rsa", ["-b", "3072"])):
        key = work / f"ssh_host_{kind}_key"
        subprocess.run(["ssh-keygen", "-q", "-t", kind, *bits, "-N", "", "-f", str(key)], check=True)
        keys.append(str(key))
    env = _sshd_env(sshd)
    version = subprocess.run([sshd, "-V"], capture_output=True, text=True, check=False, env=env)
    banner = version.stdout + version.stderr
    if "OpenSSH_" not in banner:
        pytest.fail(f"{sshd} -V did not print its version: {banner!r}")
    release = banner.split("OpenSSH_")[1].split(",")[0].split("p")[0]

    def check(text: str) -> subprocess.CompletedProcess:
        conf = work / "sshd_config"
        conf.write_text(text)
        script = (f"mount --bind {passwd} /etc/passwd && mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd "
                  f"&& exec {sshd} -t -f {conf}")
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                              capture_output=True, text=True, check=False, env=env)

    check.keys = keys
    check.release = release
    return check


@pytest.mark.parametrize("version", ["8.7", "8.9", "9.2"])
def test_sshd_accepts_the_rendered_file(sshd_check, version):
    text = render(version, __sshd_host_keys=sshd_check.keys)
    result = sshd_check(text)
    assert result.returncode == 0, result.stderr


def test_sshd_accepts_the_render_with_its_own_query(sshd_check):
    query = {kind: subprocess.run(["ssh", "-Q", kind], capture_output=True, text=True, check=True).stdout.split()
             for kind in ("kex", "cipher", "mac", "key", "key-sig")}
    query["key"] += query.pop("key-sig")
    text = render(sshd_check.release, query=query, __sshd_host_keys=sshd_check.keys,
                  sshd_allow_groups=["sudo"], sshd_extra_options={"PrintMotd": False})
    result = sshd_check(text)
    assert result.returncode == 0, result.stderr


def test_sshd_t_really_rejects_a_bad_file(sshd_check):
    """The validator used by `validate:` fails on what the role must never write."""
    text = render("9.2", __sshd_host_keys=sshd_check.keys, sshd_kex_algorithms=["no-such-kex"])
    assert sshd_check(text).returncode != 0
