"""liftoff.aws.iam_account_password_policy, iam_account_summary_info and iam_instance_profile_association,
run in-process against moto (mock_aws): honest check mode, zero writes when nothing changes, and only
the user's own target touched.
"""

from __future__ import annotations

import json

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import iam_account_password_policy
from ansible_collections.liftoff.aws.plugins.modules import iam_account_summary_info
from ansible_collections.liftoff.aws.plugins.modules import iam_instance_profile_association
from tests.unit.module_runner import run_module, writes
from tests.unit.module_runner import writes as writes_of


@pytest.fixture
def aws(moto_aws):
    """In-process moto (tests/unit/conftest.py); shadows the emulator fixture of the same name."""


def run(module, args, check=False, diff=False):
    """(result, write operations the module called)."""
    result, calls = run_module(module, args, check=check, diff=diff)
    return result, writes(calls)


# -- iam_account_password_policy -------------------------------------------------------------

POLICY = {"minimum_password_length": 14, "max_password_age": 90, "password_reuse_prevention": 24}


def test_password_policy_check_real_idempotent(aws):
    iam = boto3.client("iam")
    result, writes = run(iam_account_password_policy, POLICY, check=True, diff=True)
    assert result["changed"] and writes == []
    assert result["diff"]["before"] == {} and result["diff"]["after"]["max_password_age"] == 90
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()

    result, writes = run(iam_account_password_policy, POLICY)
    assert result["changed"] and writes == ["UpdateAccountPasswordPolicy"]
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["MaxPasswordAge"], policy["PasswordReusePrevention"]) == (14, 90, 24)
    assert policy["RequireSymbols"] and policy["AllowUsersToChangePassword"]

    result, writes = run(iam_account_password_policy, POLICY)
    assert not result["changed"] and writes == []


def test_password_policy_modify_and_remove(aws):
    run(iam_account_password_policy, POLICY)
    result, writes = run(iam_account_password_policy, dict(POLICY, minimum_password_length=20), diff=True)
    assert result["changed"] and writes == ["UpdateAccountPasswordPolicy"]
    assert result["diff"]["before"]["minimum_password_length"] == 14
    assert result["diff"]["after"]["minimum_password_length"] == 20

    result, writes = run(iam_account_password_policy, {"state": "absent"}, check=True)
    assert result["changed"] and writes == []
    result, writes = run(iam_account_password_policy, {"state": "absent"})
    assert result["changed"] and writes == ["DeleteAccountPasswordPolicy"]
    result, writes = run(iam_account_password_policy, {"state": "absent"})
    assert not result["changed"] and writes == []


@pytest.mark.parametrize("args, message", [
    ({"minimum_password_length": 5}, "minimum_password_length must be between 6 and 128"),
    ({"max_password_age": 2000}, "max_password_age"),
    ({"password_reuse_prevention": 25}, "password_reuse_prevention"),
])
def test_password_policy_out_of_range_values_are_refused(aws, args, message):
    result, writes = run(iam_account_password_policy, args)
    assert result.get("failed") and message in result["msg"]
    assert writes == []


# -- iam_account_summary_info ------------------------------------------------------------------

def test_account_summary_reports_users_and_root_keys_in_snake_case(aws):
    boto3.client("iam").create_user(UserName="alice")
    result, writes = run(iam_account_summary_info, {}, check=True)
    assert writes == [] and result["changed"] is False
    assert result["summary"]["users"] == 1
    assert result["summary"]["account_access_keys_present"] == 0
    assert "account_mfa_enabled" in result["summary"]


# -- iam_instance_profile_association ------------------------------------------------------------

def _profile(iam, name):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def _instance(ec2, role):
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": role}]}])["Instances"][0]["InstanceId"]


def _profiles(ec2):
    assocs = ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    return {a["InstanceId"]: a["IamInstanceProfile"]["Arn"].split("/")[-1] for a in assocs}


