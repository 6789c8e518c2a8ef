"""liftoff.aws.account_defaults: in-process moto for EBS encryption by default and S3 account-level Block Public
Access, botocore Stubber for the instance metadata defaults (moto 5.2.5 has no Get/ModifyInstanceMetadataDefaults),
and one run against moto with the emulator's patch for them (tests/harness/moto_patches.py)."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.liftoff.aws.plugins.modules import account_defaults as module_under_test
from tests.harness import moto_patches
from tests.unit.module_runner import run_module, run_stubbed, writes

ACCOUNT = "123456789012"  # moto's default account
ALL_TRUE = {"block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True,
            "restrict_public_buckets": True}
ALL_FALSE = {key: False for key in ALL_TRUE}
AWS_ALL_TRUE = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
UNSET_IMDS = {"http_tokens": "no-preference", "http_put_response_hop_limit": -1}
REQUIRED_2 = {"http_tokens": "required", "http_put_response_hop_limit": 2}
EVERYTHING = {"ebs_encryption_by_default": True, "instance_metadata_http_tokens": "required",
              "instance_metadata_hop_limit": 2, "s3_public_access_block": True}


@pytest.fixture
def aws(moto_aws):
    """In-process moto (tests/unit/conftest.py); shadows the emulator fixture of the same name."""


def ebs_enabled():
    return boto3.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]


def account_bpa():
    """The account's S3 Block Public Access configuration in moto, None when there is none."""
    s3control = boto3.client("s3control")
    try:
        return s3control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    except s3control.exceptions.NoSuchPublicAccessBlockConfiguration:
        return None


# -- moto: EBS encryption by default ----------------------------------------------------------

def test_ebs_encryption_is_enabled_from_unset_and_a_rerun_only_reads(aws):
    result, calls = run_module(module_under_test, {"ebs_encryption_by_default": True}, diff=True)
    assert result["changed"] and calls == ["GetEbsEncryptionByDefault", "EnableEbsEncryptionByDefault"]
    assert result["ebs_encryption_by_default"] is True and ebs_enabled()
    assert result["diff"] == {"before": {"ebs_encryption_by_default": False}, "after": {"ebs_encryption_by_default": True}}

    again, calls = run_module(module_under_test, {"ebs_encryption_by_default": True})
    assert not again["changed"] and calls == ["GetEbsEncryptionByDefault"]
    assert again["ebs_encryption_by_default"] is True


def test_ebs_encryption_false_disables_it(aws):
    boto3.client("ec2").enable_ebs_encryption_by_default()
    result, calls = run_module(module_under_test, {"ebs_encryption_by_default": False})
    assert result["changed"] and writes(calls) == ["DisableEbsEncryptionByDefault"] and not ebs_enabled()


def test_ebs_encryption_is_the_module_region_only(aws):
    run_module(module_under_test, {"ebs_encryption_by_default": True, "region": "us-east-1"})
    assert not ebs_enabled()  # eu-west-1, the environment's region
    assert boto3.client("ec2", region_name="us-east-1").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]


# -- moto: S3 account-level Block Public Access -----------------------------------------------

def test_block_public_access_is_turned_on_from_unset_and_a_rerun_only_reads(aws):
    result, calls = run_module(module_under_test, {"s3_public_access_block": True}, diff=True)
    assert result["changed"] and calls == ["GetCallerIdentity", "GetPublicAccessBlock", "PutPublicAccessBlock"]
    assert result["s3_public_access_block"] == ALL_TRUE and account_bpa() == AWS_ALL_TRUE
    assert result["diff"] == {"before": {"s3_public_access_block": ALL_FALSE}, "after": {"s3_public_access_block": ALL_TRUE}}

    again, calls = run_module(module_under_test, {"s3_public_access_block": True})
    assert not again["changed"] and calls == ["GetCallerIdentity", "GetPublicAccessBlock"]


def test_a_given_account_id_skips_the_caller_identity_call(aws):
    result, calls = run_module(module_under_test, {"s3_public_access_block": True, "account_id": ACCOUNT})
    assert result["changed"] and calls == ["GetPublicAccessBlock", "PutPublicAccessBlock"]


