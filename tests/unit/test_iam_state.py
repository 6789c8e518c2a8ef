"""liftoff.aws.iam_path_info (in-process moto) and the iam_desired / iam_drift filters: the iam role
reads IAM once and writes only what differs, so these decide whether a drifted entity is repaired."""

from __future__ import annotations

import copy
import functools
import json

import boto3
import moto.iam.models
import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.liftoff.aws.plugins.filter.iam_state import iam_desired, iam_drift
from ansible_collections.liftoff.aws.plugins.modules import iam_path_info
from tests.unit.module_runner import run_module, writes

PATH = "/liftoff/shop/prod/"
PREFIX = "shop-prod"
TAGS = {"Project": "shop", "ManagedBy": "liftoff"}
ALLOW = [{"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}]
MFA = [{"effect": "Deny", "not_actions": ["iam:ChangePassword"], "resources": ["*"],
        "condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]
INPUTS = {
    "groups": [{"name": "admins", "managed_policies": ["AdministratorAccess"], "require_mfa": True},
               {"name": "deployers", "statements": ALLOW}],
    "users": [{"name": "alice", "groups": ["admins"]}, {"name": "bob", "groups": ["deployers", "admins"]}],
    "roles": [{"key": "app", "description": "App", "service": "ec2.amazonaws.com",
               "managed_policies": ["AmazonSSMManagedInstanceCore"], "statements": ALLOW, "instance_profile": True},
              {"key": "cd", "service": "codedeploy.amazonaws.com", "managed_policies": ["service-role/AWSCodeDeployRole"]}],
    "prefix": PREFIX, "path": PATH, "partition": "aws", "account_id": 123456789012, "tags": TAGS,
    "require_mfa_statements": MFA,
}


@functools.lru_cache(maxsize=1)
def few_managed_policies():
    every = json.loads(moto.iam.models.aws_managed_policies_data)
    wanted = ("AdministratorAccess", "AmazonSSMManagedInstanceCore", "AWSCodeDeployRole", "ReadOnlyAccess")
    return json.dumps({k: every[k] for k in wanted})


@pytest.fixture
def aws(moto_aws, monkeypatch):
    """In-process moto (tests/unit/conftest.py) that knows the AWS managed policies the role attaches."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    # only the few these tests attach: parsing all of AWS's managed policies costs seconds a test
    monkeypatch.setattr(moto.iam.models, "aws_managed_policies_data", few_managed_policies())


def converge(desired):
    """Create in moto exactly what iam_desired asks for, the way the role's write modules would."""
    iam = boto3.client("iam")
    tags = [{"Key": k, "Value": v} for k, v in desired["tags"].items()]
    for policy in desired["policies"]:
        iam.create_policy(PolicyName=policy["name"], Path=PATH, PolicyDocument=json.dumps(policy["document"]),
                          Description=policy["description"], Tags=tags)
    for user in desired["users"]:
        iam.create_user(UserName=user["name"], Path=PATH, Tags=tags)
    for group in desired["groups"]:
        iam.create_group(GroupName=group["name"], Path=PATH)
        for arn in group["managed_policies"]:
            iam.attach_group_policy(GroupName=group["name"], PolicyArn=arn)
        for user in group["users"]:
            iam.add_user_to_group(GroupName=group["name"], UserName=user)
    for role in desired["roles"]:
        kwargs = {"Description": role["description"]} if role["description"] else {}
        iam.create_role(RoleName=role["name"], Path=PATH, AssumeRolePolicyDocument=json.dumps(role["trust"]), Tags=tags, **kwargs)
        for arn in role["managed_policies"]:
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=arn)
        if role["inline"]:
            iam.put_role_policy(RoleName=role["name"], PolicyName=role["name"], PolicyDocument=json.dumps(role["inline"]))
    for profile in desired["profiles"]:
        iam.create_instance_profile(InstanceProfileName=profile["name"], Path=PATH, Tags=tags)
        iam.add_role_to_instance_profile(InstanceProfileName=profile["name"], RoleName=profile["role"])
    return iam


def read():
    result, calls = run_module(iam_path_info, {"path": PATH})
    assert not result.get("failed"), result
    assert writes(calls) == []
    return result, calls


NOTHING = {"users": [], "groups": [], "policies": [], "roles": [], "inline": [], "profiles": []}


def test_desired_builds_arns_members_and_documents():
    desired = iam_desired(INPUTS)
    groups = {g["short"]: g for g in desired["groups"]}
    assert groups["admins"]["managed_policies"] == [
        "arn:aws:iam::aws:policy/AdministratorAccess", f"arn:aws:iam::123456789012:policy{PATH}{PREFIX}-require-mfa"]
    assert groups["admins"]["users"] == ["alice", "bob"]
    assert groups["deployers"]["managed_policies"] == [f"arn:aws:iam::123456789012:policy{PATH}{PREFIX}-deployers"]
    assert [p["name"] for p in desired["policies"]] == [f"{PREFIX}-require-mfa", f"{PREFIX}-deployers"]
    roles = {r["key"]: r for r in desired["roles"]}
    assert roles["cd"]["managed_policies"] == ["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"]
    assert roles["cd"]["inline"] is None and roles["cd"]["description"] is None
    assert roles["app"]["trust"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert desired["profiles"] == [{"name": f"{PREFIX}-app", "key": "app", "role": f"{PREFIX}-app"}]


def test_desired_refuses_a_malformed_statement_naming_it():
    bad = copy.deepcopy(INPUTS)
    bad["roles"][0]["statements"] = [{"effect": "Allow", "actions": ["s3:GetObject"]}]
    with pytest.raises(AnsibleFilterError, match="iam_roles app: statement 1 has no resources"):
        iam_desired(bad)


def test_empty_account_everything_is_missing(aws):
    desired = iam_desired(INPUTS)
    found = read()[0]
    drift = iam_drift(desired, found)
    assert drift == {
        "users": ["alice", "bob"], "groups": [f"{PREFIX}-admins", f"{PREFIX}-deployers"],
        "policies": [f"{PREFIX}-require-mfa", f"{PREFIX}-deployers"], "roles": [f"{PREFIX}-app", f"{PREFIX}-cd"],
        "inline": [f"{PREFIX}-app"], "profiles": [f"{PREFIX}-app"]}


def test_converged_account_nothing_differs_in_a_few_reads(aws):
    desired = iam_desired(INPUTS)
    converge(desired)
    found, calls = read()
    assert iam_drift(desired, found) == NOTHING
    # one authorization-details page, one role listing, one tag read per customer managed policy
    assert sorted(calls) == ["GetAccountAuthorizationDetails", "ListPolicyTags", "ListPolicyTags", "ListRoles"]
    assert {u["user_name"] for u in found["account_users"]} == {"alice", "bob"}


@pytest.mark.parametrize("drift_it, kind, name", [
    (lambda iam: iam.tag_user(UserName="alice", Tags=[{"Key": "Project", "Value": "other"}]), "users", "alice"),
    (lambda iam: iam.remove_user_from_group(GroupName=f"{PREFIX}-admins", UserName="bob"), "groups", f"{PREFIX}-admins"),
    (lambda iam: iam.attach_group_policy(GroupName=f"{PREFIX}-deployers", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
     "groups", f"{PREFIX}-deployers"),
    (lambda iam: iam.create_policy_version(
        PolicyArn=f"arn:aws:iam::123456789012:policy{PATH}{PREFIX}-deployers", SetAsDefault=True,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})),
     "policies", f"{PREFIX}-deployers"),
    (lambda iam: iam.untag_policy(PolicyArn=f"arn:aws:iam::123456789012:policy{PATH}{PREFIX}-require-mfa", TagKeys=["Project"]),
     "policies", f"{PREFIX}-require-mfa"),
    (lambda iam: iam.update_role(RoleName=f"{PREFIX}-app", Description="changed by hand"), "roles", f"{PREFIX}-app"),
    (lambda iam: iam.update_assume_role_policy(RoleName=f"{PREFIX}-cd", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                                                 "Action": "sts:AssumeRole"}]})), "roles", f"{PREFIX}-cd"),
    (lambda iam: iam.detach_role_policy(RoleName=f"{PREFIX}-cd", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"),
     "roles", f"{PREFIX}-cd"),
    (lambda iam: iam.put_role_policy(RoleName=f"{PREFIX}-app", PolicyName=f"{PREFIX}-app", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})), "inline", f"{PREFIX}-app"),
    (lambda iam: iam.remove_role_from_instance_profile(InstanceProfileName=f"{PREFIX}-app", RoleName=f"{PREFIX}-app"),
     "profiles", f"{PREFIX}-app"),
])
def test_a_change_made_by_hand_is_found_and_nothing_else(aws, drift_it, kind, name):
    desired = iam_desired(INPUTS)
    drift_it(converge(desired))
    found = read()[0]
    assert iam_drift(desired, found) == dict(NOTHING, **{kind: [name]})


