"""liftoff.aws.network_drift: which resources the network role must hand to the upstream write module.

The described inputs are shaped like the amazon.aws *_info modules' results (snake_case, tags as a dict).
"""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.firewall_rules import firewall_rules_to_security_group
from ansible_collections.liftoff.aws.plugins.filter.network_drift import (
    network_drift,
    network_foreign_vpcs,
    network_ids,
    network_port_rules,
    network_route_table_plan,
    network_subnet_plan,
)

TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
PREFIX = "liftoff-demo-sandbox"
AZS = ["eu-west-1a", "eu-west-1b"]
PUBLIC = ["10.40.0.0/20", "10.40.16.0/20"]
PRIVATE = ["10.40.128.0/20", "10.40.144.0/20"]


def drift_of(items):
    return {i["key"]: i["drift"] for i in items}


def differing(items):
    return [i["key"] for i in items if i["drift"]]


# -- subnets ----------------------------------------------------------------------------------


def described_subnets(plan):
    return [{"subnet_id": "subnet-%d" % n, "id": "subnet-%d" % n, "cidr_block": s["cidr"], "availability_zone": s["az"],
             "map_public_ip_on_launch": s["map_public"], "assign_ipv6_address_on_creation": bool(s["ipv6"]),
             "ipv6_cidr_block_association_set": [{"ipv6_cidr_block": s["ipv6"], "ipv6_cidr_block_state": {"state": "associated"}}]
             if s["ipv6"] else [], "tags": dict(s["tags"])} for n, s in enumerate(plan)]


def test_subnet_plan_is_public_then_private_in_zone_order_with_name_and_tier():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "", PREFIX, TAGS)
    assert [(s["tier"], s["az"], s["cidr"]) for s in plan] == [
        ("public", "eu-west-1a", "10.40.0.0/20"), ("public", "eu-west-1b", "10.40.16.0/20"),
        ("private", "eu-west-1a", "10.40.128.0/20"), ("private", "eu-west-1b", "10.40.144.0/20")]
    assert plan[0]["tags"] == dict(TAGS, Name=PREFIX + "-public-eu-west-1a", Tier="public")
    assert [s["map_public"] for s in plan] == [True, True, False, False]
    assert all(s["ipv6"] == "" for s in plan)


def test_subnet_plan_splits_the_ipv6_block_public_bottom_private_upper_half():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "2a05:d018:1::/56", PREFIX, TAGS)
    assert [s["ipv6"] for s in plan] == ["2a05:d018:1::/64", "2a05:d018:1:1::/64",
                                         "2a05:d018:1:80::/64", "2a05:d018:1:81::/64"]


def test_identical_subnets_need_no_write_and_keep_their_ids():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "", PREFIX, TAGS)
    state = network_drift(plan, described_subnets(plan), "subnet")
    assert differing(state) == []
    assert [s["id"] for s in state] == ["subnet-0", "subnet-1", "subnet-2", "subnet-3"]


def test_a_missing_subnet_is_reported_missing_without_an_id():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "", PREFIX, TAGS)
    state = network_drift(plan, described_subnets(plan)[:3], "subnet")
    assert drift_of(state) == {"10.40.0.0/20": [], "10.40.16.0/20": [], "10.40.128.0/20": [],
                               "10.40.144.0/20": ["missing"]}
    assert state[3]["id"] == ""


def test_a_changed_or_extra_tag_on_a_subnet_is_drift_but_aws_tags_are_not():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "", PREFIX, TAGS)
    found = described_subnets(plan)
    found[0]["tags"]["Environment"] = "production"
    found[1]["tags"]["Owner"] = "ops"
    found[2]["tags"]["aws:cloudformation:stack-name"] = "x"
    state = drift_of(network_drift(plan, found, "subnet"))
    assert state["10.40.0.0/20"] == ["tag Environment is 'production', not 'sandbox'"]
    assert state["10.40.16.0/20"] == ["extra tag Owner"]
    assert state["10.40.128.0/20"] == []


def test_public_ip_mapping_and_ipv6_are_compared():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "2a05:d018:1::/56", PREFIX, TAGS)
    found = described_subnets(network_subnet_plan(AZS, PUBLIC, PRIVATE, "", PREFIX, TAGS))  # no IPv6 yet
    found[2]["map_public_ip_on_launch"] = True
    state = network_drift(plan, found, "subnet")
    assert differing(state) == [s["cidr"] for s in plan]
    assert "map_public_ip_on_launch is True" in state[2]["drift"]
    assert "assign_ipv6_address_on_creation is False" in state[0]["drift"]