def test_a_partial_configuration_is_completed(aws):
    boto3.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    result, calls = run_module(module_under_test, {"s3_public_access_block": True, "account_id": ACCOUNT}, diff=True)
    assert result["changed"] and writes(calls) == ["PutPublicAccessBlock"] and account_bpa() == AWS_ALL_TRUE
    assert result["diff"]["before"]["s3_public_access_block"] == dict(ALL_TRUE, block_public_policy=False,
                                                                      restrict_public_buckets=False)


def test_block_public_access_false_deletes_the_configuration(aws):
    boto3.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=AWS_ALL_TRUE)
    result, calls = run_module(module_under_test, {"s3_public_access_block": False, "account_id": ACCOUNT})
    assert result["changed"] and writes(calls) == ["DeletePublicAccessBlock"] and account_bpa() is None
    assert result["s3_public_access_block"] == ALL_FALSE


def test_an_all_false_configuration_already_means_false(aws):
    boto3.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        key: False for key in AWS_ALL_TRUE})
    result, calls = run_module(module_under_test, {"s3_public_access_block": False, "account_id": ACCOUNT})
    assert not result["changed"] and writes(calls) == []


# -- moto: check mode, absent, settings left out ----------------------------------------------

def test_check_mode_reports_the_change_and_writes_nothing(aws):
    args = {"ebs_encryption_by_default": True, "s3_public_access_block": True}
    result, calls = run_module(module_under_test, args, check=True, diff=True)
    assert result["changed"] and writes(calls) == []
    assert result["ebs_encryption_by_default"] is True and result["s3_public_access_block"] == ALL_TRUE
    assert result["diff"]["before"] == {"ebs_encryption_by_default": False, "s3_public_access_block": ALL_FALSE}
    assert not ebs_enabled() and account_bpa() is None


def test_check_mode_of_a_run_that_changes_nothing_is_not_changed(aws):
    args = {"ebs_encryption_by_default": True, "s3_public_access_block": True}
    run_module(module_under_test, args)
    result, calls = run_module(module_under_test, args, check=True)
    assert not result["changed"] and writes(calls) == []


def test_absent_restores_the_defaults_and_a_rerun_does_nothing(aws):
    args = {"ebs_encryption_by_default": True, "s3_public_access_block": True}
    run_module(module_under_test, args)
    result, calls = run_module(module_under_test, dict(args, state="absent"), diff=True)
    assert result["changed"] and writes(calls) == ["DisableEbsEncryptionByDefault", "DeletePublicAccessBlock"]
    assert not ebs_enabled() and account_bpa() is None
    assert result["ebs_encryption_by_default"] is False and result["s3_public_access_block"] == ALL_FALSE
    assert result["diff"]["before"] == {"ebs_encryption_by_default": True, "s3_public_access_block": ALL_TRUE}

    again, calls = run_module(module_under_test, dict(args, state="absent"))
    assert not again["changed"] and writes(calls) == []


def test_absent_in_check_mode_writes_nothing(aws):
    args = {"ebs_encryption_by_default": True, "s3_public_access_block": True}
    run_module(module_under_test, args)
    result, calls = run_module(module_under_test, dict(args, state="absent"), check=True)
    assert result["changed"] and writes(calls) == [] and ebs_enabled() and account_bpa() == AWS_ALL_TRUE


def test_absent_on_a_fresh_account_is_not_changed(aws):
    result, calls = run_module(module_under_test, {"state": "absent", "ebs_encryption_by_default": False,
                                                   "s3_public_access_block": False})
    assert not result["changed"] and writes(calls) == []


def test_absent_leaves_the_settings_not_given(aws):
    run_module(module_under_test, {"ebs_encryption_by_default": True, "s3_public_access_block": True})
    result, calls = run_module(module_under_test, {"state": "absent", "ebs_encryption_by_default": True})
    assert result["changed"] and calls == ["GetEbsEncryptionByDefault", "DisableEbsEncryptionByDefault"]
    assert account_bpa() == AWS_ALL_TRUE and "s3_public_access_block" not in result