def test_a_user_on_another_path_is_not_ours(aws):
    boto3.client("iam").create_user(UserName="alice", Path="/elsewhere/")
    found = read()[0]
    assert found["users"] == []
    assert [(u["user_name"], u["path"]) for u in found["account_users"]] == [("alice", "/elsewhere/")]
    assert "alice" in iam_drift(iam_desired(INPUTS), found)["users"]


def test_order_and_single_item_lists_in_documents_do_not_count(aws):
    desired = iam_desired(INPUTS)
    iam = converge(desired)
    app = next(r for r in desired["roles"] if r["key"] == "app")
    same = {"Statement": [dict(app["inline"]["Statement"][0], Action="s3:GetObject")], "Version": "2012-10-17"}
    iam.put_role_policy(RoleName=app["name"], PolicyName=app["name"], PolicyDocument=json.dumps(same))
    found = read()[0]
    assert iam_drift(desired, found) == NOTHING


def test_path_must_be_an_iam_path(aws):
    result, calls = run_module(iam_path_info, {"path": "liftoff"})
    assert result["failed"] and "must begin and end with '/'" in result["msg"] and calls == []


# -- trust policies: cross-service confused deputy prevention ---------------------------------------


def trust_of(desired, key):
    [statement] = next(r for r in desired["roles"] if r["key"] == key)["trust"]["Statement"]
    return statement


