"""The shared rule list -> security groups and iptables: validation and conversion."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.firewall_rules import (
    firewall_rules_errors,
    firewall_rules_normalize,
    firewall_rules_to_security_group,
)

WEB = {"name": "https", "port": 443, "sources": ["0.0.0.0/0", "::/0"], "comment": "web"}


def test_valid_list_has_no_errors():
    assert firewall_rules_errors([WEB, {"name": "dns", "port": 53, "protocol": "udp", "sources": ["10.0.0.0/8"]}]) == []


@pytest.mark.parametrize("rule, expected", [
    ({"name": "x", "port": 70000, "sources": ["0.0.0.0/0"]}, "port 70000 is out of range"),
    ({"name": "x", "port": "http", "sources": ["0.0.0.0/0"]}, "port must be a whole number"),
    ({"name": "x", "port": 80, "sources": ["10.0.0.300/8"]}, "is not a CIDR"),
    ({"name": "x", "port": 80, "sources": ["10.0.0.5/24"]}, "host bits set; did you mean 10.0.0.0/24"),
    ({"name": "x", "port": 80, "sources": ["10.0.0.5"]}, "has no prefix length"),
    ({"name": "x", "port": 80, "sources": []}, "sources must be a non-empty list"),
    ({"name": "x", "port": 80, "protocol": "icmp", "sources": ["0.0.0.0/0"]}, "protocol must be one of tcp, udp"),
    ({"name": "x", "port": 90, "port_end": 80, "sources": ["0.0.0.0/0"]}, "port_end 80 is below port 90"),
    ({"name": "Bad Name", "port": 80, "sources": ["0.0.0.0/0"]}, "name must be lowercase"),
    ({"name": "x", "prot": "tcp", "port": 80, "sources": ["0.0.0.0/0"]}, "unknown key(s) prot"),
])
def test_each_problem_names_the_variable_rule_and_why(rule, expected):
    errors = firewall_rules_errors([rule])
    assert len(errors) == 1, errors
    assert errors[0].startswith("liftoff_firewall_rules[0]")
    assert expected in errors[0]


def test_duplicate_names_are_refused():
    errors = firewall_rules_errors([WEB, WEB])
    assert errors == ["liftoff_firewall_rules[1] (https): name 'https' is used twice"]


def test_normalize_fills_defaults_and_splits_families():
    [rule] = firewall_rules_normalize([{"name": "app", "port": 8000, "sources": ["2001:DB8::/32", "192.0.2.0/24"]}])
    assert rule == {"name": "app", "protocol": "tcp", "port": 8000, "port_end": 8000, "comment": "app",
                    "sources_v4": ["192.0.2.0/24"], "sources_v6": ["2001:db8::/32"]}


def test_normalize_refuses_invalid_lists_with_every_error():
    with pytest.raises(AnsibleFilterError, match="port 0 is out of range.*not a CIDR"):
        firewall_rules_normalize([{"name": "a", "port": 0, "sources": ["x"]}])


def test_security_group_rules_one_per_family():
    assert firewall_rules_to_security_group([WEB]) == [
        {"proto": "tcp", "from_port": 443, "to_port": 443, "rule_desc": "web", "cidr_ip": ["0.0.0.0/0"]},
        {"proto": "tcp", "from_port": 443, "to_port": 443, "rule_desc": "web", "cidr_ipv6": ["::/0"]},
    ]
