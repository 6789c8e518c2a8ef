"""liftoff.aws.network_s3_endpoint_policy (the S3 gateway endpoint's policy) and how network_drift compares
it with what ec2_vpc_endpoint_info describes (PolicyDocument is a JSON string there)."""

from __future__ import annotations

import json

import boto3
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.network_drift import (
    FULL_ACCESS_POLICY,
    network_drift,
    network_s3_endpoint_policy,
)
from ansible_collections.liftoff.aws.plugins.modules import ec2_vpc_endpoint_policy
from tests.unit.module_runner import run_module, writes

BUCKETS = ["liftoff-demo-sandbox-uploads", "liftoff-demo-sandbox-site"]
TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff", "Name": "liftoff-demo-sandbox-s3"}


def by_sid(policy):
    return {s["Sid"]: s for s in policy["Statement"]}


def test_scoped_default_allows_s3_only_on_the_project_buckets_and_their_objects():
    policy = network_s3_endpoint_policy(BUCKETS, "eu-west-1")
    assert policy["Version"] == "2012-10-17"
    project = by_sid(policy)["ProjectBuckets"]
    assert project["Effect"] == "Allow" and project["Principal"] == "*" and project["Action"] == "s3:*"
    assert project["Resource"] == [
        "arn:aws:s3:::liftoff-demo-sandbox-uploads", "arn:aws:s3:::liftoff-demo-sandbox-uploads/*",
        "arn:aws:s3:::liftoff-demo-sandbox-site", "arn:aws:s3:::liftoff-demo-sandbox-site/*"]
    every_resource = [r for s in policy["Statement"] for r in s["Resource"]]
    assert "*" not in every_resource and all(s["Effect"] == "Allow" for s in policy["Statement"])


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-2", "ap-southeast-4"])
def test_the_aws_owned_buckets_are_those_of_the_region_and_read_only(region):
    statements = by_sid(network_s3_endpoint_policy(BUCKETS, region))
    repos = statements["AmazonLinux2023Repositories"]
    assert repos["Action"] == "s3:GetObject"
    assert repos["Resource"] == [f"arn:aws:s3:::al2023-repos-{region}-*/*"]
    agent = statements["CodeDeployAgent"]
    assert agent["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert agent["Resource"] == [f"arn:aws:s3:::aws-codedeploy-{region}", f"arn:aws:s3:::aws-codedeploy-{region}/*"]


def test_partition_and_no_project_buckets():
    policy = network_s3_endpoint_policy([], "cn-north-1", partition="aws-cn")
    assert sorted(by_sid(policy)) == ["AmazonLinux2023Repositories", "CodeDeployAgent"]
    assert by_sid(policy)["CodeDeployAgent"]["Resource"][0] == "arn:aws-cn:s3:::aws-codedeploy-cn-north-1"


def test_override_full_access_and_empty():
    own = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                   "Resource": "arn:aws:s3:::mine/*"}]}
    assert network_s3_endpoint_policy(BUCKETS, "eu-west-1", override=own) == own
    assert network_s3_endpoint_policy(BUCKETS, "eu-west-1", override="full_access") == FULL_ACCESS_POLICY
    scoped = network_s3_endpoint_policy(BUCKETS, "eu-west-1")
    for empty in ({}, None, ""):
        assert network_s3_endpoint_policy(BUCKETS, "eu-west-1", override=empty) == scoped


@pytest.mark.parametrize("buckets, region, override, message", [
    (BUCKETS, "eu-west-1", "default", "network_s3_endpoint_policy is \"default\": leave it empty"),
    (BUCKETS, "eu-west-1", {"Version": "2012-10-17"}, "a policy document needs a Statement"),
    ("liftoff-demo-sandbox-uploads", "eu-west-1", None, "network_s3_endpoint_policy_buckets is \"liftoff"),
    (["Uploads"], "eu-west-1", None, "network_s3_endpoint_policy_buckets: [\"Uploads\"] not S3 bucket name"),
    (["b/key"], "eu-west-1", None, "not S3 bucket name"),
    (BUCKETS, "", None, "region '' is not an AWS region"),
])
def test_bad_input_is_refused_naming_the_variable(buckets, region, override, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("[", r"\[").replace("(", r"\(")):
        network_s3_endpoint_policy(buckets, region, override=override)


# -- drift ------------------------------------------------------------------------------------------


def endpoint_item(policy):
    return {"key": "s3", "service": "com.amazonaws.eu-west-1.s3", "route_table_ids": ["rtb-1", "rtb-2"],
            "tags": TAGS, "policy": policy}


def described(policy_document):
    return [{"vpc_endpoint_id": "vpce-1", "service_name": "com.amazonaws.eu-west-1.s3", "state": "available",
             "route_table_ids": ["rtb-2", "rtb-1"], "tags": [{"key": k, "value": v} for k, v in TAGS.items()],
             "policy_document": policy_document}]


def test_the_same_policy_as_a_json_string_is_no_drift_whatever_the_order():
    policy = network_s3_endpoint_policy(BUCKETS, "eu-west-1")
    assert network_drift(endpoint_item(policy), described(json.dumps(policy)), "endpoint")[0]["drift"] == []
    reordered = dict(policy, Statement=list(reversed(policy["Statement"])))
    reordered["Statement"][0] = dict(reordered["Statement"][0], Action=["s3:GetObject", "s3:ListBucket"][::-1])
    assert network_drift(endpoint_item(policy), described(json.dumps(reordered, indent=2)), "endpoint")[0]["drift"] == []


def test_the_full_access_default_and_another_policy_are_drift():
    policy = network_s3_endpoint_policy(BUCKETS, "eu-west-1")
    [state] = network_drift(endpoint_item(policy), described(json.dumps(FULL_ACCESS_POLICY)), "endpoint")
    assert state["id"] == "vpce-1"
    assert state["drift"] == ["policy is AWS's full-access default, not the wanted one"]
    other = network_s3_endpoint_policy(BUCKETS[:1], "eu-west-1")
    assert network_drift(endpoint_item(policy), described(json.dumps(other)), "endpoint")[0]["drift"] == [
        "policy differs from the wanted one"]
    assert network_drift(endpoint_item(policy), described(None), "endpoint")[0]["drift"] == ["policy missing"]
    # another region's AWS buckets are another policy
    elsewhere = network_s3_endpoint_policy(BUCKETS, "eu-central-1")
    assert network_drift(endpoint_item(policy), described(json.dumps(elsewhere)), "endpoint")[0]["drift"] != []


def test_full_access_wanted_and_found_is_no_drift_and_no_policy_is_not_compared():
    full = network_s3_endpoint_policy(BUCKETS, "eu-west-1", override="full_access")
    assert network_drift(endpoint_item(full), described(json.dumps(FULL_ACCESS_POLICY)), "endpoint")[0]["drift"] == []
    item = endpoint_item(None)
    del item["policy"]
    assert network_drift(item, described(json.dumps(FULL_ACCESS_POLICY)), "endpoint")[0]["drift"] == []


def test_a_missing_endpoint_is_missing_not_a_policy_reason():
    policy = network_s3_endpoint_policy(BUCKETS, "eu-west-1")
    assert network_drift(endpoint_item(policy), [], "endpoint")[0]["drift"] == ["missing"]


# -- liftoff.aws.ec2_vpc_endpoint_policy, in-process against moto -----------------------------------


@pytest.fixture
def endpoint(moto_aws):
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    return ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.eu-west-1.s3", RouteTableIds=[table],
                                   VpcEndpointType="Gateway")["VpcEndpoint"]["VpcEndpointId"]


def stored(endpoint_id):
    [found] = boto3.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    return json.loads(found["PolicyDocument"])


def test_module_replaces_the_full_access_default_check_real_idempotent(endpoint):
    policy = network_s3_endpoint_policy(BUCKETS, "eu-west-1")
    assert stored(endpoint) == FULL_ACCESS_POLICY  # what AWS (and moto) put there
    args = {"vpc_endpoint_id": endpoint, "policy": json.dumps(policy)}

    result, calls = run_module(ec2_vpc_endpoint_policy, args, check=True, diff=True)
    assert result["changed"] and writes(calls) == [], result
    assert result["diff"]["before"] == FULL_ACCESS_POLICY and result["diff"]["after"] == policy
    assert stored(endpoint) == FULL_ACCESS_POLICY

    result, calls = run_module(ec2_vpc_endpoint_policy, args)
    assert result["changed"] and writes(calls) == ["ModifyVpcEndpoint"], result
    assert stored(endpoint) == policy

    result, calls = run_module(ec2_vpc_endpoint_policy, dict(args, policy=json.dumps(dict(policy, Statement=policy["Statement"][::-1]))))
    assert not result["changed"] and writes(calls) == [] and calls == ["DescribeVpcEndpoints"], result


def test_module_fails_clearly_for_an_unknown_endpoint(moto_aws):
    result, calls = run_module(ec2_vpc_endpoint_policy, {"vpc_endpoint_id": "vpce-0000000000000000f", "policy": json.dumps(FULL_ACCESS_POLICY)})
    assert result["failed"] and "Could not read VPC endpoint vpce-0000000000000000f" in result["msg"], result
    assert writes(calls) == []