@pytest.mark.parametrize("args, expected", [
    ({"ebs_encryption_by_default": True}, ["GetEbsEncryptionByDefault"]),
    ({"s3_public_access_block": True}, ["GetCallerIdentity", "GetPublicAccessBlock"]),
    ({}, []),
    ({"state": "absent"}, []),
])
def test_a_setting_left_out_is_never_read_or_written(aws, args, expected):
    run_module(module_under_test, {"ebs_encryption_by_default": True, "s3_public_access_block": True})
    result, calls = run_module(module_under_test, args)
    assert calls == expected and not result["changed"]
    assert set(result) - {"changed", "invocation"} == {key for key in ("ebs_encryption_by_default", "s3_public_access_block")
                                                       if key in args}


def test_the_before_state_is_in_the_diff_only(aws):
    result, _calls = run_module(module_under_test, {"ebs_encryption_by_default": True}, diff=True)
    assert "before" not in result and result["diff"]["before"] == {"ebs_encryption_by_default": False}


# -- moto with the emulator's patch: all three settings --------------------------------------

def test_all_three_settings_against_the_patched_emulator(aws):
    moto_patches.patch_instance_metadata_defaults()
    ec2 = boto3.client("ec2")
    result, calls = run_module(module_under_test, EVERYTHING)
    assert result["changed"] and writes(calls) == ["EnableEbsEncryptionByDefault", "ModifyInstanceMetadataDefaults",
                                                   "PutPublicAccessBlock"]
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}
    assert result["instance_metadata_defaults"] == REQUIRED_2

    again, calls = run_module(module_under_test, EVERYTHING)
    assert not again["changed"] and calls == ["GetEbsEncryptionByDefault", "GetInstanceMetadataDefaults",
                                              "GetCallerIdentity", "GetPublicAccessBlock"]

    restored, calls = run_module(module_under_test, dict(EVERYTHING, state="absent"))
    assert restored["changed"] and writes(calls) == ["DisableEbsEncryptionByDefault", "ModifyInstanceMetadataDefaults",
                                                     "DeletePublicAccessBlock"]
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {}
    assert not ebs_enabled() and account_bpa() is None
    assert restored["instance_metadata_defaults"] == UNSET_IMDS


# -- Stubber: the instance metadata defaults (moto 5.2.5 lacks the API) ----------------------

def imds(account_level):
    """A script: one GetInstanceMetadataDefaults answering ``account_level``."""
    def script(stub):
        stub.add_response("get_instance_metadata_defaults", {"AccountLevel": account_level}, {})
    return script


def imds_then_modify(account_level, expected):
    def script(stub):
        imds(account_level)(stub)
        stub.add_response("modify_instance_metadata_defaults", {"Return": True}, expected)
    return script


def run(args, ec2_script, check=False):
    """The module with only an EC2 Stubber: any other client, or any call not scripted, fails the test."""
    return run_stubbed(module_under_test, args, {"ec2": ec2_script}, check=check)


IMDS_ARGS = {"instance_metadata_http_tokens": "required", "instance_metadata_hop_limit": 2}


def test_imds_defaults_are_set_from_unset():
    result = run(IMDS_ARGS, imds_then_modify({}, {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}))
    assert result["changed"] and result["instance_metadata_defaults"] == REQUIRED_2
    assert result["diff"] == {"before": {"instance_metadata_defaults": UNSET_IMDS},
                              "after": {"instance_metadata_defaults": REQUIRED_2}}


def test_imds_defaults_already_set_are_one_read_and_no_write():
    result = run(IMDS_ARGS, imds({"HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"}))
    assert not result["changed"] and result["diff"]["before"] == result["diff"]["after"]


def test_only_the_imds_setting_that_differs_is_written():
    script = imds_then_modify({"HttpTokens": "optional", "HttpPutResponseHopLimit": 2}, {"HttpTokens": "required"})
    result = run(IMDS_ARGS, script)
    assert result["changed"] and result["diff"]["before"]["instance_metadata_defaults"] == {
        "http_tokens": "optional", "http_put_response_hop_limit": 2}


def test_only_http_tokens_given_leaves_the_hop_limit_alone():
    script = imds_then_modify({"HttpPutResponseHopLimit": 3}, {"HttpTokens": "required"})
    result = run({"instance_metadata_http_tokens": "required"}, script)
    assert result["changed"] and result["instance_metadata_defaults"] == dict(REQUIRED_2, http_put_response_hop_limit=3)


