"""Role liftoff.aws.network against the emulator: what a user sees in EC2, and that nothing else is touched."""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.harness.owned import READS_PER_RESOURCE_CEILING, resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "playbooks" / "network.yml"
FACTS_PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "network_facts.yml"
PREFIX = "liftoff-demo-sandbox"
OUR_TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
RULES = [
    {"name": "http", "port": 80, "sources": ["0.0.0.0/0", "::/0"], "comment": "web"},
    {"name": "https", "port": 443, "sources": ["0.0.0.0/0", "::/0"], "comment": "web tls"},
]
ADMINS = ["203.0.113.7/32", "2001:db8:7::/48"]
VARS = {"liftoff_firewall_rules": RULES, "liftoff_admin_sources": ADMINS}


def _tags(resource: dict) -> dict:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _our_filters(**extra) -> list[dict]:
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in OUR_TAGS.items()]
    return filters + [{"Name": k, "Values": v} for k, v in extra.items()]


def _ingress(group: dict) -> set[tuple]:
    """Every (protocol, from, to, source) a security group lets in; source = CIDR or group ID."""
    result = set()
    for perm in group["IpPermissions"]:
        key = (perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"))
        result |= {key + (r["CidrIp"],) for r in perm.get("IpRanges", [])}
        result |= {key + (r["CidrIpv6"],) for r in perm.get("Ipv6Ranges", [])}
        result |= {key + (p["GroupId"],) for p in perm.get("UserIdGroupPairs", [])}
    return result


def _groups(ec2, vpc_id: str) -> dict[str, dict]:
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    return {g["GroupName"].removeprefix(PREFIX + "-"): g for g in groups}


def _our_vpcs(ec2) -> list[dict]:
    return ec2.describe_vpcs(Filters=_our_filters())["Vpcs"]


def _sids(endpoint: dict) -> dict:
    """The endpoint's policy statements by Sid (moto, like AWS, returns PolicyDocument as a JSON string)."""
    return {st.get("Sid", ""): st for st in json.loads(endpoint["PolicyDocument"])["Statement"]}


def _foreign_network(ec2) -> dict:
    """Another environment of the same project, made by hand: it must survive our teardown."""
    tags = [{"Key": "Project", "Value": "liftoff-demo"}, {"Key": "Environment", "Value": "production"},
            {"Key": "ManagedBy", "Value": "liftoff"}, {"Key": "Name", "Value": "liftoff-demo-production-vpc"}]
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.40.0.0/20", TagSpecifications=[
        {"ResourceType": "subnet", "Tags": tags}])["Subnet"]
    group = ec2.create_security_group(VpcId=vpc["VpcId"], GroupName=f"{PREFIX}-web", Description="not ours",
                                      TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}])
    return {"vpc": vpc["VpcId"], "subnet": subnet["SubnetId"], "sg": group["GroupId"]}


def test_check_mode_on_an_empty_account_predicts_and_writes_nothing(playbook, aws):
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=VARS)
    assert result.rc == 0, result
    assert result.changed > 0, result
    assert "does not exist yet" in result.stdout
    assert aws.writes() == []
    assert _our_vpcs(aws.client("ec2")) == []