def test_a_subnet_ipv6_block_being_associated_counts_as_there():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "2a05:d018:1::/56", PREFIX, TAGS)
    found = described_subnets(plan)
    found[0]["ipv6_cidr_block_association_set"][0]["ipv6_cidr_block_state"] = "associating"  # plain string too
    assert differing(network_drift(plan, found, "subnet")) == []


# -- route tables -----------------------------------------------------------------------------

IGW = "igw-1"
PUB_IDS = ["subnet-0", "subnet-1"]
PRIV_IDS = ["subnet-2", "subnet-3"]


def described_tables(plan):
    tables = [{"route_table_id": "rtb-main", "id": "rtb-main", "tags": {},
               "routes": [{"destination_cidr_block": "10.40.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"}],
               "associations": [{"main": True, "route_table_association_id": "rtbassoc-main"}]}]
    for n, table in enumerate(plan):
        routes = [{"destination_cidr_block": "10.40.0.0/16", "gateway_id": "local", "origin": "CreateRouteTable"},
                  {"destination_prefix_list_id": "pl-6da54004", "gateway_id": "vpce-1", "origin": "CreateRoute"}]
        for route in table["routes"]:
            key = "destination_ipv6_cidr_block" if ":" in route["dest"] else "destination_cidr_block"
            target = "nat_gateway_id" if route["gateway_id"].startswith("nat-") else "gateway_id"
            routes.append({key: route["dest"], target: route["gateway_id"], "origin": "CreateRoute"})
        tables.append({"route_table_id": "rtb-%d" % n, "id": "rtb-%d" % n, "tags": dict(table["tags"]), "routes": routes,
                       "associations": [{"main": False, "subnet_id": s, "route_table_association_id": "a-%s" % s,
                                         "association_state": {"state": "associated"}} for s in table["subnet_ids"]]})
    return tables


def table_plan(**kw):
    kw.setdefault("igw_id", IGW)
    return network_route_table_plan(AZS, PUB_IDS, PRIV_IDS, PREFIX, TAGS, **kw)


def test_route_table_plan_one_public_table_and_one_per_private_subnet():
    plan = table_plan(ipv6=True)
    assert [t["key"] for t in plan] == [PREFIX + "-public", PREFIX + "-private-eu-west-1a", PREFIX + "-private-eu-west-1b"]
    assert plan[0]["routes"] == [{"dest": "0.0.0.0/0", "gateway_id": IGW}, {"dest": "::/0", "gateway_id": IGW}]
    assert plan[0]["subnet_ids"] == PUB_IDS and plan[1]["subnet_ids"] == ["subnet-2"]
    assert plan[1]["routes"] == [] and plan[1]["tags"]["Tier"] == "private"
    assert table_plan(nat_id="nat-1", nat=True)[1]["routes"] == [{"dest": "0.0.0.0/0", "gateway_id": "nat-1"}]


def test_route_table_plan_leaves_out_tables_whose_ids_are_not_known_yet():
    assert network_route_table_plan(AZS, ["", ""], ["", ""], PREFIX, TAGS, igw_id="") == []
    assert [t["tier"] for t in table_plan(nat=True)] == ["public"]  # NAT wanted but not there yet


def test_identical_route_tables_need_no_write_local_and_endpoint_routes_are_not_ours():
    for plan in (table_plan(), table_plan(ipv6=True), table_plan(nat_id="nat-1", nat=True)):
        state = network_drift(plan, described_tables(plan), "route_table")
        assert differing(state) == []
        assert [t["id"] for t in state] == ["rtb-0", "rtb-1", "rtb-2"]


def test_an_extra_route_is_drift():
    plan = table_plan()
    found = described_tables(plan)
    found[2]["routes"].append({"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-old", "origin": "CreateRoute"})
    assert drift_of(network_drift(plan, found, "route_table")) == {
        PREFIX + "-public": [], PREFIX + "-private-eu-west-1a": ["extra route 0.0.0.0/0 -> nat-old"],
        PREFIX + "-private-eu-west-1b": []}


