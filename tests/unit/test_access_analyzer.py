"""liftoff.aws.access_analyzer: moto 5.2.5 has no Access Analyzer backend, so every test runs the module against
botocore Stubber (tests/unit/module_runner.py): a call that is not scripted fails the test, and so does a
scripted call that is not made - a no-op script of one GetAnalyzer proves "zero writes"."""

from __future__ import annotations

import datetime

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.modules import access_analyzer as module_under_test
from tests.unit.module_runner import run_stubbed

NAME = "demo-prod-account"
ARN = "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/" + NAME
OWNER = {"Project": "demo", "ManagedBy": "liftoff"}
TAGS = dict(OWNER, Environment="prod")
ARGS = {"name": NAME, "tags": TAGS, "owner_tags": OWNER}
ABSENT = {"name": NAME, "owner_tags": OWNER, "state": "absent"}
CREATED = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)


def analyzer(tags=None, kind="ACCOUNT", status="ACTIVE"):
    return {"arn": ARN, "name": NAME, "type": kind, "createdAt": CREATED, "status": status,
            "tags": TAGS if tags is None else tags}


def existing(stub, **kwargs):
    stub.add_response("get_analyzer", {"analyzer": analyzer(**kwargs)}, {"analyzerName": NAME})


def missing(stub):
    stub.add_client_error("get_analyzer", service_error_code="ResourceNotFoundException", http_status_code=404,
                          expected_params={"analyzerName": NAME})


def run(args, script, check=False):
    return run_stubbed(module_under_test, args, {"accessanalyzer": script}, check=check)


def test_create_an_account_analyzer_with_its_tags():
    def script(stub):
        missing(stub)
        stub.add_response("create_analyzer", {"arn": ARN}, {"analyzerName": NAME, "type": "ACCOUNT", "tags": TAGS})
        existing(stub, status="CREATING")
    result = run(ARGS, script)
    assert result["changed"] and result["arn"] == ARN and result["status"] == "CREATING" and result["owned"]
    assert result["diff"] == {"before": {}, "after": {"arn": ARN, "name": NAME, "type": "ACCOUNT", "status": "CREATING",
                                                      "tags": TAGS}}


def test_create_an_organization_analyzer():
    def script(stub):
        missing(stub)
        stub.add_response("create_analyzer", {"arn": ARN}, {"analyzerName": NAME, "type": "ORGANIZATION", "tags": TAGS})
        existing(stub, kind="ORGANIZATION")
    result = run(dict(ARGS, type="ORGANIZATION"), script)
    assert result["changed"] and result["type"] == "ORGANIZATION" and result["status"] == "ACTIVE"


def test_create_without_any_tag_sends_no_tags():
    def script(stub):
        missing(stub)
        stub.add_response("create_analyzer", {"arn": ARN}, {"analyzerName": NAME, "type": "ACCOUNT"})
        existing(stub, tags={})
    result = run({"name": NAME}, script)
    assert result["changed"] and result["tags"] == {}


def test_a_second_run_reads_once_and_writes_nothing():
    result = run(ARGS, existing)
    assert not result["changed"] and result["diff"]["before"] == result["diff"]["after"] and result["tags"] == TAGS


def test_without_tags_an_owned_analyzer_is_left_as_it_is():
    result = run({"name": NAME, "owner_tags": OWNER}, lambda stub: existing(stub, tags=dict(TAGS, Extra="kept")))
    assert not result["changed"] and result["tags"] == dict(TAGS, Extra="kept")


def test_a_tag_change_untags_then_tags():
    def script(stub):
        existing(stub, tags=dict(OWNER, Environment="dev", Old="x"))
        stub.add_response("untag_resource", {}, {"resourceArn": ARN, "tagKeys": ["Old"]})
        stub.add_response("tag_resource", {}, {"resourceArn": ARN, "tags": {"Environment": "prod"}})
    result = run(ARGS, script)
    assert result["changed"] and result["tags"] == TAGS
    assert result["diff"]["before"]["tags"] == dict(OWNER, Environment="dev", Old="x") and result["diff"]["after"]["tags"] == TAGS


