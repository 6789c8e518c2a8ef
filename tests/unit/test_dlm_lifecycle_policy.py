"""liftoff.aws.dlm_lifecycle_policy with botocore Stubber (moto has no Data Lifecycle Manager backend).

Each test scripts the exact AWS calls the module may make, in order, with the parameters it must send;
Stubber fails the test on any other call, and assert_no_pending_responses on a call it did not make.
"""

from __future__ import annotations

import copy

import pytest
from botocore.stub import ANY

from ansible_collections.liftoff.aws.plugins.modules import dlm_lifecycle_policy as module_under_test
from tests.unit.module_runner import run_stubbed

ROLE = "arn:aws:iam::123456789012:role/demo-prod-dlm"
ARN = "arn:aws:dlm:eu-west-1:123456789012:policy/policy-0abc"
ARGS = {"description": "demo-prod data volumes", "execution_role_arn": ROLE,
        "target_tags": {"Project": "demo", "Snapshot": "daily"}, "tags_to_add": {"CreatedBy": "dlm"},
        "tags": {"Project": "demo"}, "region": "eu-west-1", "access_key": "x", "secret_key": "x"}
DETAILS = {
    "PolicyType": "EBS_SNAPSHOT_MANAGEMENT", "ResourceTypes": ["VOLUME"], "ResourceLocations": ["CLOUD"],
    "TargetTags": [{"Key": "Project", "Value": "demo"}, {"Key": "Snapshot", "Value": "daily"}],
    "Schedules": [{"Name": "liftoff-daily", "CopyTags": True,
                   "CreateRule": {"Location": "CLOUD", "Interval": 24, "IntervalUnit": "HOURS", "Times": ["03:00"]},
                   "RetainRule": {"Count": 7}, "TagsToAdd": [{"Key": "CreatedBy", "Value": "dlm"}]}],
}
# What GetLifecyclePolicy returns for the policy ARGS describes (with what AWS adds on its own).
POLICY = {"PolicyId": "policy-0abc", "PolicyArn": ARN, "Description": "demo-prod data volumes", "State": "ENABLED",
          "StatusMessage": "ENABLED", "ExecutionRoleArn": ROLE, "PolicyDetails": DETAILS, "Tags": {"Project": "demo"},
          "DefaultPolicy": False}


def run(args, script, check=False, diff=True):
    return run_stubbed(module_under_test, args, {"dlm": script}, check=check, diff=diff)


def listed(*policies):
    return {"Policies": [{"PolicyId": p["PolicyId"], "Description": p["Description"], "State": p["State"],
                          "Tags": p.get("Tags", {}), "PolicyType": "EBS_SNAPSHOT_MANAGEMENT"} for p in policies]}


def existing(stub, policy=None):
    policy = policy or POLICY
    stub.add_response("get_lifecycle_policies", listed(policy), {})
    stub.add_response("get_lifecycle_policy", {"Policy": policy}, {"PolicyId": policy["PolicyId"]})


def test_create_sends_the_schedule_retention_target_and_snapshot_tags():
    def script(stub):
        stub.add_response("get_lifecycle_policies", {"Policies": []}, {})
        stub.add_response("create_lifecycle_policy", {"PolicyId": "policy-0abc"},
                          {"ExecutionRoleArn": ROLE, "Description": "demo-prod data volumes", "State": "ENABLED",
                           "PolicyDetails": DETAILS, "Tags": {"Project": "demo"}})
    outcome = run(ARGS, script)
    assert outcome["changed"] and outcome["policy"]["policy_id"] == "policy-0abc"
    assert outcome["policy"]["schedule"] == {"name": "liftoff-daily", "interval_hours": 24, "start_time": "03:00",
                                             "retain_count": 7, "copy_tags": True, "tags_to_add": {"CreatedBy": "dlm"}}
    assert outcome["diff"]["before"] == {}


def test_check_mode_predicts_the_create_and_writes_nothing():
    outcome = run(ARGS, lambda stub: stub.add_response("get_lifecycle_policies", {"Policies": []}, {}), check=True)
    assert outcome["changed"] and outcome["policy"]["policy_id"] is None
    assert outcome["policy"]["target_tags"] == {"Project": "demo", "Snapshot": "daily"}


def test_a_second_run_is_two_reads_and_no_change():
    outcome = run(ARGS, existing)
    assert not outcome["changed"], outcome["diff"]
    assert outcome["diff"]["before"] == outcome["diff"]["after"]


@pytest.mark.parametrize("change, field", [
    ({"retain_count": 14}, ("schedule", "retain_count")),
    ({"interval_hours": 12}, ("schedule", "interval_hours")),
    ({"start_time": "01:30"}, ("schedule", "start_time")),
    ({"copy_tags": False}, ("schedule", "copy_tags")),
    ({"target_tags": {"Project": "demo"}}, ("target_tags",)),
    ({"policy_state": "disabled"}, ("state",)),
])
def test_a_changed_setting_is_one_update_with_the_whole_policy(change, field):
    args = dict(ARGS, **change)
    params = dict({"schedule_name": "liftoff-daily", "interval_hours": 24, "start_time": "03:00", "retain_count": 7,
                   "copy_tags": True, "resource_type": "VOLUME", "policy_state": "enabled"}, **args)

    def script(stub):
        existing(stub)
        stub.add_response("update_lifecycle_policy", {},
                          {"PolicyId": "policy-0abc", "ExecutionRoleArn": ROLE, "State": params["policy_state"].upper(),
                           "Description": "demo-prod data volumes",
                           "PolicyDetails": module_under_test.policy_details(params)})
    outcome = run(args, script)
    assert outcome["changed"]
    before, after = outcome["diff"]["before"], outcome["diff"]["after"]
    for key in field[:-1]:
        before, after = before[key], after[key]
    assert before[field[-1]] != after[field[-1]]