def test_create_noop_modify_teardown(playbook, aws):
    ec2 = aws.client("ec2")
    default_vpc = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
    assert default_vpc
    foreign = _foreign_network(ec2)

    # -- create ----------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, extra_vars=VARS)
    assert result.rc == 0, result
    assert result.changed > 0

    [vpc] = _our_vpcs(ec2)
    vpc_id = vpc["VpcId"]
    assert vpc["CidrBlock"] == "10.40.0.0/16"
    assert _tags(vpc)["Name"] == f"{PREFIX}-vpc"
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]

    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    public = sorted((s for s in subnets if _tags(s)["Tier"] == "public"), key=lambda s: s["CidrBlock"])
    private = sorted((s for s in subnets if _tags(s)["Tier"] == "private"), key=lambda s: s["CidrBlock"])
    assert [s["CidrBlock"] for s in public] == ["10.40.0.0/20", "10.40.16.0/20"]
    assert [s["CidrBlock"] for s in private] == ["10.40.128.0/20", "10.40.144.0/20"]
    assert len({s["AvailabilityZone"] for s in public}) == 2
    assert {s["AvailabilityZone"] for s in public} == {s["AvailabilityZone"] for s in private}
    assert all(s["MapPublicIpOnLaunch"] for s in public)
    assert not any(s["MapPublicIpOnLaunch"] for s in private)

    [igw] = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    tables = ec2.describe_route_tables(Filters=_our_filters(**{"vpc-id": [vpc_id]}))["RouteTables"]
    by_subnet = {a["SubnetId"]: t for t in tables for a in t["Associations"] if a.get("SubnetId")}
    for subnet in public:
        defaults = [r for r in by_subnet[subnet["SubnetId"]]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert [r.get("GatewayId") for r in defaults] == [igw["InternetGatewayId"]]
    for subnet in private:
        routes = by_subnet[subnet["SubnetId"]]["Routes"]
        assert not [r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"], routes

    [endpoint] = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    assert endpoint["ServiceName"] == "com.amazonaws.eu-west-1.s3"
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert sorted(endpoint["RouteTableIds"]) == sorted(t["RouteTableId"] for t in tables)
    assert len(tables) == 3
    # not AWS's allow-everything default: the project's buckets and the region's AWS buckets hosts read
    policy = _sids(endpoint)
    assert sorted(policy) == ["AmazonLinux2023Repositories", "CodeDeployAgent", "ProjectBuckets"]
    assert sorted(policy["ProjectBuckets"]["Resource"]) == sorted(
        f"arn:aws:s3:::{PREFIX}-{b}{suffix}" for b in ("uploads", "site", "thumbnails", "codedeploy-revisions")
        for suffix in ("", "/*"))
    assert policy["AmazonLinux2023Repositories"]["Resource"] == ["arn:aws:s3:::al2023-repos-eu-west-1-*/*"]
    assert policy["CodeDeployAgent"]["Resource"] == ["arn:aws:s3:::aws-codedeploy-eu-west-1",
                                                     "arn:aws:s3:::aws-codedeploy-eu-west-1/*"]
    assert all(s["Effect"] == "Allow" and "*" not in s["Resource"] for s in policy.values())

    groups = _groups(ec2, vpc_id)
    alb, web = groups["alb"]["GroupId"], groups["web"]["GroupId"]
    world = {"0.0.0.0/0", "::/0"}
    assert _ingress(groups["alb"]) == {("tcp", p, p, s) for p in (80, 443) for s in world}
    assert _ingress(groups["web"]) == (
        {("tcp", p, p, s) for p in (80, 443) for s in world}
        | {("tcp", 22, 22, s) for s in ADMINS}
        | {("tcp", 8080, 8080, alb)})
    assert [r for r in _ingress(groups["web"]) if r[1] == 8080] == [("tcp", 8080, 8080, alb)]  # ALB group only
    assert _ingress(groups["cache"]) == {("tcp", 6379, 6379, web)}
    assert _ingress(groups["db"]) == {("tcp", 5432, 5432, web)}
    assert all(_tags(g)["ManagedBy"] == "liftoff" for name, g in groups.items() if name != "default")

    # -- no-op re-run: nothing changed, not one write call; the facts later roles read --------------
    owned = resources(aws, "network")
    assert owned == 14  # VPC, 4 subnets, 3 route tables, IGW, 4 security groups, S3 endpoint (the foreign VPC is not ours)
    aws.reset_calls()
    result = playbook(FACTS_PLAYBOOK, extra_vars=VARS, env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    assert result.rc == 0, result
    assert result.changed == 0, result
    calls = aws.calls()
    assert [c for c in calls if c.is_write] == []
    reads = [str(c) for c in calls if c.is_read]
    assert len(reads) / owned <= READS_PER_RESOURCE_CEILING["network"], (len(reads), owned, sorted(reads))
    facts = result.facts("NETWORK")
    assert facts["vpc_id"] == vpc_id
    assert facts["public"] == [s["SubnetId"] for s in sorted(public, key=lambda s: s["AvailabilityZone"])]
    assert facts["private"] == [s["SubnetId"] for s in sorted(private, key=lambda s: s["AvailabilityZone"])]
    assert facts["sgs"] == {name: groups[name]["GroupId"] for name in ("alb", "web", "cache", "db")}

    # -- modify: one rule added, one source narrowed: the same group is updated in place ------------
    changed_rules = [
        {"name": "http", "port": 80, "sources": ["198.51.100.0/24"], "comment": "web"},
        RULES[1],
        {"name": "alt-https", "port": 8443, "port_end": 8444, "sources": ["0.0.0.0/0"]},
    ]
    modified = dict(VARS, liftoff_firewall_rules=changed_rules)
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=modified)
    assert result.rc == 0 and result.changed == 1, result  # check mode predicts exactly the web group
    assert aws.writes() == []
    result = playbook(PLAYBOOK, extra_vars=modified)
    assert result.rc == 0 and result.changed == 1, result
    groups = _groups(ec2, vpc_id)
    assert groups["web"]["GroupId"] == web
    assert _ingress(groups["web"]) == (
        {("tcp", 80, 80, "198.51.100.0/24"), ("tcp", 8443, 8444, "0.0.0.0/0")}
        | {("tcp", 443, 443, s) for s in world}
        | {("tcp", 22, 22, s) for s in ADMINS}
        | {("tcp", 8080, 8080, alb)})
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=modified)
    assert result.rc == 0 and result.changed == 0, result
    assert aws.writes() == []

    # -- teardown: check mode first, then for real, then again ------------------------------------
    absent = dict(modified, network_state="absent")
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=absent)
    assert result.rc == 0 and result.changed > 0, result
    assert aws.writes() == []
    assert len(_our_vpcs(ec2)) == 1

    result = playbook(PLAYBOOK, extra_vars=absent)
    assert result.rc == 0 and result.changed > 0, result
    assert _our_vpcs(ec2) == []
    assert ec2.describe_subnets(Filters=_our_filters())["Subnets"] == []
    assert ec2.describe_security_groups(Filters=_our_filters())["SecurityGroups"] == []
    assert ec2.describe_route_tables(Filters=_our_filters())["RouteTables"] == []
    assert ec2.describe_internet_gateways(Filters=_our_filters())["InternetGateways"] == []
    assert [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"] not in ("deleted", "deleting")] == []

    # ... and nothing else: the other environment's VPC, subnet and group, and the default VPC
    assert ec2.describe_vpcs(VpcIds=[foreign["vpc"]])["Vpcs"]
    assert ec2.describe_subnets(SubnetIds=[foreign["subnet"]])["Subnets"]
    assert ec2.describe_security_groups(GroupIds=[foreign["sg"]])["SecurityGroups"]
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]] == default_vpc

    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=absent)
    assert result.rc == 0 and result.changed == 0, result
    assert aws.writes() == []