def test_a_missing_or_retargeted_route_is_drift():
    plan = table_plan(ipv6=True)
    found = described_tables(table_plan())  # no ::/0 yet
    found[1]["routes"][2]["gateway_id"] = "igw-other"
    [public] = [t for t in network_drift(plan, found, "route_table") if t["tier"] == "public"]
    assert public["drift"] == ["no route 0.0.0.0/0 -> igw-1", "no route ::/0 -> igw-1",
                               "extra route 0.0.0.0/0 -> igw-other"]


def test_subnet_associations_are_exact():
    plan = table_plan()
    found = described_tables(plan)
    found[1]["associations"].pop()  # subnet-1 not associated
    found[2]["associations"].append({"main": False, "subnet_id": "subnet-9", "association_state": {"state": "associated"}})
    state = drift_of(network_drift(plan, found, "route_table"))
    assert state[PREFIX + "-public"] == ["subnet subnet-1 not associated"]
    assert state[PREFIX + "-private-eu-west-1a"] == ["extra subnet subnet-9 associated"]


def test_a_missing_table_and_an_extra_tag_on_a_table():
    plan = table_plan()
    found = described_tables(plan)
    found[3]["tags"]["Owner"] = "ops"
    del found[1]
    state = network_drift(plan, found, "route_table")
    assert drift_of(state)[PREFIX + "-public"] == ["missing"] and state[0]["id"] == ""
    assert drift_of(state)[PREFIX + "-private-eu-west-1b"] == ["extra tag Owner"]


def test_two_tables_with_the_same_tags_are_left_to_the_module_to_refuse():
    plan = table_plan()
    found = described_tables(plan)
    found.append(copy.deepcopy(found[1]))
    assert drift_of(network_drift(plan, found, "route_table"))[PREFIX + "-public"] == ["2 route tables carry these tags"]


# -- security groups --------------------------------------------------------------------------

RULES = [{"name": "http", "port": 80, "sources": ["0.0.0.0/0", "::/0"], "comment": "web"},
         {"name": "ssh", "port": 22, "sources": ["203.0.113.7/32"], "comment": "SSH from admins"}]


def web_group(rules=None):
    rules = firewall_rules_to_security_group(RULES) if rules is None else rules
    rules = rules + [{"proto": "tcp", "from_port": 8080, "to_port": 8080, "group_id": "sg-alb",
                      "rule_desc": "app port from the load balancer"}]
    return {"key": "web", "name": PREFIX + "-web", "description": PREFIX + " web hosts", "rules": rules,
            "tags": dict(TAGS, Name=PREFIX + "-web", Tier="web")}


