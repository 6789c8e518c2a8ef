"""liftoff.aws.sshd_algorithms: the sshd role's KEX, cipher, MAC and host key algorithm choice."""

from __future__ import annotations

import itertools

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.liftoff.aws.plugins.filter.sshd_algorithms import sshd_algorithms, sshd_unknown_algorithms
from tests.harness.paths import REPO_ROOT
from tests.unit.test_sshd_config import DEBIAN12_QUERY

ROLE_VARS = yaml.safe_load((REPO_ROOT / "roles" / "sshd" / "vars" / "main.yml").read_text())
KEX = ROLE_VARS["__sshd_kex_candidates"]
CANDIDATES = {"kex": KEX, "cipher": ROLE_VARS["__sshd_cipher_candidates"], "mac": ROLE_VARS["__sshd_mac_candidates"],
              "key": ROLE_VARS["__sshd_key_candidates"]}

# The expression roles/sshd/vars/main.yml repeated for each list before the filter existed.
JINJA = ("{{ wanted if wanted | length > 0 else (candidates | map(attribute='name') | select('in', query.kind) | list"
         " if query.kind | default([]) | length > 0 else"
         " candidates | selectattr('since', 'version', version, '<=') | map(attribute='name') | list) }}")


def test_the_users_list_wins_as_given():
    # not filtered by what the host knows, order and unknown names kept: sshd -t reports those
    assert sshd_algorithms(["b", "no-such-kex", "a"], KEX, ["a", "b"], "9.2") == ["b", "no-such-kex", "a"]


def test_the_host_query_decides_in_candidate_order_and_drops_what_it_does_not_know():
    supported = ["diffie-hellman-group14-sha1", "curve25519-sha256", "sntrup761x25519-sha512"]
    assert sshd_algorithms([], KEX, supported, "9.2") == ["sntrup761x25519-sha512", "curve25519-sha256"]


def test_the_host_query_beats_the_version_debian12_backport():
    chosen = sshd_algorithms([], KEX, DEBIAN12_QUERY["kex"], "9.2")
    assert chosen[0] == "sntrup761x25519-sha512"  # upstream 9.9, backported to Debian's 9.2p1
    assert "mlkem768x25519-sha256" not in chosen


def test_a_query_without_any_candidate_gives_an_empty_list_not_the_version_choice():
    assert sshd_algorithms([], KEX, ["diffie-hellman-group1-sha1"], "9.9") == []


@pytest.mark.parametrize("supported", [None, []])
def test_without_a_query_the_version_decides(supported):
    assert sshd_algorithms([], KEX, supported, "8.5") == [
        "sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
        "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"]


def test_versions_compare_as_numbers_not_text():
    candidates = [{"name": "new", "since": "9.10"}, {"name": "mid", "since": "9.9"}, {"name": "old", "since": "6.5"}]
    assert sshd_algorithms([], candidates, [], "10.0") == ["new", "mid", "old"]
    assert sshd_algorithms([], candidates, [], "9.9") == ["mid", "old"]


def test_the_unknown_version_offers_nothing():
    # vars/main.yml's placeholder until tasks/facts.yml has read `sshd -V`
    assert sshd_algorithms([], KEX, [], "0.0") == []


def test_defaults_are_no_query_and_the_unknown_version():
    assert sshd_algorithms(None, KEX) == []


def test_bad_candidates_and_an_empty_version_are_refused():
    with pytest.raises(AnsibleFilterError, match="name and since"):
        sshd_algorithms([], [{"name": "x"}], [], "9.2")
    with pytest.raises(AnsibleFilterError, match="version"):
        sshd_algorithms([], KEX, [], "")


QUERIES = {
    "none": {},
    "debian12": DEBIAN12_QUERY,
    "partial": {"kex": ["curve25519-sha256"], "cipher": [], "mac": ["umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"],
                "key": ["rsa-sha2-256", "ssh-ed25519"]},
    "nothing-known": {"kex": ["diffie-hellman-group1-sha1"], "cipher": ["3des-cbc"], "mac": ["hmac-md5"], "key": ["ssh-dss"]},
}


@pytest.mark.parametrize("kind, version, query, wanted", itertools.product(
    sorted(CANDIDATES), ["0.0", "6.4", "7.3", "8.2", "8.7", "9.2", "9.8", "9.9", "10.0"], sorted(QUERIES),
    [[], ["aes256-ctr", "curve25519-sha256"]]))