def test_an_endpoint_with_the_full_access_default_is_scoped_in_place(playbook, aws):
    """An endpoint made before the scoped policy (AWS's default on it) keeps its ID and gets the policy: one write."""
    ec2 = aws.client("ec2")
    result = playbook(PLAYBOOK, extra_vars=dict(VARS, network_s3_endpoint_policy="full_access"))
    assert result.rc == 0, result
    [vpc] = _our_vpcs(ec2)
    [before] = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    assert json.loads(before["PolicyDocument"]) == {
        "Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}

    aws.reset_calls()
    dry = playbook(PLAYBOOK, check=True, diff=True, extra_vars=VARS)
    assert dry.rc == 0 and dry.changed == 1, dry
    assert aws.writes() == []

    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=VARS)
    assert result.rc == 0 and result.changed == 1, result
    assert [c.operation for c in aws.writes()] == ["ModifyVpcEndpoint"]
    [after] = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    assert after["VpcEndpointId"] == before["VpcEndpointId"]
    assert sorted(_sids(after)) == ["AmazonLinux2023Repositories", "CodeDeployAgent", "ProjectBuckets"]

    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=VARS)
    assert result.rc == 0 and result.changed == 0, result
    assert aws.writes() == []


def test_nat_gateway_on_then_off(playbook, aws):
    ec2 = aws.client("ec2")
    result = playbook(PLAYBOOK, extra_vars=dict(VARS, network_enable_nat=True, network_enable_s3_endpoint=False))
    assert result.rc == 0, result
    [vpc] = _our_vpcs(ec2)
    [nat] = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                                               {"Name": "state", "Values": ["available", "pending"]}])["NatGateways"]
    public = {s["SubnetId"] for s in ec2.describe_subnets(Filters=_our_filters(**{"tag:Tier": ["public"]}))["Subnets"]}
    assert nat["SubnetId"] in public
    tables = ec2.describe_route_tables(Filters=_our_filters(**{"tag:Tier": ["private"]}))["RouteTables"]
    assert len(tables) == 2
    for table in tables:
        assert [r.get("NatGatewayId") for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"] \
            == [nat["NatGatewayId"]]
    assert ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"] == []

    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=dict(VARS, network_enable_nat=True, network_enable_s3_endpoint=False))
    assert result.rc == 0 and result.changed == 0, result
    assert aws.writes() == []
    reads = [str(c) for c in aws.calls() if c.is_read]
    owned = resources(aws, "network")  # the NAT gateway instead of the endpoint
    assert len(reads) / owned <= READS_PER_RESOURCE_CEILING["network"], (len(reads), owned, sorted(reads))

    result = playbook(PLAYBOOK, extra_vars=dict(VARS, network_enable_nat=False, network_enable_s3_endpoint=False))
    assert result.rc == 0, result
    state = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]
    assert state in ("deleting", "deleted")
    address_ids = [a["AllocationId"] for a in nat["NatGatewayAddresses"]]
    assert not [a for a in ec2.describe_addresses()["Addresses"] if a["AllocationId"] in address_ids]  # EIP released
    for table in ec2.describe_route_tables(Filters=_our_filters(**{"tag:Tier": ["private"]}))["RouteTables"]:
        assert not [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"], table


def test_ipv6_turned_on_for_an_existing_network(playbook, aws):
    ec2 = aws.client("ec2")
    result = playbook(PLAYBOOK, extra_vars=VARS)
    assert result.rc == 0, result
    [before] = _our_vpcs(ec2)
    subnet_ids = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=_our_filters())["Subnets"])

    extra = dict(VARS, network_enable_ipv6=True)
    result = playbook(PLAYBOOK, extra_vars=extra)
    assert result.rc == 0, result
    [vpc] = _our_vpcs(ec2)
    assert vpc["VpcId"] == before["VpcId"]  # the same VPC and subnets, given IPv6 in place
    [block] = [a["Ipv6CidrBlock"] for a in vpc["Ipv6CidrBlockAssociationSet"]
               if a["Ipv6CidrBlockState"]["State"] == "associated"]
    assert ipaddress.ip_network(block).prefixlen == 56
    subnets = ec2.describe_subnets(Filters=_our_filters())["Subnets"]
    assert sorted(s["SubnetId"] for s in subnets) == subnet_ids
    blocks = []
    for subnet in subnets:
        [assoc] = subnet["Ipv6CidrBlockAssociationSet"]
        network = ipaddress.ip_network(assoc["Ipv6CidrBlock"])
        assert network.prefixlen == 64 and network.subnet_of(ipaddress.ip_network(block))
        assert subnet["AssignIpv6AddressOnCreation"]
        blocks.append(network)
    assert len(set(blocks)) == 4
    [igw] = ec2.describe_internet_gateways(Filters=_our_filters())["InternetGateways"]
    for table in ec2.describe_route_tables(Filters=_our_filters())["RouteTables"]:
        v6_default = [r.get("GatewayId") for r in table["Routes"] if r.get("DestinationIpv6CidrBlock") == "::/0"]
        assert v6_default == ([igw["InternetGatewayId"]] if _tags(table)["Tier"] == "public" else []), table

    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=extra)
    assert result.rc == 0 and result.changed == 0, result
    assert aws.writes() == []
    reads = [str(c) for c in aws.calls() if c.is_read]
    assert len(reads) / resources(aws, "network") <= READS_PER_RESOURCE_CEILING["network"], sorted(reads)

    result = playbook(PLAYBOOK, extra_vars=dict(extra, network_state="absent"))
    assert result.rc == 0, result
    assert _our_vpcs(ec2) == []
    assert ec2.describe_subnets(Filters=_our_filters())["Subnets"] == []


