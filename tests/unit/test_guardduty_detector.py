"""liftoff.aws.guardduty_detector: in-process moto where it has the API (create, list, get, update, delete of a
detector), botocore Stubber where it does not (TagResource, UntagResource) and for AWS errors."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.modules import guardduty_detector as module_under_test
from tests.unit.module_runner import run_module, run_stubbed, writes

OWNER = {"Project": "demo", "ManagedBy": "liftoff"}
TAGS = dict(OWNER, Environment="prod")
ARGS = {"tags": TAGS, "owner_tags": OWNER}
ABSENT = {"owner_tags": OWNER, "state": "absent"}
DETECTOR_ID = "12abc34d567e8fa901bc2d34e56789f0"
ROLE = "arn:aws:iam::123456789012:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty"
ARN = "arn:aws:guardduty:us-east-1:123456789012:detector/" + DETECTOR_ID


# -- moto: create, read, update, delete ------------------------------------------------------

@pytest.fixture
def aws(moto_aws):
    """In-process moto (tests/unit/conftest.py); shadows the emulator fixture of the same name."""


def guardduty():
    return boto3.client("guardduty", region_name="eu-west-1")


def the_detector():
    ids = guardduty().list_detectors()["DetectorIds"]
    assert len(ids) <= 1
    return (ids[0], guardduty().get_detector(DetectorId=ids[0])) if ids else (None, None)


def test_create_enables_a_tagged_detector(aws):
    result, calls = run_module(module_under_test, ARGS, diff=True)
    assert result["changed"] and writes(calls) == ["CreateDetector"]
    detector_id, detector = the_detector()
    assert result["detector_id"] == detector_id and result["owned"]
    assert detector["Status"] == "ENABLED" and detector["FindingPublishingFrequency"] == "SIX_HOURS"
    assert detector["Tags"] == TAGS == result["tags"]
    assert result["diff"] == {"before": {}, "after": {"detector_id": detector_id, "status": "ENABLED",
                                                      "finding_publishing_frequency": "SIX_HOURS", "tags": TAGS}}


def test_a_second_run_reads_and_writes_nothing(aws):
    run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, ARGS, diff=True)
    assert not result["changed"] and calls == ["ListDetectors", "GetDetector"] and writes(calls) == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_without_tags_an_owned_detector_is_left_as_it_is(aws):
    run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, {"owner_tags": OWNER})
    assert not result["changed"] and writes(calls) == [] and result["tags"] == TAGS


def test_a_new_frequency_is_one_update(aws):
    run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, dict(ARGS, finding_publishing_frequency="FIFTEEN_MINUTES"), diff=True)
    assert result["changed"] and writes(calls) == ["UpdateDetector"]
    assert result["diff"]["before"]["finding_publishing_frequency"] == "SIX_HOURS"
    assert the_detector()[1]["FindingPublishingFrequency"] == "FIFTEEN_MINUTES" == result["finding_publishing_frequency"]


def test_enable_false_suspends_and_keeps_the_detector(aws):
    made, _calls = run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, dict(ARGS, enable=False))
    assert result["changed"] and writes(calls) == ["UpdateDetector"] and result["status"] == "DISABLED"
    detector_id, detector = the_detector()
    assert detector_id == made["detector_id"] and detector["Status"] == "DISABLED"
    again, calls = run_module(module_under_test, dict(ARGS, enable=False))
    assert not again["changed"] and writes(calls) == []


def test_present_with_enable_false_creates_a_suspended_detector(aws):
    result, calls = run_module(module_under_test, dict(ARGS, enable=False))
    assert result["changed"] and writes(calls) == ["CreateDetector"] and the_detector()[1]["Status"] == "DISABLED"


def test_check_mode_predicts_the_create_and_writes_nothing(aws):
    result, calls = run_module(module_under_test, ARGS, check=True, diff=True)
    assert result["changed"] and writes(calls) == [] and result["detector_id"] == KNOWN_AFTER_CREATION
    assert the_detector() == (None, None)


def test_check_mode_predicts_an_update_and_writes_nothing(aws):
    run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, dict(ARGS, enable=False, finding_publishing_frequency="ONE_HOUR"),
                               check=True, diff=True)
    assert result["changed"] and writes(calls) == []
    assert result["diff"]["after"]["status"] == "DISABLED" and result["diff"]["after"]["finding_publishing_frequency"] == "ONE_HOUR"
    assert the_detector()[1]["Status"] == "ENABLED"


def test_absent_deletes_an_owned_detector_and_a_rerun_does_nothing(aws):
    run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, ABSENT, diff=True)
    assert result["changed"] and writes(calls) == ["DeleteDetector"] and result["detector_id"] is None
    assert result["diff"]["before"]["tags"] == TAGS and result["diff"]["after"] == {}
    assert the_detector() == (None, None)
    again, calls = run_module(module_under_test, ABSENT)
    assert not again["changed"] and writes(calls) == [] and again["detector_id"] is None


def test_absent_in_check_mode_deletes_nothing(aws):
    run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, ABSENT, check=True)
    assert result["changed"] and writes(calls) == [] and the_detector()[0] is not None


def test_absent_leaves_a_detector_someone_else_enabled(aws):
    foreign = guardduty().create_detector(Enable=True, Tags={"Project": "other"})["DetectorId"]
    result, calls = run_module(module_under_test, ABSENT)
    assert not result["changed"] and writes(calls) == [] and not result["owned"]
    assert result["detector_id"] == foreign and "lacks the tags" in result["msg"] and "left alone" in result["msg"]
    assert the_detector()[0] == foreign


def test_present_refuses_to_take_over_a_detector_someone_else_enabled(aws):
    foreign = guardduty().create_detector(Enable=True)["DetectorId"]
    result, calls = run_module(module_under_test, ARGS)
    assert result["failed"] and writes(calls) == [] and not result["owned"]
    assert ("GuardDuty detector %s" % foreign) in result["msg"] and "adopt=true" in result["msg"]


def test_without_owner_tags_any_detector_is_managed(aws):
    guardduty().create_detector(Enable=True, FindingPublishingFrequency="ONE_HOUR")
    result, calls = run_module(module_under_test, {})
    assert result["changed"] and writes(calls) == ["UpdateDetector"] and result["owned"]


def test_tags_that_contradict_owner_tags_fail_before_any_call(aws):
    result, calls = run_module(module_under_test, dict(ARGS, tags={"Project": "demo"}))
    assert result["failed"] and calls == [] and "tags must include owner_tags (ManagedBy differ)" in result["msg"]


# -- Stubber: tagging (moto has none), errors ------------------------------------------------

def existing(stub, tags=None, status="ENABLED", frequency="SIX_HOURS", role=ROLE):
    stub.add_response("list_detectors", {"DetectorIds": [DETECTOR_ID]}, {})
    stub.add_response("get_detector", {"ServiceRole": role, "Status": status, "FindingPublishingFrequency": frequency,
                                       "Tags": TAGS if tags is None else tags}, {"DetectorId": DETECTOR_ID})


def run(args, script, check=False, sts=None):
    scripts = {"guardduty": script}
    if sts:
        scripts["sts"] = sts
    return run_stubbed(module_under_test, args, scripts, check=check)


def test_stubbed_no_op_makes_no_write_call():
    # Stubber fails on any call not scripted: only ListDetectors and GetDetector are.
    result = run(ARGS, existing)
    assert not result["changed"] and result["diff"]["before"] == result["diff"]["after"]


def test_a_tag_change_untags_and_tags_the_detector_arn():
    def script(stub):
        existing(stub, tags=dict(TAGS, Old="x", Environment="dev"))
        stub.add_response("untag_resource", {}, {"ResourceArn": ARN, "TagKeys": ["Old"]})
        stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": {"Environment": "prod"}})
    result = run(ARGS, script)
    assert result["changed"] and result["tags"] == TAGS
    assert result["diff"]["before"]["tags"] == dict(TAGS, Old="x", Environment="dev") and result["diff"]["after"]["tags"] == TAGS


def test_purge_tags_false_keeps_other_tags():
    def script(stub):
        existing(stub, tags=dict(OWNER, Old="x"))
        stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": {"Environment": "prod"}})
    result = run(dict(ARGS, purge_tags=False), script)
    assert result["changed"] and result["tags"] == dict(TAGS, Old="x")


def test_check_mode_predicts_a_tag_change_and_writes_nothing():
    result = run(ARGS, lambda stub: existing(stub, tags=OWNER), check=True)
    assert result["changed"] and result["tags"] == TAGS


def test_adopt_takes_over_a_foreign_detector_and_gives_it_the_tags():
    def script(stub):
        existing(stub, tags={"Team": "sec"})
        stub.add_response("untag_resource", {}, {"ResourceArn": ARN, "TagKeys": ["Team"]})
        stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": TAGS})
    result = run(dict(ARGS, adopt=True), script)
    assert result["changed"] and result["owned"] and result["tags"] == TAGS


def test_the_account_comes_from_sts_when_the_service_role_is_no_arn():
    def script(stub):
        existing(stub, tags=OWNER, role="")
        stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": {"Environment": "prod"}})
    result = run(ARGS, script, sts=lambda stub: stub.add_response(
        "get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x", "UserId": "x"}, {}))
    assert result["changed"]


def test_access_denied_on_create_is_a_clean_failure():
    def script(stub):
        stub.add_response("list_detectors", {"DetectorIds": []}, {})
        stub.add_client_error("create_detector", service_error_code="AccessDeniedException", http_status_code=403)
    result = run(ARGS, script)
    assert result["failed"] and result["msg"].startswith("Could not create the GuardDuty detector")
    assert "lack the permission" in result["msg"] and result["error"]["code"] == "AccessDeniedException"


def test_a_refused_delete_is_a_clean_failure_not_gone():
    def script(stub):
        existing(stub)
        stub.add_client_error("delete_detector", service_error_code="BadRequestException", http_status_code=400,
                              service_message="cannot delete detector while it has invited or associated members")
    result = run(ABSENT, script)
    assert result["failed"] and result["msg"].startswith("Could not delete GuardDuty detector %s" % DETECTOR_ID)
    assert "associated members" in result["msg"] and result["error"]["code"] == "BadRequestException"


def test_throttling_is_retried():
    def script(stub):
        stub.add_client_error("list_detectors", service_error_code="TooManyRequestsException", http_status_code=429)
        existing(stub)
    assert not run(ARGS, script)["changed"]


def test_two_detectors_in_one_region_fail_clearly():
    result = run(ARGS, lambda stub: stub.add_response("list_detectors", {"DetectorIds": [DETECTOR_ID, "other"]}, {}))
    assert result["failed"] and "has 2 GuardDuty detectors" in result["msg"]
