"""liftoff.aws.sshd_access_problems: AllowUsers/AllowGroups/DenyUsers/DenyGroups as sshd evaluates them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.sshd_access import host_matches, sshd_access_problems, user_pattern_matches

V4 = "198.51.100.7"
V6 = "2001:db8:1::7"


def allowed(patterns, user="ansible", address=V4, **kwargs):
    return sshd_access_problems(user, address, ["ansible", "sudo"], patterns, **kwargs) == []


@pytest.mark.parametrize("patterns", [["ansible"], ["deploy", "ansible"], ["ans*"], ["ansibl?"], ["*"], ["a*e"], "deploy ansible"])
def test_user_only_patterns_that_match(patterns):
    assert allowed(patterns)


@pytest.mark.parametrize("patterns", [["someone-else"], ["ansibl"], ["ansible?"], ["Ansible"], ["a?"], ["[a]nsible"]])
def test_user_only_patterns_that_do_not_match(patterns):
    problems = sshd_access_problems("ansible", V4, [], patterns)
    assert len(problems) == 1
    assert "sshd_allow_users" in problems[0] and patterns[0] in problems[0]
    assert "ansible connecting from " + V4 in problems[0]


def test_an_empty_allow_list_lets_everyone_in():
    assert allowed([])
    assert allowed(None)


def test_no_negation_in_the_user_part():
    # sshd's match_user uses match_pattern: "!root" is a user literally named "!root"
    assert not allowed(["!root"])
    assert allowed(["!root"], user="!root")
    assert not user_pattern_matches("!someone", "ansible", V4)


def test_the_host_part_must_match_the_address_the_regression():
    # the drill: ansible@192.0.2.* passed although the controller connects from 198.51.100.7
    problems = sshd_access_problems("ansible", V4, ["ansible"], ["ansible@192.0.2.*"])
    assert len(problems) == 1
    assert "sshd_allow_users" in problems[0]
    assert "ansible@192.0.2.*" in problems[0]
    assert V4 in problems[0] and "the address does not" in problems[0]
    assert allowed(["ansible@198.51.100.*"])


@pytest.mark.parametrize("host, expected", [
    ("198.51.100.7", True), ("198.51.100.?", True), ("198.51.100.*", True), ("*.100.7", True), ("198.51.100.70", False),
    ("198.51.100.0/24", True), ("198.51.0.0/16", True), ("0.0.0.0/0", True), ("198.51.100.7/32", True),
    ("10.0.0.0/8", False), ("198.51.101.0/24", False),
    ("10.0.0.0/8,198.51.100.0/24", True), ("198.51.100.0/24,!198.51.100.7", False), ("!198.51.100.7,198.51.100.0/24", False),
    ("198.51.100.0/24,!198.51.100.8", True), ("!10.0.0.1", False), ("*,!198.51.100.*", False),
    ("::/0", False), ("2001:db8::/32", False),
])
def test_host_parts_against_an_ipv4_address(host, expected):
    assert host_matches(host, V4) is expected
    assert allowed(["ansible@" + host]) is expected


@pytest.mark.parametrize("host, expected", [
    ("2001:db8:1::7", True), ("2001:db8::/32", True), ("2001:db8:1::/48", True), ("2001:db8:2::/48", False), ("::/0", True),
    ("2001:db8:1::?", True), ("2001:db8:1:*", True), ("2001:DB8:1::7", True), ("0.0.0.0/0", False),
    ("2001:db8::/32,!2001:db8:1::/48", False),
])
def test_host_parts_against_an_ipv6_address(host, expected):
    assert host_matches(host, V6) is expected
    assert allowed(["ansible@" + host], address=V6) is expected


def test_the_user_and_the_host_must_both_match():
    assert not allowed(["deploy@198.51.100.7"])
    assert not allowed(["ansible@192.0.2.1", "deploy@198.51.100.7"])
    assert allowed(["ansible@192.0.2.1", "ansible@198.51.100.0/24"])
    assert allowed(["ans*@198.51.100.*"])
    assert not allowed(["ans*@198.51.100.*"], user="deploy")


@pytest.mark.parametrize("host", ["10.0.0.1/8", "10.0.0.0/33", "2001:db8::1/32", "", "10.0.0.0/8,", "!"])
def test_invalid_host_parts_are_reported_like_sshd_t(host):
    problems = sshd_access_problems("ansible", V4, [], ["ansible", "other@" + host])
    assert len(problems) == 1
    assert "invalid" in problems[0] and "other@" + host in problems[0]


def test_an_unknown_address_refuses_a_host_pattern_for_the_user_but_not_a_plain_one():
    problems = sshd_access_problems("ansible", "", [], ["ansible@198.51.100.0/24"])
    assert len(problems) == 1 and "cannot be checked" in problems[0] and "unknown address" in problems[0]
    assert sshd_access_problems("ansible", None, [], ["ansible", "other@10.0.0.0/8"]) == []


def test_deny_users():
    problems = sshd_access_problems("ansible", V4, [], [], deny_users=["root", "ansible@198.51.100.*"])
    assert len(problems) == 1
    assert "sshd_extra_options.DenyUsers" in problems[0] and "ansible@198.51.100.*" in problems[0] and V4 in problems[0]
    assert sshd_access_problems("ansible", V4, [], [], deny_users="root ansible@10.0.0.0/8") == []
    # a deny pattern with a host part that cannot be checked is refused too
    assert sshd_access_problems("ansible", "", [], [], deny_users=["ansible@10.0.0.0/8"])


def test_groups():
    assert sshd_access_problems("ansible", V4, ["ansible", "sudo"], [], ["sudo"]) == []
    assert sshd_access_problems("ansible", V4, "ansible sudo", [], ["su*"]) == []
    problems = sshd_access_problems("ansible", V4, ["ansible", "sudo"], [], ["wheel", "admins"])
    assert len(problems) == 1 and "sshd_allow_groups" in problems[0] and "wheel admins" in problems[0]
    assert "ansible, sudo" in problems[0]
    problems = sshd_access_problems("ansible", V4, ["ansible", "sudo"], [], [], deny_groups=["sudo"])
    assert len(problems) == 1 and "DenyGroups" in problems[0]


def test_every_reason_is_listed_and_the_names_can_be_given():
    problems = sshd_access_problems("ansible", V4, ["ansible"], ["deploy"], ["wheel"], names={"allow_users": "my_users"})
    assert len(problems) == 2
    assert problems[0].startswith("my_users deploy")
    assert problems[1].startswith("sshd_allow_groups wheel")


def test_bad_inputs_are_refused():
    with pytest.raises(AnsibleFilterError, match="connecting user"):
        sshd_access_problems("", V4)
    with pytest.raises(AnsibleFilterError, match="allow_users"):
        sshd_access_problems("ansible", V4, [], [1])
    with pytest.raises(AnsibleFilterError, match="allow_users"):
        sshd_access_problems("ansible", V4, [], {"a": 1})