def test_refuses_to_adopt_a_vpc_with_our_name_but_not_our_tags(playbook, aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"{PREFIX}-vpc"}, {"Key": "Owner", "Value": "ops"}]}])
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=VARS)
    assert result.rc != 0, result
    assert "will not take it over" in result.stdout, result
    assert aws.writes() == []
    assert _tags(ec2.describe_vpcs(VpcIds=[vpc["Vpc"]["VpcId"]])["Vpcs"][0]) == {"Name": f"{PREFIX}-vpc", "Owner": "ops"}


@pytest.mark.parametrize("extra, expected", [
    ({"network_vpc_cidr": "10.40.0.0/33"}, "network_vpc_cidr: '10.40.0.0/33' is not an IPv4 CIDR"),
    ({"network_vpc_cidr": "10.40.0.1/16"}, "network_vpc_cidr: '10.40.0.1/16' has host bits set"),
    ({"network_public_subnet_cidrs": ["10.40.0.0/24", "10.41.0.0/24"]},
     "network_public_subnet_cidrs[1]: 10.41.0.0/24 is not inside network_vpc_cidr 10.40.0.0/16"),
    ({"network_public_subnet_cidrs": ["10.40.0.0/24", "10.40.128.0/24"]},
     "network_public_subnet_cidrs[1]: 10.40.128.0/24 overlaps network_private_subnet_cidrs (derived)[0] 10.40.128.0/20"),
    ({"network_azs": ["eu-west-1a"]}, "network_azs lists 1 distinct availability zone(s)"),
    ({"network_azs": ["eu-west-1a", "eu-west-1a"]}, "network_azs lists 1 distinct availability zone(s)"),
    ({"liftoff_firewall_rules": [{"name": "web", "port": 80, "sources": ["0.0.0.0"]}]},
     "network_firewall_rules (liftoff_firewall_rules)[0] (web): source '0.0.0.0' has no prefix length"),
    ({"liftoff_admin_sources": []}, "network_admin_sources (liftoff_admin_sources) is empty"),
    ({"liftoff_admin_sources": ["203.0.113.7"]}, "network_admin_sources[0] (ssh): source '203.0.113.7' has no prefix"),
    ({"network_db_ports": [3306, 70000]}, "network_db_ports=[3306, 70000]"),
    ({"network_db_ports": 3306}, "network_db_ports is 3306, not a list: write a list, even for one item, like network_db_ports: [3306]"),
    ({"network_db_ports": "3306"}, "network_db_ports is \"3306\", not a list: write a list"),
    ({"network_alb_ports": 443}, "network_alb_ports is 443, not a list: write a list, even for one item, like network_alb_ports: [443]"),
    ({"network_enable_nat": "maybe"}, "network_enable_nat"),
])
def test_bad_input_is_refused_before_any_aws_call(playbook, aws, extra, expected):
    result = playbook(PLAYBOOK, extra_vars=dict(VARS, **extra))
    assert result.rc != 0, result
    assert expected in result.stdout + result.stderr, result
    assert aws.calls() == []
