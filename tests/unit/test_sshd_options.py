"""liftoff.aws.sshd_extra_options_errors: extra sshd_config keywords, refused before anything changes."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.liftoff.aws.plugins.filter.sshd_options import (
    FIXED,
    KNOWN,
    MANAGED,
    REFUSED,
    sshd_extra_options_errors,
)
from tests.harness.paths import REPO_ROOT
from tests.unit.test_sshd_config import parse, render

# Every branch of the template: old and new keyword spellings, allow lists and listen addresses set.
RENDERS = [
    render(version, sshd_allow_users=["deploy"], sshd_allow_groups=["sudo"], sshd_listen_addresses=["10.0.0.5", "fd00::5"])
    for version in ("8.4", "9.2", "10.0")
]
# Old spellings sshd still takes for a keyword the template writes (the template never writes them).
ALIASES = {"hostdsakey", "skeyauthentication", "dsaauthentication"}


def _written_keywords():
    return {keyword.lower() for text in RENDERS for keyword in parse(text)}


def test_every_keyword_the_template_writes_is_managed_or_fixed():
    # A keyword the drop-in writes would win over the same keyword in sshd_extra_options (sshd keeps the
    # first value), so each one must be refused: from a role variable (MANAGED) or fixed (FIXED).
    assert sorted(_written_keywords() - set(MANAGED) - set(FIXED)) == []


def test_managed_and_fixed_keywords_are_all_written_by_the_template():
    assert sorted((set(MANAGED) | set(FIXED)) - ALIASES - _written_keywords()) == []


def test_the_lists_do_not_overlap():
    assert not set(MANAGED) & set(FIXED)
    assert not (set(MANAGED) | set(FIXED) | set(REFUSED)) & KNOWN


def test_managed_keywords_name_a_role_variable_that_exists():
    options = yaml.safe_load((REPO_ROOT / "roles" / "sshd" / "meta" / "argument_specs.yml").read_text())
    names = set(options["argument_specs"]["main"]["options"])
    assert sorted({v.split()[0] for v in MANAGED.values()} - names) == []


def test_good_options_pass():
    assert sshd_extra_options_errors({"PrintMotd": False, "AcceptEnv": ["LANG", "LC_*"], "channeltimeout": "session:*=1h",
                                      "DEBIANBANNER": "no", "X11UseLocalhost": True, "PerSourcePenalties": "no"}) == []


@pytest.mark.parametrize("empty", [None, {}])
def test_nothing_is_fine(empty):
    assert sshd_extra_options_errors(empty) == []


@pytest.mark.parametrize("options, expected", [
    ({"PasswordAuthentication": "yes"}, "passwordauthentication is written by the role: set sshd_password_authentication instead."),  # pragma: allowlist secret
    ({"port": 2222}, "set sshd_port instead"),
    ({"PERMITROOTLOGIN": "yes"}, "set sshd_permit_root_login instead"),
    ({"KexAlgorithms": "curve25519-sha256"}, "set sshd_kex_algorithms instead"),
    ({"Ciphers": "aes128-ctr"}, "set sshd_ciphers instead"),
    ({"MACs": "hmac-sha1"}, "set sshd_macs instead"),
    ({"AllowUsers": "root"}, "set sshd_allow_users instead"),
    ({"ChallengeResponseAuthentication": True}, "set sshd_kbd_interactive_authentication instead"),
    ({"UseDNS": True}, "usedns is fixed by the role (UseDNS no) as part of the hardening"),
    ({"PermitEmptyPasswords": "yes"}, "permitemptypasswords is fixed by the role"),  # pragma: allowlist secret
    ({"Match": "User deploy"}, "sshd_extra_options.Match: Match blocks are out of scope"),
    ({"Include": "/etc/ssh/other.conf"}, "the role manages the Include line"),
    ({"Frobnicate": "yes"}, "frobnicate is not an OpenSSH sshd_config keyword"),
    ({"UseLogin": "no"}, "uselogin is not an OpenSSH sshd_config keyword"),  # removed long before 9.2
    ({"Banner": "/etc/issue\nPermitRootLogin yes"}, "sshd_extra_options.Banner holds a line break"),
    ({"AcceptEnv": ["LANG", "X\nY"]}, "sshd_extra_options.AcceptEnv holds a line break"),
    ({"Banner": None}, "sshd_extra_options.Banner has no value"),
    ({"Banner": ""}, "sshd_extra_options.Banner is empty"),
    ({"AcceptEnv": []}, "sshd_extra_options.AcceptEnv is an empty list"),
    ({"AcceptEnv": {"LANG": 1}}, "sshd_extra_options.AcceptEnv is a dict"),
    ({"AcceptEnv": [["LANG"]]}, "a list value is a list of strings or numbers"),
    ({"PrintMotd": "no", "printmotd": "yes"}, "PrintMotd and printmotd are the same keyword"),
    ({1: "x"}, "keyword 1 is not a word"),
])
def test_bad_options_are_refused(options, expected):
    assert expected in " ".join(sshd_extra_options_errors(options))


def test_a_list_is_refused_as_the_dict():
    assert sshd_extra_options_errors(["PrintMotd no"]) == [
        "sshd_extra_options must be a dict of sshd_config keyword: value, got list"]


def test_every_problem_is_reported_at_once():
    errors = sshd_extra_options_errors({"Port": 22, "Frobnicate": "x", "Banner": "a\nb"})
    assert len(errors) == 3