def test_purge_tags_false_keeps_other_tags():
    def script(stub):
        existing(stub, tags=dict(OWNER, Old="x"))
        stub.add_response("tag_resource", {}, {"resourceArn": ARN, "tags": {"Environment": "prod"}})
    assert run(dict(ARGS, purge_tags=False), script)["tags"] == dict(TAGS, Old="x")


def test_check_mode_predicts_the_create_and_writes_nothing():
    result = run(ARGS, missing, check=True)
    assert result["changed"] and result["arn"] == KNOWN_AFTER_CREATION and result["status"] == KNOWN_AFTER_CREATION
    assert result["diff"]["after"]["tags"] == TAGS


def test_check_mode_predicts_a_tag_change_and_writes_nothing():
    result = run(ARGS, lambda stub: existing(stub, tags=OWNER), check=True)
    assert result["changed"] and result["tags"] == TAGS


def test_another_type_fails_and_says_to_delete_it_first():
    result = run(dict(ARGS, type="ORGANIZATION"), existing)
    assert result["failed"] and "is of type ACCOUNT, not ORGANIZATION" in result["msg"]
    assert "delete it first (state=absent)" in result["msg"]


def test_present_refuses_to_take_over_an_analyzer_someone_else_made():
    result = run(ARGS, lambda stub: existing(stub, tags={"Team": "sec"}))
    assert result["failed"] and not result["owned"] and "will not take it over (adopt=true" in result["msg"]


def test_adopt_takes_over_a_foreign_analyzer_and_gives_it_the_tags():
    def script(stub):
        existing(stub, tags={"Team": "sec"})
        stub.add_response("untag_resource", {}, {"resourceArn": ARN, "tagKeys": ["Team"]})
        stub.add_response("tag_resource", {}, {"resourceArn": ARN, "tags": TAGS})
    result = run(dict(ARGS, adopt=True), script)
    assert result["changed"] and result["owned"] and result["tags"] == TAGS


def test_absent_deletes_an_owned_analyzer():
    def script(stub):
        existing(stub)
        stub.add_response("delete_analyzer", {}, {"analyzerName": NAME})
    result = run(ABSENT, script)
    assert result["changed"] and result["arn"] is None and result["diff"]["before"]["arn"] == ARN and result["diff"]["after"] == {}


def test_absent_in_check_mode_deletes_nothing():
    assert run(ABSENT, existing, check=True)["changed"]


def test_absent_with_no_analyzer_does_nothing():
    result = run(ABSENT, missing)
    assert not result["changed"] and result["arn"] is None and result["owned"]


def test_absent_when_it_vanished_before_the_delete_is_no_change():
    def script(stub):
        existing(stub)
        stub.add_client_error("delete_analyzer", service_error_code="ResourceNotFoundException", http_status_code=404)
    assert not run(ABSENT, script)["changed"]


def test_absent_leaves_an_analyzer_someone_else_made():
    result = run(ABSENT, lambda stub: existing(stub, tags={"Project": "demo"}))
    assert not result["changed"] and not result["owned"] and result["arn"] == ARN
    assert "lacks the tags" in result["msg"] and "left alone" in result["msg"]


def test_tags_that_contradict_owner_tags_fail_before_any_call():
    result = run(dict(ARGS, tags={"Project": "other", "ManagedBy": "liftoff"}), lambda stub: None)
    assert result["failed"] and "tags must include owner_tags (Project differ)" in result["msg"]


def test_access_denied_is_a_clean_failure():
    def script(stub):
        missing(stub)
        stub.add_client_error("create_analyzer", service_error_code="AccessDeniedException", http_status_code=403)
    result = run(dict(ARGS, type="ORGANIZATION"), script)
    assert result["failed"] and result["msg"].startswith("Could not create IAM Access Analyzer analyzer " + NAME)
    assert "lack the permission" in result["msg"] and result["error"]["code"] == "AccessDeniedException"


def test_a_failed_read_is_a_clean_failure():
    def script(stub):
        stub.add_client_error("get_analyzer", service_error_code="ValidationException", http_status_code=400)
    result = run(ARGS, script)
    assert result["failed"] and result["msg"].startswith("Could not read IAM Access Analyzer analyzer " + NAME)


def test_throttling_is_retried():
    def script(stub):
        stub.add_client_error("get_analyzer", service_error_code="ThrottlingException", http_status_code=429)
        existing(stub)
    assert not run(ARGS, script)["changed"]