def described_web():
    return {"group_id": "sg-web", "group_name": PREFIX + "-web", "description": PREFIX + " web hosts",
            "tags": dict(TAGS, Name=PREFIX + "-web", Tier="web"),
            "ip_permissions": [
                {"ip_protocol": "tcp", "from_port": 80, "to_port": 80,
                 "ip_ranges": [{"cidr_ip": "0.0.0.0/0", "description": "web"}],
                 "ipv6_ranges": [{"cidr_ipv6": "::/0", "description": "web"}], "user_id_group_pairs": []},
                {"ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                 "ip_ranges": [{"cidr_ip": "203.0.113.7/32", "description": "SSH from admins"}]},
                {"ip_protocol": "tcp", "from_port": 8080, "to_port": 8080, "ip_ranges": [],
                 "user_id_group_pairs": [{"group_id": "sg-alb", "user_id": "123456789012",
                                          "description": "app port from the load balancer"}]}],
            "ip_permissions_egress": [{"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}]}


def test_an_identical_group_needs_no_write():
    [state] = network_drift(web_group(), [described_web()], "security_group")
    assert state["drift"] == [] and state["id"] == "sg-web"


def test_a_narrowed_source_is_a_missing_and_an_extra_rule():
    narrowed = [dict(RULES[0], sources=["198.51.100.0/24"]), RULES[1]]
    [state] = network_drift(web_group(firewall_rules_to_security_group(narrowed)), [described_web()], "security_group")
    assert state["drift"] == ["rule missing: tcp 80 from 198.51.100.0/24 (web)",
                              "extra rule: tcp 80 from 0.0.0.0/0 (web)", "extra rule: tcp 80 from ::/0 (web)"]


def test_a_port_range_rule_added_and_a_rule_description_changed():
    added = RULES + [{"name": "alt", "port": 8443, "port_end": 8444, "sources": ["0.0.0.0/0"]}]
    [state] = network_drift(web_group(firewall_rules_to_security_group(added)), [described_web()], "security_group")
    assert state["drift"] == ["rule missing: tcp 8443-8444 from 0.0.0.0/0 (alt)"]
    found = described_web()
    found["ip_permissions"][1]["ip_ranges"][0]["description"] = "old"
    [state] = network_drift(web_group(), [found], "security_group")
    assert state["drift"] == ["rule missing: tcp 22 from 203.0.113.7/32 (SSH from admins)",
                              "extra rule: tcp 22 from 203.0.113.7/32 (old)"]


def test_a_rule_from_another_group_is_drift_but_egress_is_not_compared():
    found = described_web()
    found["ip_permissions"][2]["user_id_group_pairs"][0]["group_id"] = "sg-other"
    found["ip_permissions_egress"] = []
    [state] = network_drift(web_group(), [found], "security_group")
    assert state["drift"] == ["rule missing: tcp 8080 from sg-alb (app port from the load balancer)",
                              "extra rule: tcp 8080 from sg-other (app port from the load balancer)"]


def test_a_missing_group_a_changed_description_and_tag():
    assert network_drift(web_group(), [], "security_group")[0]["drift"] == ["missing"]
    found = described_web()
    found["description"] = "by hand"
    found["tags"]["Tier"] = "app"
    [state] = network_drift(web_group(), [found], "security_group")
    assert state["drift"] == ["description is 'by hand', not 'liftoff-demo-sandbox web hosts'",
                              "tag Tier is 'app', not 'web'"]


def test_port_rules_one_rule_per_port():
    assert network_port_rules([5432, "3306"], {"proto": "tcp", "from_port": None, "to_port": None, "group_id": "sg-web",
                                               "rule_desc": "db {port}"}) == [
        {"proto": "tcp", "from_port": 5432, "to_port": 5432, "group_id": "sg-web", "rule_desc": "db 5432"},
        {"proto": "tcp", "from_port": 3306, "to_port": 3306, "group_id": "sg-web", "rule_desc": "db 3306"}]
    rules = network_port_rules([80], {"name": "alb-{port}", "port": None, "sources": ["0.0.0.0/0"]})
    assert rules == [{"name": "alb-80", "port": 80, "sources": ["0.0.0.0/0"]}]


# -- VPC, gateway, endpoint -------------------------------------------------------------------

VPC = {"key": "vpc", "cidr": "10.40.0.0/16", "enable_dns_support": True, "enable_dns_hostnames": True, "ipv6": False,
       "tags": dict(TAGS, Name=PREFIX + "-vpc")}


def described_vpc(**kw):
    vpc = {"vpc_id": "vpc-1", "id": "vpc-1", "cidr_block": "10.40.0.0/16", "enable_dns_support": True,
           "enable_dns_hostnames": True, "tags": dict(TAGS, Name=PREFIX + "-vpc"), "ipv6_cidr_block_association_set": []}
    vpc.update(kw)
    return vpc


def test_vpc_identical_missing_dns_off_and_ipv6_wanted():
    assert network_drift(VPC, [described_vpc()], "vpc") == [dict(VPC, id="vpc-1", drift=[])]
    assert network_drift(VPC, [], "vpc")[0]["drift"] == ["missing"]
    assert network_drift(VPC, [described_vpc(enable_dns_hostnames=False)], "vpc")[0]["drift"] == [
        "enable_dns_hostnames is False"]
    assert network_drift(dict(VPC, ipv6=True), [described_vpc()], "vpc")[0]["drift"] == ["no Amazon-provided IPv6 block"]
    with_v6 = described_vpc(ipv6_cidr_block_association_set=[
        {"ipv6_cidr_block": "2a05:d018:1::/56", "ipv6_pool": "Amazon", "ipv6_cidr_block_state": {"state": "associated"}}])
    assert network_drift(dict(VPC, ipv6=True), [with_v6], "vpc")[0]["drift"] == []


def test_a_vpc_with_our_name_but_not_our_tags_is_foreign():
    ours = described_vpc()
    theirs = described_vpc(vpc_id="vpc-2", id="vpc-2", tags={"Name": PREFIX + "-vpc", "Owner": "ops"})
    other_env = described_vpc(vpc_id="vpc-3", id="vpc-3", tags=dict(TAGS, Environment="production", Name=PREFIX + "-vpc"))
    assert network_foreign_vpcs([ours, theirs, other_env, theirs], TAGS) == ["vpc-2", "vpc-3"]
    assert network_foreign_vpcs([ours], TAGS) == []


def test_internet_gateway_found_by_attachment_and_tags_compared():
    item = {"key": "igw", "vpc_id": "vpc-1", "tags": dict(TAGS, Name=PREFIX + "-igw")}
    found = {"internet_gateway_id": "igw-1", "attachments": [{"vpc_id": "vpc-1", "state": "available"}],
             "tags": dict(TAGS, Name=PREFIX + "-igw")}
    assert network_drift(item, [found], "internet_gateway") == [dict(item, id="igw-1", drift=[])]
    assert network_drift(item, [dict(found, attachments=[])], "internet_gateway")[0]["drift"] == ["missing"]
    assert network_drift(item, [dict(found, tags=TAGS)], "internet_gateway")[0]["drift"] == ["tag Name missing"]


def test_endpoint_needs_exactly_its_route_tables():
    item = {"key": "s3", "service": "com.amazonaws.eu-west-1.s3", "route_table_ids": ["rtb-0", "rtb-1", "rtb-2"],
            "tags": dict(TAGS, Name=PREFIX + "-s3")}
    found = {"vpc_endpoint_id": "vpce-1", "service_name": "com.amazonaws.eu-west-1.s3", "state": "available",
             "route_table_ids": ["rtb-2", "rtb-0", "rtb-1"], "tags": dict(TAGS, Name=PREFIX + "-s3")}
    assert network_drift(item, [found], "endpoint")[0]["drift"] == []
    assert network_drift(item, [dict(found, route_table_ids=["rtb-0"])], "endpoint")[0]["drift"] == [
        "missing (found vpce-1 on ['rtb-0'])"]
    assert network_drift(item, [dict(found, state="deleted")], "endpoint")[0]["drift"] == ["missing"]


# -- IDs for later tasks ----------------------------------------------------------------------


def test_ids_come_from_the_module_where_it_ran_else_from_the_describe():
    plan = network_subnet_plan(AZS, PUBLIC, PRIVATE, "", PREFIX, TAGS)
    state = network_drift(plan, described_subnets(plan)[:3], "subnet")
    results = [{"item": state[3], "changed": True, "subnet": {"id": "subnet-new"}},
               {"item": state[0], "skipped": True}]
    assert network_ids(state, results, "subnet.id") == ["subnet-0", "subnet-1", "subnet-2", "subnet-new"]
    assert network_ids(state, [], "subnet.id") == ["subnet-0", "subnet-1", "subnet-2", ""]


def test_unknown_kind_is_refused():
    with pytest.raises(AnsibleFilterError, match="kind must be one of"):
        network_drift([], [], "nacl")


def test_endpoint_tags_as_ec2_vpc_endpoint_info_returns_them():
    item = {"key": "s3", "service": "com.amazonaws.eu-west-1.s3", "route_table_ids": ["rtb-0"],
            "tags": {"Name": PREFIX + "-s3"}}
    found = {"vpc_endpoint_id": "vpce-1", "service_name": "com.amazonaws.eu-west-1.s3", "state": "available",
             "route_table_ids": ["rtb-0"], "tags": [{"key": "Name", "value": PREFIX + "-s3"}]}
    assert network_drift(item, [found], "endpoint")[0]["drift"] == []
    found["tags"].append({"key": "Owner", "value": "ops"})
    assert network_drift(item, [found], "endpoint")[0]["drift"] == ["extra tag Owner"]


def test_nat_gateway_found_in_its_subnet_while_pending_or_available():
    item = {"key": "nat", "subnet_id": "subnet-0", "tags": {"Name": PREFIX + "-nat"}}
    found = {"nat_gateway_id": "nat-1", "subnet_id": "subnet-0", "state": "available", "tags": {"Name": PREFIX + "-nat"}}
    assert network_drift(item, [found], "nat_gateway") == [dict(item, id="nat-1", drift=[])]
    assert network_drift(item, [dict(found, state="deleting")], "nat_gateway")[0]["drift"] == ["missing"]
    assert network_drift(item, [dict(found, subnet_id="subnet-1")], "nat_gateway")[0]["drift"] == ["missing"]


def test_an_extra_ipv6_route_is_left_alone_like_the_module_does():
    plan = table_plan()
    found = described_tables(plan)
    found[2]["routes"].append({"destination_ipv6_cidr_block": "::/0", "gateway_id": IGW, "origin": "CreateRoute"})
    assert differing(network_drift(plan, found, "route_table")) == []