def test_only_the_hop_limit_given_leaves_http_tokens_alone():
    script = imds_then_modify({"HttpTokens": "optional", "HttpPutResponseHopLimit": 1}, {"HttpPutResponseHopLimit": 2})
    result = run({"instance_metadata_hop_limit": 2}, script)
    assert result["changed"] and result["instance_metadata_defaults"] == dict(REQUIRED_2, http_tokens="optional")


def test_imds_check_mode_reads_and_writes_nothing():
    result = run(IMDS_ARGS, imds({}), check=True)
    assert result["changed"] and result["instance_metadata_defaults"]["http_tokens"] == "required"


def test_imds_absent_restores_no_preference():
    script = imds_then_modify({"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
                              {"HttpTokens": "no-preference", "HttpPutResponseHopLimit": -1})
    result = run(dict(IMDS_ARGS, state="absent"), script)
    assert result["changed"] and result["instance_metadata_defaults"] == UNSET_IMDS


def test_imds_absent_when_already_unset_is_not_changed():
    result = run(dict(IMDS_ARGS, state="absent"), imds({}))
    assert not result["changed"] and result["instance_metadata_defaults"] == UNSET_IMDS


def test_imds_absent_in_check_mode_writes_nothing():
    result = run(dict(IMDS_ARGS, state="absent"), imds({"HttpTokens": "required"}), check=True)
    assert result["changed"] and result["diff"]["after"]["instance_metadata_defaults"] == UNSET_IMDS


def test_no_preference_given_with_present_clears_http_tokens():
    script = imds_then_modify({"HttpTokens": "required"}, {"HttpTokens": "no-preference"})
    assert run({"instance_metadata_http_tokens": "no-preference"}, script)["changed"]


def test_imds_alone_makes_no_other_client_and_no_other_call():
    # run_stubbed fails on a client for any service but ec2, and on any EC2 call not scripted
    assert not run(IMDS_ARGS, imds({"HttpTokens": "required", "HttpPutResponseHopLimit": 2}))["changed"]


# -- errors -----------------------------------------------------------------------------------

def test_a_read_error_is_a_clean_failure():
    def script(stub):
        stub.add_client_error("get_ebs_encryption_by_default", service_error_code="UnauthorizedOperation", http_status_code=403)
    result = run({"ebs_encryption_by_default": True}, script)
    assert result["failed"] and result["msg"].startswith(
        "Could not read EBS encryption by default (the credentials in use lack the permission for this call)")
    assert result["error"]["code"] == "UnauthorizedOperation"


def test_a_write_error_is_a_clean_failure():
    def script(stub):
        imds({})(stub)
        stub.add_client_error("modify_instance_metadata_defaults", service_error_code="UnauthorizedOperation",
                              http_status_code=403)
    result = run(IMDS_ARGS, script)
    assert result["failed"] and result["msg"].startswith("Could not modify the account's instance metadata defaults")


def test_an_s3control_error_names_the_account():
    def s3control(stub):
        stub.add_response("get_public_access_block", {"PublicAccessBlockConfiguration": {}}, {"AccountId": ACCOUNT})
        stub.add_client_error("put_public_access_block", service_error_code="AccessDenied", http_status_code=403)
    result = run_stubbed(module_under_test, {"s3_public_access_block": True, "account_id": ACCOUNT}, {"s3control": s3control})
    assert result["failed"] and result["msg"].startswith("Could not turn on S3 Block Public Access for account 123456789012 "
                                                         "(the credentials in use lack the permission for this call)")
    assert result["error"]["code"] == "AccessDenied"


def test_throttling_is_retried():
    def script(stub):
        stub.add_client_error("get_ebs_encryption_by_default", service_error_code="RequestLimitExceeded", http_status_code=400)
        stub.add_response("get_ebs_encryption_by_default", {"EbsEncryptionByDefault": True}, {})
    assert not run({"ebs_encryption_by_default": True}, script)["changed"]


@pytest.mark.parametrize("hop_limit", [0, 65, -1])
def test_a_hop_limit_out_of_range_fails_before_any_call(hop_limit):
    result = run_stubbed(module_under_test, {"instance_metadata_hop_limit": hop_limit}, {})
    assert result["failed"] and result["msg"].startswith("instance_metadata_hop_limit is %d: use 1 to 64" % hop_limit)
