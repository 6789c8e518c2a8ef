"""The network role's layout filters: default subnets derived from the VPC block, layout checks, and the route tables
teardown deletes."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.liftoff.aws.plugins.filter.network_layout import (
    cidr_subnet, network_layout_errors, network_subnet_cidrs, network_teardown_route_tables)


@pytest.mark.parametrize("cidr, newbits, index, expected", [
    ("10.40.0.0/16", 4, 0, "10.40.0.0/20"),
    ("10.40.0.0/16", 4, 1, "10.40.16.0/20"),
    ("10.40.0.0/16", 4, 8, "10.40.128.0/20"),
    ("10.40.0.0/16", 4, 15, "10.40.240.0/20"),
    ("192.168.8.0/24", 4, 9, "192.168.8.144/28"),
    ("10.0.0.0/16", 0, 0, "10.0.0.0/16"),
])
def test_cidr_subnet_counts_blocks_from_the_bottom(cidr, newbits, index, expected):
    assert cidr_subnet(cidr, newbits, index) == expected


@pytest.mark.parametrize("cidr, newbits, index", [
    ("10.40.0.0/16", 4, 16), ("10.40.0.0/16", 4, -1), ("10.40.0.0/30", 4, 0), ("nonsense", 4, 0),
])
def test_cidr_subnet_refuses_blocks_that_do_not_exist(cidr, newbits, index):
    with pytest.raises(AnsibleFilterError):
        cidr_subnet(cidr, newbits, index)


DEFAULTS = {"network_public_subnet_cidrs": ["10.40.0.0/20", "10.40.16.0/20"],
            "network_private_subnet_cidrs": ["10.40.128.0/20", "10.40.144.0/20"]}


def test_default_layout_is_valid():
    assert network_layout_errors("10.40.0.0/16", DEFAULTS) == []


@pytest.mark.parametrize("vpc, expected", [
    ("10.40.0.0/33", "network_vpc_cidr: '10.40.0.0/33' is not an IPv4 CIDR"),
    ("10.40.0.0", "network_vpc_cidr: '10.40.0.0' is not an IPv4 CIDR"),
    ("2001:db8::/56", "network_vpc_cidr: '2001:db8::/56' is not an IPv4 CIDR"),
    ("10.40.0.1/16", "has host bits set; did you mean 10.40.0.0/16?"),
    ("10.0.0.0/8", "is a /8; AWS accepts /16 to /28"),
    ("10.40.0.0/29", "is a /29; AWS accepts /16 to /28"),
])
def test_bad_vpc_block_names_the_variable_and_why(vpc, expected):
    errors = network_layout_errors(vpc, {})
    assert len(errors) == 1 and expected in errors[0], errors


def test_subnet_outside_the_vpc_is_named_with_its_index():
    errors = network_layout_errors("10.40.0.0/16", {"pub": ["10.40.0.0/24", "10.41.0.0/24"]})
    assert errors == ["pub[1]: 10.41.0.0/24 is not inside network_vpc_cidr 10.40.0.0/16"]


def test_overlaps_are_found_within_and_across_lists():
    errors = network_layout_errors("10.40.0.0/16", {
        "network_public_subnet_cidrs": ["10.40.0.0/20", "10.40.8.0/24"],
        "network_private_subnet_cidrs": ["10.40.16.0/20", "10.40.0.0/28"],
    })
    assert "network_public_subnet_cidrs[1]: 10.40.8.0/24 overlaps network_public_subnet_cidrs[0] 10.40.0.0/20" in errors
    assert "network_public_subnet_cidrs[0]: 10.40.0.0/20 overlaps network_private_subnet_cidrs[1] 10.40.0.0/28" in errors
    assert len(errors) == 2, errors  # 10.40.16.0/20 touches nothing


# What roles/network/tasks/validate.yml derived in Jinja before network_subnet_cidrs: the filter must give the same.
JINJA_SUBNET_CIDRS = {
    0: """{% set cidrs = [] %}{% for i in range(__network_az_count | int) %}{% set _ = cidrs.append(network_vpc_cidr
      | liftoff.aws.cidr_subnet(4, i)) %}{% endfor %}{{ network_public_subnet_cidrs or cidrs }}""",
    8: """{% set cidrs = [] %}{% for i in range(__network_az_count | int) %}{% set _ = cidrs.append(network_vpc_cidr
      | liftoff.aws.cidr_subnet(4, 8 + i)) %}{% endfor %}{{ network_private_subnet_cidrs or cidrs }}""",
}


@pytest.mark.parametrize("vpc, count, first, expected", [
    ("10.40.0.0/16", 2, 0, ["10.40.0.0/20", "10.40.16.0/20"]),
    ("10.40.0.0/16", 2, 8, ["10.40.128.0/20", "10.40.144.0/20"]),
    ("10.40.0.0/16", 3, 8, ["10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"]),
    ("192.168.8.0/24", 2, 8, ["192.168.8.128/28", "192.168.8.144/28"]),
    ("10.40.0.0/16", "2", "8", ["10.40.128.0/20", "10.40.144.0/20"]),  # set_fact may hand over strings
    ("10.40.0.0/16", 0, 0, []),
])
def test_subnet_cidrs_derived_in_zone_order(vpc, count, first, expected):
    assert network_subnet_cidrs([], vpc, count, first) == expected
    assert network_subnet_cidrs(None, vpc, count, first) == expected


def test_subnet_cidrs_given_are_kept_as_they_are():
    given = ["10.40.201.0/24", "10.40.200.0/24"]  # out of order, not derived blocks: kept exactly
    assert network_subnet_cidrs(given, "10.40.0.0/16", 2, 8) == given
    assert network_subnet_cidrs(given, "10.40.0.0/16", 2, 8) is not given  # a copy


def test_subnet_cidrs_from_an_ipv6_block():
    # Not used by the role (its VPC CIDR is IPv4), but the derivation does not care about the family.
    assert network_subnet_cidrs([], "2001:db8:0:100::/56", 2, 8, newbits=8) == [
        "2001:db8:0:108::/64", "2001:db8:0:109::/64"]


def test_subnet_cidrs_newbits():
    assert network_subnet_cidrs([], "10.40.0.0/16", 2, 1, newbits=8) == ["10.40.1.0/24", "10.40.2.0/24"]


def test_subnet_cidrs_fails_like_the_derivation_even_when_given():
    # 9 zones: private block 8 + 8 = 16 does not exist in a /16 split into 16 /20s.
    with pytest.raises(AnsibleFilterError, match="has no subnet #16 of /20"):
        network_subnet_cidrs(["10.40.0.0/24"] * 9, "10.40.0.0/16", 9, 8)


@pytest.mark.parametrize("vpc, count, given", [
    ("10.40.0.0/16", 2, []), ("10.40.0.0/16", 3, []), ("10.40.0.0/16", 2, ["10.40.200.0/24", "10.40.201.0/24"]),
    ("10.40.0.0/24", 2, []), ("10.40.0.0/28", 2, []), ("10.40.0.0/16", 0, []), ("10.40.0.0/16", "2", []),
])
def test_subnet_cidrs_same_as_the_jinja_they_replace(vpc, count, given):
    variables = {"network_vpc_cidr": vpc, "__network_az_count": count,
                 "network_public_subnet_cidrs": given, "network_private_subnet_cidrs": given}
    templar = Templar(loader=DataLoader(), variables=variables)
    for first, jinja in JINJA_SUBNET_CIDRS.items():
        assert network_subnet_cidrs(given, vpc, count, first) == templar.template(trust_as_template(jinja)), first


def _route_table(table_id, *associations):
    return {"route_table_id": table_id, "associations": list(associations), "tags": {}}


def _association(table_id, main=None, subnet_id=None):
    association = {"route_table_id": table_id, "route_table_association_id": "rtbassoc-" + table_id}
    if main is not None:
        association["main"] = main
    if subnet_id:
        association["subnet_id"] = subnet_id
    return association


TABLES = [
    _route_table("rtb-public", _association("rtb-public", False, "subnet-a"), _association("rtb-public", False, "subnet-b")),
    _route_table("rtb-main", _association("rtb-main", True)),
    _route_table("rtb-private-a", _association("rtb-private-a", subnet_id="subnet-c")),  # no main key
    _route_table("rtb-lonely"),  # no associations at all
]


def test_teardown_route_tables_leaves_out_the_main_one_and_keeps_the_order():
    assert [t["route_table_id"] for t in network_teardown_route_tables(TABLES)] == [
        "rtb-public", "rtb-private-a", "rtb-lonely"]


@pytest.mark.parametrize("tables", [[], None])
def test_teardown_route_tables_of_a_vpc_with_none(tables):
    assert network_teardown_route_tables(tables) == []


def test_teardown_route_tables_only_main():
    assert network_teardown_route_tables([_route_table("rtb-main", _association("rtb-main", True))]) == []


def test_teardown_route_tables_missing_associations_key():
    assert network_teardown_route_tables([{"route_table_id": "rtb-1"}]) == [{"route_table_id": "rtb-1"}]


# What roles/network/tasks/absent_vpc.yml looped over before network_teardown_route_tables.
JINJA_TEARDOWN_ROUTE_TABLES = """{{ __network_own_rts.route_tables | rejectattr('route_table_id', 'in', __network_main_rts) | list }}"""
JINJA_MAIN_ROUTE_TABLES = """{{ __network_own_rts.route_tables | map(attribute='associations') | flatten
         | selectattr('main', 'defined') | selectattr('main') | map(attribute='route_table_id') | list }}"""


@pytest.mark.parametrize("tables", [TABLES[:3], TABLES[:1], TABLES[1:2], [], list(reversed(TABLES[:3]))])
def test_teardown_route_tables_same_as_the_jinja_they_replace(tables):
    variables = {"__network_own_rts": {"route_tables": tables}}
    templar = Templar(loader=DataLoader(), variables=variables)
    variables["__network_main_rts"] = templar.template(trust_as_template(JINJA_MAIN_ROUTE_TABLES))
    templar = Templar(loader=DataLoader(), variables=variables)
    assert network_teardown_route_tables(tables) == templar.template(trust_as_template(JINJA_TEARDOWN_ROUTE_TABLES))