def test_check_mode_predicts_an_update_and_writes_nothing():
    outcome = run(dict(ARGS, retain_count=30), existing, check=True)
    assert outcome["changed"] and outcome["policy"]["schedule"]["retain_count"] == 30


def test_a_second_schedule_added_elsewhere_is_put_back_to_one():
    policy = copy.deepcopy(POLICY)
    policy["PolicyDetails"]["Schedules"].append(dict(DETAILS["Schedules"][0], Name="console-weekly"))

    def script(stub):
        existing(stub, policy)
        stub.add_response("update_lifecycle_policy", {}, {"PolicyId": "policy-0abc", "ExecutionRoleArn": ROLE,
                                                          "State": "ENABLED", "Description": ANY, "PolicyDetails": DETAILS})
    assert run(ARGS, script)["changed"]


def test_policy_tags_are_set_and_purged_without_touching_the_details():
    policy = dict(POLICY, Tags={"Project": "old", "Owner": "someone", "aws:dlm:managed": "x"})

    def script(stub):
        existing(stub, policy)
        stub.add_response("untag_resource", {}, {"ResourceArn": ARN, "TagKeys": ["Owner"]})
        stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": {"Project": "demo"}})
    outcome = run(ARGS, script)
    assert outcome["changed"] and outcome["policy"]["tags"] == {"Project": "demo", "aws:dlm:managed": "x"}


def test_tags_unset_leave_the_policy_tags_alone():
    args = {k: v for k, v in ARGS.items() if k != "tags"}
    policy = dict(POLICY, Tags={"Owner": "someone"})
    outcome = run(args, lambda stub: existing(stub, policy))
    assert not outcome["changed"] and outcome["policy"]["tags"] == {"Owner": "someone"}


def test_absent_deletes_ours_and_a_rerun_finds_nothing_to_do():
    def script(stub):
        existing(stub)
        stub.add_response("delete_lifecycle_policy", {}, {"PolicyId": "policy-0abc"})
    outcome = run({"description": ARGS["description"], "state": "absent", "region": "eu-west-1"}, script)
    assert outcome["changed"] and outcome["policy"] == {} and outcome["diff"]["after"] == {}
    again = run({"description": ARGS["description"], "state": "absent", "region": "eu-west-1"},
                lambda stub: stub.add_response("get_lifecycle_policies", {"Policies": []}, {}))
    assert not again["changed"]


def test_absent_in_check_mode_deletes_nothing():
    outcome = run({"description": ARGS["description"], "state": "absent", "region": "eu-west-1"}, existing, check=True)
    assert outcome["changed"]


def test_a_policy_deleted_between_read_and_delete_is_not_an_error():
    def script(stub):
        existing(stub)
        stub.add_client_error("delete_lifecycle_policy", service_error_code="ResourceNotFoundException", http_status_code=404)
    outcome = run({"description": ARGS["description"], "state": "absent", "region": "eu-west-1"}, script)
    assert not outcome.get("failed") and not outcome["changed"]


def test_other_policies_are_left_alone():
    other = dict(POLICY, PolicyId="policy-0other", Description="someone else's")

    def script(stub):
        stub.add_response("get_lifecycle_policies", listed(other), {})
    outcome = run({"description": ARGS["description"], "state": "absent", "region": "eu-west-1"}, script)
    assert not outcome["changed"]


def test_two_policies_with_our_description_fail_instead_of_guessing():
    twin = dict(POLICY, PolicyId="policy-0twin")
    outcome = run(ARGS, lambda stub: stub.add_response("get_lifecycle_policies", listed(POLICY, twin), {}))
    assert outcome["failed"] and "2 Data Lifecycle Manager policies" in outcome["msg"] and "policy-0twin" in outcome["msg"]


def test_access_denied_on_create_names_the_policy_and_the_permission():
    def script(stub):
        stub.add_response("get_lifecycle_policies", {"Policies": []}, {})
        stub.add_client_error("create_lifecycle_policy", service_error_code="AccessDeniedException", http_status_code=403)
    outcome = run(ARGS, script)
    assert outcome["failed"]
    assert outcome["msg"].startswith("Could not create the Data Lifecycle Manager policy demo-prod data volumes")
    assert "lack the permission" in outcome["msg"]


def test_throttling_is_retried():
    def script(stub):
        stub.add_client_error("get_lifecycle_policies", service_error_code="ThrottlingException", http_status_code=400)
        existing(stub)
    assert not run(ARGS, script)["changed"]


def test_an_invalid_request_on_update_fails_with_the_policy_id():
    def script(stub):
        existing(stub)
        stub.add_client_error("update_lifecycle_policy", service_error_code="InvalidRequestException",
                              service_message="bad role", http_status_code=400)
    outcome = run(dict(ARGS, retain_count=8), script)
    assert outcome["failed"] and "Could not update Data Lifecycle Manager policy policy-0abc" in outcome["msg"]


@pytest.mark.parametrize("change, message", [
    ({"execution_role_arn": None}, "execution_role_arn is required"),
    ({"execution_role_arn": "demo-prod-dlm"}, "is not an IAM role ARN"),
    ({"target_tags": {}}, "target_tags is required"),
    ({"start_time": "3am"}, "start_time '3am': HH:MM in UTC"),
    ({"retain_count": 0}, "retain_count is 0"),
    ({"description": "demo/prod"}, "description 'demo/prod'"),
])
def test_bad_input_fails_before_any_call(change, message):
    outcome = run(dict(ARGS, **change), lambda stub: None)  # no call scripted: any call fails the test
    assert outcome["failed"] and message in outcome["msg"]