def with_roles(*roles):
    return dict(copy.deepcopy(INPUTS), roles=list(roles))


@pytest.mark.parametrize("service", ["codedeploy.amazonaws.com", "lambda.amazonaws.com"])
def test_services_that_send_source_account_are_limited_to_this_account(service):
    statement = trust_of(iam_desired(with_roles({"key": "svc", "service": service})), "svc")
    assert statement["Principal"] == {"Service": service}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}  # a string, not the int


def test_the_ec2_role_gets_no_condition_instance_profiles_send_neither_key():
    statement = trust_of(iam_desired(INPUTS), "app")
    assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert "Condition" not in statement


def test_source_arns_add_arn_like_source_arn():
    arns = ["arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop-prod-web/*"]
    statement = trust_of(iam_desired(with_roles({"key": "cd", "service": "codedeploy.amazonaws.com", "source_arns": arns})), "cd")
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"},
                                      "ArnLike": {"aws:SourceArn": arns}}
    # a service not known to send aws:SourceAccount: only what the user asked for
    other = trust_of(iam_desired(with_roles({"key": "sf", "service": "states.amazonaws.com", "source_arns": ["arn:aws:states:*"]})), "sf")
    assert other["Condition"] == {"ArnLike": {"aws:SourceArn": ["arn:aws:states:*"]}}
    plain = trust_of(iam_desired(with_roles({"key": "sf", "service": "states.amazonaws.com"})), "sf")
    assert "Condition" not in plain


@pytest.mark.parametrize("role, message", [
    ({"key": "app", "service": "ec2.amazonaws.com", "source_arns": ["arn:aws:ec2:*:123456789012:instance/*"]},
     "iam_roles app: ec2.amazonaws.com does not send aws:SourceArn"),
    ({"key": "cd", "service": "codedeploy.amazonaws.com", "source_arns": "arn:aws:codedeploy:*"},
     "iam_roles cd: source_arns must be a list of ARNs"),
    ({"key": "cd", "service": "codedeploy.amazonaws.com", "source_arns": ["deploymentgroup/*"]},
     "iam_roles cd: source_arns must be a list of ARNs"),
])
def test_bad_source_arns_are_refused_naming_the_role(role, message):
    with pytest.raises(AnsibleFilterError, match=message):
        iam_desired(with_roles(role))


def test_a_role_trusted_without_the_condition_is_updated_once(aws):
    desired = iam_desired(INPUTS)
    iam = converge(desired)
    cd = next(r for r in desired["roles"] if r["key"] == "cd")
    assert cd["trust"]["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    old = copy.deepcopy(cd["trust"])
    del old["Statement"][0]["Condition"]  # as the role made it before the condition existed
    iam.update_assume_role_policy(RoleName=cd["name"], PolicyDocument=json.dumps(old))
    assert iam_drift(desired, read()[0]) == dict(NOTHING, roles=[cd["name"]])
    iam.update_assume_role_policy(RoleName=cd["name"], PolicyDocument=json.dumps(cd["trust"]))  # what iam_role writes
    assert iam_drift(desired, read()[0]) == NOTHING