def test_association_associates_replaces_and_is_idempotent(aws):
    iam, ec2 = boto3.client("iam"), boto3.client("ec2")
    _profile(iam, "ours")
    _profile(iam, "legacy")
    bare, legacy, other = _instance(ec2, "app"), _instance(ec2, "app"), _instance(ec2, "db")
    ec2.associate_iam_instance_profile(InstanceId=legacy, IamInstanceProfile={"Name": "legacy"})
    args = {"instance_profile": "ours", "filters": {"tag:Role": "app"}}

    result, writes = run(iam_instance_profile_association, args, check=True, diff=True)
    assert result["changed"] and writes == []
    assert result["diff"]["before"] == {bare: None, legacy: result["diff"]["before"][legacy]}
    assert _profiles(ec2) == {legacy: "legacy"}

    result, writes = run(iam_instance_profile_association, args)
    assert result["changed"]
    assert sorted(writes) == ["AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation"]
    assert _profiles(ec2) == {bare: "ours", legacy: "ours"}
    assert other not in _profiles(ec2)

    result, writes = run(iam_instance_profile_association, args)
    assert not result["changed"] and writes == []


def test_association_absent_removes_only_our_profile(aws):
    iam, ec2 = boto3.client("iam"), boto3.client("ec2")
    _profile(iam, "ours")
    _profile(iam, "theirs")
    mine, theirs = _instance(ec2, "app"), _instance(ec2, "app")
    ec2.associate_iam_instance_profile(InstanceId=mine, IamInstanceProfile={"Name": "ours"})
    ec2.associate_iam_instance_profile(InstanceId=theirs, IamInstanceProfile={"Name": "theirs"})
    args = {"instance_profile": "ours", "filters": {"tag:Role": "app"}, "state": "absent"}

    result, writes = run(iam_instance_profile_association, args, check=True)
    assert result["changed"] and writes == []
    result, writes = run(iam_instance_profile_association, args)
    assert result["changed"] and writes == ["DisassociateIamInstanceProfile"]
    assert _profiles(ec2) == {theirs: "theirs"}
    result, writes = run(iam_instance_profile_association, args)
    assert not result["changed"] and writes == []


def test_association_to_a_missing_profile_fails_without_writing(aws):
    _instance(boto3.client("ec2"), "app")
    result, writes = run(iam_instance_profile_association, {"instance_profile": "nope", "filters": {"tag:Role": "app"}})
    assert result.get("failed") and "does not exist" in result["msg"]
    assert writes == []
    result, writes = run(iam_instance_profile_association, {"instance_profile": "nope", "filters": {"tag:Role": "app"}},
                         check=True)
    assert result["changed"] and writes == []


def test_association_checks_an_arn_exists_before_changing_anything(aws):
    iam, ec2 = boto3.client("iam"), boto3.client("ec2")
    _profile(iam, "ours")
    real = iam.get_instance_profile(InstanceProfileName="ours")["InstanceProfile"]["Arn"]
    instance = _instance(ec2, "app")
    for bogus in (real.replace("123456789012", "210987654321"),  # other account
                  real.replace("instance-profile/ours", "instance-profile/typo")):
        result, writes = run(iam_instance_profile_association, {"instance_profile": bogus, "filters": {"tag:Role": "app"}})
        assert result.get("failed") and "does not exist" in result["msg"] and bogus in result["msg"], result
        assert writes == [] and _profiles(ec2) == {}

    args = {"instance_profile": real, "filters": {"tag:Role": "app"}}
    result, calls = run_module(iam_instance_profile_association, args)
    assert result["changed"] and "GetInstanceProfile" in calls
    assert writes_of(calls) == ["AssociateIamInstanceProfile"] and _profiles(ec2) == {instance: "ours"}
    # a no-op run with an ARN the instance already has: no look-up, no write
    result, calls = run_module(iam_instance_profile_association, args)
    assert not result["changed"] and "GetInstanceProfile" not in calls and writes_of(calls) == []
