"""liftoff.aws.iptables_extra_rules_*: raw rule bodies for LIFTOFF-INPUT, refused before anything changes."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.iptables_extra import (
    iptables_extra_rules_errors,
    iptables_extra_rules_normalize,
)

GOOD = [
    "-p udp --dport 51820 -j ACCEPT",
    "-p tcp -m multiport --dports 80,443 -m conntrack --ctstate NEW -j ACCEPT",
    '-p tcp --dport 25 -j LOG --log-prefix "smtp: "',
    "-p tcp --dport 23 -j REJECT --reject-with tcp-reset",
    "-p tcp --dport 6000:6010 -j DROP",
    "-m pkttype --pkt-type broadcast -j RETURN",
    "-p tcp --dport 9999",  # no target: only counts packets
    {"rule": "-s 10.0.0.0/8 -p tcp --dport 9300 -j ACCEPT", "family": 4, "comment": "search"},
    {"rule": "! -s 2001:db8::/32 -p tcp --dport 9301 -j DROP", "family": "6"},
    {"rule": "-p icmp --icmp-type 13 -j DROP", "family": 4},
    {"rule": "-p ipv6-icmp --icmpv6-type 139 -j DROP", "family": 6},
    {"rule": "-p udp --dport 500 -j ACCEPT", "family": "both"},
    {"rule": "-p udp --dport 4500 -j ACCEPT"},
]


def test_good_rules_have_no_errors():
    assert iptables_extra_rules_errors(GOOD) == []


@pytest.mark.parametrize("empty", [None, []])
def test_nothing_is_fine(empty):
    assert iptables_extra_rules_errors(empty) == []
    assert iptables_extra_rules_normalize(empty) == []


@pytest.mark.parametrize("rule, expected", [
    ("-p udp --dport 1 -j ACCEPT\n-A INPUT -j ACCEPT", "holds a line break"),
    ("-p udp --dport 1 -j ACCEPT\r", "holds a line break"),
    ("", "the rule is empty"),
    ("   ", "the rule is empty"),
    ("-A INPUT -p udp --dport 1 -j ACCEPT", "starts like an iptables-restore command"),
    ("-I LIFTOFF-INPUT 1 -j ACCEPT", "starts like an iptables-restore command"),
    ("-D LIFTOFF-INPUT 1", "starts like an iptables-restore command"),
    ("-F LIFTOFF-INPUT", "starts like an iptables-restore command"),
    ("-X LIFTOFF-INPUT", "starts like an iptables-restore command"),
    ("-P INPUT ACCEPT", "starts like an iptables-restore command"),
    ("-N MINE", "starts like an iptables-restore command"),
    ("--append INPUT -j ACCEPT", "starts like an iptables-restore command"),
    ("*nat", "starts like an iptables-restore command"),
    (":MINE - [0:0]", "starts like an iptables-restore command"),
    ("COMMIT", "starts like an iptables-restore command"),
    ("-p udp --dport 1 -A INPUT -j ACCEPT", "-A in"),
    ("-p udp --dport 1 -t nat -j ACCEPT", "-t in"),
    ("-p udp -AINPUT -j ACCEPT", "-A in"),
    ("-p udp --dport 1 -j MY-CHAIN", "-j MY-CHAIN in"),
    ("-p udp --dport 1 -j DOCKER", "no jumps to other chains"),
    ("-p udp --dport 1 -j LIFTOFF-INPUT", "no jumps to other chains"),
    ("-p udp --dport 1 -j accept", "-j accept in"),
    ("-p udp --dport 1 --jump=MINE", "--jump MINE in"),
    ("-p udp --dport 1 -jMINE", "-j MINE in"),
    ("-p udp --dport 1 -g ACCEPT", "-g ACCEPT in"),
    ("-p udp --dport 1 --goto MINE", "--goto MINE in"),
    ("-p udp --dport 1 -j", "-j (nothing) in"),
    ("-p udp --dport 1 -j ACCEPT -j DROP", "has 2 targets"),
    ("-p tcp --dport 25 -j LOG --log-prefix \"smtp", "does not split into words"),
    ("-s 10.0.0.0/8 -p tcp --dport 9300 -j ACCEPT", "names an IPv4 address, which ip6tables would refuse: set family: 4"),
    ("-d 2001:db8::1 -p tcp --dport 9300 -j ACCEPT", "names an IPv6 address, which iptables would refuse: set family: 6"),
    ("-s 10.0.0.0/8,2001:db8::/32 -j ACCEPT", "set family: 4"),
    ("-p icmp --icmp-type 13 -j DROP", "only iptables knows: set family: 4"),
    ("-p ipv6-icmp --icmpv6-type 139 -j DROP", "only ip6tables knows: set family: 6"),
    ({"rule": "-p tcp -j REJECT --reject-with icmp-host-prohibited", "family": 6}, "only iptables knows: set family: 4"),
    ({"rule": "-s 10.0.0.0/8 -j ACCEPT", "family": 6}, "names an IPv4 address"),
    ({"rule": "-p udp -j ACCEPT", "family": 5}, "family must be 4, 6 or both, got 5"),
    ({"rule": "-p udp -j ACCEPT", "family": True}, "family must be 4, 6 or both"),
    ({"rule": "-p udp -j ACCEPT", "ports": 1}, "unknown key(s) ports"),
    ({"rule": "-p udp -j ACCEPT", "comment": "two\nlines"}, "comment must be one line"),
    ({"family": 4}, "rule must be a string"),
    ({"rule": ["-p", "udp"]}, "rule must be a string"),
    (51820, "must be a rule string or a {rule, family, comment} dict, got int"),
])
def test_bad_rules_are_refused_naming_the_item(rule, expected):
    errors = iptables_extra_rules_errors(["-p udp --dport 53 -j ACCEPT", rule])
    assert errors, rule
    assert all(e.startswith("iptables_extra_rules[1]") for e in errors), errors
    assert expected in "; ".join(errors)


def test_a_string_is_refused_as_a_list():
    assert iptables_extra_rules_errors("-p udp -j ACCEPT") == [
        "iptables_extra_rules must be a list of rule strings (or {rule, family, comment} dicts), got str"]


def test_every_problem_is_reported_at_once():
    errors = iptables_extra_rules_errors(["-j MINE", "-A INPUT", {"rule": "-j ACCEPT", "family": 7}], "x")
    assert [e.split(":")[0] for e in errors] == ["x[0]", "x[1]", "x[2]"]


def test_normalize_puts_every_item_in_one_shape():
    assert iptables_extra_rules_normalize([
        "  -p udp --dport 51820 -j ACCEPT ",
        {"rule": "-s 10.0.0.0/8 -p tcp --dport 9300 -j ACCEPT", "family": 4, "comment": 'say "hi"'},
        {"rule": "-p tcp --dport 9301 -j DROP", "family": "6"},
    ]) == [
        {"rule": "-p udp --dport 51820 -j ACCEPT", "families": [4, 6], "comment": "liftoff: iptables_extra_rules[0]"},
        {"rule": "-s 10.0.0.0/8 -p tcp --dport 9300 -j ACCEPT", "families": [4], "comment": "liftoff: say 'hi'"},
        {"rule": "-p tcp --dport 9301 -j DROP", "families": [6], "comment": "liftoff: iptables_extra_rules[2]"},
    ]


def test_normalize_truncates_long_comments():
    (item,) = iptables_extra_rules_normalize([{"rule": "-j ACCEPT", "comment": "x" * 400}])
    assert len(item["comment"]) == 250


def test_normalize_refuses_with_every_problem():
    with pytest.raises(AnsibleFilterError, match=r"iptables_extra_rules\[0\].*; iptables_extra_rules\[1\]"):
        iptables_extra_rules_normalize(["-j MINE", "-F"])
