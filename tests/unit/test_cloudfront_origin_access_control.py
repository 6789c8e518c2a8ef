"""liftoff.aws.cloudfront_origin_access_control, in-process against moto: made by name, one read and no write on a
re-run, an update only of what differs, check mode that writes nothing, absent that deletes it once."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import cloudfront_origin_access_control as oac
from tests.unit.module_runner import run_module, writes


def args(**overrides):
    return dict({"name": "demo-prod-site", "description": "CloudFront reads demo-prod-site", "region": "us-east-1"},
                **overrides)


@pytest.fixture
def cloudfront(moto_aws):
    return boto3.client("cloudfront", region_name="us-east-1")


def controls(cloudfront):
    return cloudfront.list_origin_access_controls()["OriginAccessControlList"].get("Items") or []


def test_check_then_create_then_a_rerun_reads_once_and_writes_nothing(cloudfront):
    outcome, calls = run_module(oac, args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == [] and controls(cloudfront) == []
    assert outcome["diff"]["after"]["id"] == "(known after creation)"

    outcome, _calls = run_module(oac, args())
    assert outcome["changed"]
    (made,) = controls(cloudfront)
    assert outcome["origin_access_control"]["id"] == made["Id"]
    assert (made["SigningBehavior"], made["SigningProtocol"], made["OriginAccessControlOriginType"]) == (
        "always", "sigv4", "s3")

    outcome, calls = run_module(oac, args())
    assert not outcome["changed"] and calls == ["ListOriginAccessControls"]


def test_a_changed_setting_is_updated_in_place(cloudfront):
    run_module(oac, args())
    outcome, calls = run_module(oac, args(signing_behavior="no-override"), diff=True)
    assert outcome["changed"] and writes(calls) == ["UpdateOriginAccessControl"]
    assert outcome["diff"]["before"]["signing_behavior"] == "always"
    (made,) = controls(cloudfront)
    assert made["SigningBehavior"] == "no-override"


def test_absent_deletes_it_once(cloudfront):
    run_module(oac, args())
    outcome, calls = run_module(oac, args(state="absent"), check=True)
    assert outcome["changed"] and writes(calls) == [] and len(controls(cloudfront)) == 1
    outcome, _calls = run_module(oac, args(state="absent"))
    assert outcome["changed"] and controls(cloudfront) == []
    outcome, calls = run_module(oac, args(state="absent"))
    assert not outcome["changed"] and writes(calls) == []


def test_a_name_too_long_fails_before_any_call(cloudfront):
    outcome, calls = run_module(oac, args(name="x" * 65))
    assert outcome.get("failed") and "1 to 64" in outcome["msg"] and calls == []


# moto ignores IfMatch and never links a control to a distribution: the ETag handshake and CloudFront's refusal to
# delete a control in use are proven with botocore Stubber instead.
LISTED = {"OriginAccessControlList": {"Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 1, "Items": [
    {"Id": "E2OAC", "Name": "demo-prod-site", "Description": "CloudFront reads demo-prod-site", "SigningProtocol": "sigv4",
     "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}]}}
CONFIG = {"Name": "demo-prod-site", "Description": "CloudFront reads demo-prod-site", "SigningProtocol": "sigv4",
          "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}


def _stubbed(arguments, script):
    from tests.unit.module_runner import run_stubbed

    return run_stubbed(oac, dict(arguments, access_key="x", secret_key="x"), {"cloudfront": script})


def test_an_update_and_a_delete_send_the_etag_cloudfront_answered():
    def update(stub):
        stub.add_response("list_origin_access_controls", LISTED, {})
        stub.add_response("get_origin_access_control", {"ETag": "E1", "OriginAccessControl": {
            "Id": "E2OAC", "OriginAccessControlConfig": CONFIG}}, {"Id": "E2OAC"})
        stub.add_response("update_origin_access_control", {"ETag": "E2"}, {
            "Id": "E2OAC", "IfMatch": "E1", "OriginAccessControlConfig": dict(CONFIG, SigningBehavior="never")})

    assert _stubbed(args(signing_behavior="never"), update)["changed"]

    def delete(stub):
        stub.add_response("list_origin_access_controls", LISTED, {})
        stub.add_response("get_origin_access_control", {"ETag": "E1", "OriginAccessControl": {
            "Id": "E2OAC", "OriginAccessControlConfig": CONFIG}}, {"Id": "E2OAC"})
        stub.add_response("delete_origin_access_control", {}, {"Id": "E2OAC", "IfMatch": "E1"})

    assert _stubbed(args(state="absent"), delete)["changed"]


def test_a_control_a_distribution_still_uses_is_not_deleted_and_the_run_says_so():
    def script(stub):
        stub.add_response("list_origin_access_controls", LISTED, {})
        stub.add_response("get_origin_access_control", {"ETag": "E1", "OriginAccessControl": {
            "Id": "E2OAC", "OriginAccessControlConfig": CONFIG}}, {"Id": "E2OAC"})
        stub.add_client_error("delete_origin_access_control", service_error_code="OriginAccessControlInUse",
                              http_status_code=409, expected_params={"Id": "E2OAC", "IfMatch": "E1"})

    outcome = _stubbed(args(state="absent"), script)
    assert outcome.get("failed") and "a distribution that still uses it keeps it" in outcome["msg"], outcome