def test_same_result_as_the_jinja_it_replaces(kind, version, query, wanted):
    variables = {"wanted": wanted, "candidates": CANDIDATES[kind], "query": QUERIES[query], "version": version}
    jinja = Templar(loader=DataLoader(), variables=variables).template(trust_as_template(JINJA.replace("kind", kind)))
    assert sshd_algorithms(wanted, CANDIDATES[kind], QUERIES[query].get(kind, []), version) == jinja


# --- liftoff.aws.sshd_unknown_algorithms: the up-front check of a user's list against `ssh -Q`


def test_unknown_names_are_reported_in_order_once():
    wanted = ["curve25519-sha256", "no-such-kex", "diffie-hellman-group1-sha2", "no-such-kex"]
    assert sshd_unknown_algorithms(wanted, DEBIAN12_QUERY["kex"]) == ["no-such-kex", "diffie-hellman-group1-sha2"]


def test_known_names_pass_for_every_list():
    for kind, candidates in CANDIDATES.items():
        chosen = sshd_algorithms([], candidates, DEBIAN12_QUERY[kind], "9.2")
        assert sshd_unknown_algorithms(chosen, DEBIAN12_QUERY[kind]) == []


def test_mlkem_is_unknown_to_debian12():
    # upstream 9.9; Debian 12's 9.2p1 backported sntrup761x25519-sha512 but not ML-KEM
    assert sshd_unknown_algorithms(["mlkem768x25519-sha256", "sntrup761x25519-sha512"], DEBIAN12_QUERY["kex"]) == [
        "mlkem768x25519-sha256"]


def test_names_are_case_sensitive():
    assert sshd_unknown_algorithms(["Curve25519-SHA256"], DEBIAN12_QUERY["kex"]) == ["Curve25519-SHA256"]


@pytest.mark.parametrize("sign", ["+", "-", "^"])
def test_the_sign_of_a_relative_list_is_not_part_of_the_name(sign):
    assert sshd_unknown_algorithms([sign + "ssh-rsa", "rsa-sha2-512"], DEBIAN12_QUERY["key"]) == []
    assert sshd_unknown_algorithms([sign + "ssh-rsa", "+ssh-dss"], DEBIAN12_QUERY["key"]) == ["+ssh-dss"]


def test_wildcards_must_match_something_the_host_knows():
    assert sshd_unknown_algorithms(["-*-cbc"], DEBIAN12_QUERY["cipher"]) == []
    assert sshd_unknown_algorithms(["-*-nosuch"], DEBIAN12_QUERY["cipher"]) == ["*-nosuch"]


def test_a_comma_separated_string_is_read_as_a_list():
    assert sshd_unknown_algorithms("aes256-ctr,aes256-cbd", DEBIAN12_QUERY["cipher"]) == ["aes256-cbd"]


@pytest.mark.parametrize("supported", [None, []])
def test_without_a_query_nothing_is_reported(supported):
    assert sshd_unknown_algorithms(["no-such-kex"], supported) == []


def test_an_empty_list_is_the_role_choosing():
    assert sshd_unknown_algorithms([], DEBIAN12_QUERY["kex"]) == []


def test_non_string_names_are_refused():
    with pytest.raises(AnsibleFilterError, match="strings"):
        sshd_unknown_algorithms(["aes256-ctr", 3], DEBIAN12_QUERY["cipher"])


@pytest.mark.parametrize("variable, kind", [
    ("sshd_kex_algorithms", "kex"), ("sshd_ciphers", "cipher"), ("sshd_macs", "mac"),
    ("sshd_host_key_algorithms", "key"), ("sshd_pubkey_accepted_algorithms", "key")])
def test_the_role_checks_every_list_against_its_query(variable, kind):
    tasks = yaml.safe_load((REPO_ROOT / "roles" / "sshd" / "tasks" / "algorithms.yml").read_text())
    lists = tasks[0]["vars"]["__sshd_algorithm_lists"]
    assert {"var": variable, "value": "{{ %s }}" % variable, "query": kind} in lists


def test_the_role_checks_the_algorithms_before_any_change():
    main = yaml.safe_load((REPO_ROOT / "roles" / "sshd" / "tasks" / "main.yml").read_text())
    files = [t.get("ansible.builtin.import_tasks") for t in main]
    assert files.index("facts.yml") < files.index("algorithms.yml") < files.index("present.yml")
