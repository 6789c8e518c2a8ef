"""The network role's layout filters: default subnets derived from the VPC block, and layout checks."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.network_layout import cidr_subnet, network_layout_errors


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
