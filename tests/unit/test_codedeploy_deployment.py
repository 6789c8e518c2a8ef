"""liftoff.aws.codedeploy_deployment: one deployment of an S3 revision to a deployment group, made once.

In-process against moto: check mode that creates nothing, a first run that deploys the revision, a re-run while that
deployment is still under way that only reads, another key or force that deploys again. moto's deployments stay
"Created" forever and its ListDeployments lists oldest first (CodeDeploy lists newest first), so waiting, ended
deployments and the newest-first read are proven with botocore Stubber.
"""

from __future__ import annotations

import datetime
import itertools

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import codedeploy_deployment as codedeploy_module
from tests.unit.module_runner import run_module, run_stubbed, writes

APP, GROUP = "demo-prod-app", "demo-prod-web"
BUCKET, KEY = "demo-prod-codedeploy-revisions", "app/1.4.2.zip"


def args(**overrides):
    return dict({"application_name": APP, "deployment_group_name": GROUP, "revision": {"bucket": BUCKET, "key": KEY},
                 "description": "Release 1.4.2", "wait": False, "wait_delay": 1, "region": "eu-west-1"}, **overrides)


def s3_revision(key=KEY, **extra):
    return {"revisionType": "S3", "s3Location": dict({"bucket": BUCKET, "key": key, "bundleType": "zip"}, **extra)}


@pytest.fixture
def codedeploy(moto_aws):
    client = boto3.client("codedeploy", region_name="eu-west-1")
    client.create_application(applicationName=APP, computePlatform="Server")
    client.create_deployment_group(applicationName=APP, deploymentGroupName=GROUP,
                                   serviceRoleArn="arn:aws:iam::123456789012:role/demo-codedeploy",
                                   ec2TagFilters=[{"Key": "Role", "Value": "web", "Type": "KEY_AND_VALUE"}])
    return client


def deployments(codedeploy):
    ids = codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"]
    return [codedeploy.get_deployment(deploymentId=i)["deploymentInfo"] for i in ids]


def test_check_mode_creates_nothing_and_says_changed(codedeploy):
    outcome, calls = run_module(codedeploy_module, args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == [] and deployments(codedeploy) == []
    assert calls == ["ListDeployments"]
    assert outcome["deployment"]["deployment_id"] == "(known after creation)"
    assert outcome["diff"] == {"before": {}, "after": {"bucket": BUCKET, "key": KEY, "bundle_type": "zip"}}


def test_deploy_then_a_rerun_while_it_is_under_way_only_reads(codedeploy):
    outcome, calls = run_module(codedeploy_module, args(file_exists_behavior="OVERWRITE"))
    assert outcome["changed"] and writes(calls) == ["CreateDeployment"]
    (made,) = deployments(codedeploy)
    assert made["revision"] == s3_revision()
    assert (made["description"], made["fileExistsBehavior"], made["deploymentConfigName"]) == (
        "Release 1.4.2", "OVERWRITE", "CodeDeployDefault.OneAtATime")
    returned = outcome["deployment"]
    assert returned["deployment_id"] == made["deploymentId"] and returned["status"] == "Created"
    assert returned["revision"] == {"bucket": BUCKET, "key": KEY, "bundle_type": "zip"}
    assert returned["deployment_overview"]["succeeded"] == 0 and "error_information" not in returned
    assert isinstance(returned["create_time"], str)

    # moto's deployments stay "Created": the same revision is under way, so no second deployment
    outcome, calls = run_module(codedeploy_module, args(), diff=True)
    assert not outcome["changed"] and len(calls) <= 2 and writes(calls) == []
    assert calls == ["ListDeployments", "GetDeployment"]
    assert outcome["deployment"]["deployment_id"] == made["deploymentId"]
    assert outcome["diff"]["before"] == outcome["diff"]["after"]
    assert len(deployments(codedeploy)) == 1

    outcome, calls = run_module(codedeploy_module, args(), check=True)
    assert not outcome["changed"] and writes(calls) == []


def test_another_key_deploys_again(codedeploy):
    first = run_module(codedeploy_module, args())[0]["deployment"]["deployment_id"]
    outcome, calls = run_module(codedeploy_module, args(revision={"bucket": BUCKET, "key": "app/1.4.3.zip"}), diff=True)
    assert outcome["changed"] and writes(calls) == ["CreateDeployment"]
    assert outcome["deployment"]["deployment_id"] != first
    assert outcome["diff"]["before"]["key"] == KEY and outcome["diff"]["after"]["key"] == "app/1.4.3.zip"
    assert sorted(d["revision"]["s3Location"]["key"] for d in deployments(codedeploy)) == ["app/1.4.2.zip", "app/1.4.3.zip"]


def test_another_bundle_type_or_version_is_another_revision(codedeploy):
    run_module(codedeploy_module, args())
    outcome, calls = run_module(codedeploy_module, args(revision={"bucket": BUCKET, "key": KEY, "version": "v2"}))
    assert outcome["changed"] and writes(calls) == ["CreateDeployment"]
    assert any(d["revision"] == s3_revision(version="v2") for d in deployments(codedeploy))


def test_force_deploys_the_same_revision_again(codedeploy):
    first = run_module(codedeploy_module, args())[0]["deployment"]["deployment_id"]
    outcome, calls = run_module(codedeploy_module, args(force=True))
    assert outcome["changed"] and writes(calls) == ["CreateDeployment"]
    assert outcome["deployment"]["deployment_id"] != first and len(deployments(codedeploy)) == 2


@pytest.mark.parametrize("overrides, words", [
    ({"revision": {"bucket": "", "key": KEY}}, "revision.bucket is empty"),
    ({"revision": {"bucket": BUCKET, "key": " "}}, "revision.key is empty"),
    ({"revision": {"bucket": "s3://" + BUCKET, "key": KEY}}, "bucket's name alone"),
    ({"wait_timeout": 0}, "wait_timeout is 0"),
    ({"wait_delay": 0}, "wait_delay is 0"),
    ({"application_name": "x" * 101}, "application_name is 101 characters"),
    ({"deployment_group_name": ""}, "deployment_group_name is 0 characters"),
])
def test_bad_input_fails_before_any_call(codedeploy, overrides, words):
    outcome, calls = run_module(codedeploy_module, args(**overrides))
    assert outcome.get("failed") and words in outcome["msg"] and calls == []


# --- botocore Stubber: what moto cannot show (deployments that move on, end, or are listed newest first) ---

CREATED = datetime.datetime(2025, 5, 12, 9, 14, 3, tzinfo=datetime.timezone.utc)
LIST_PARAMS = {"applicationName": APP, "deploymentGroupName": GROUP}


def info(deployment_id, status, revision=None, **extra):
    done = {"Succeeded": 4} if status == "Succeeded" else {}
    overview = dict({"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0}, **done)
    overview.update(extra.pop("overview", {}))
    return {"deploymentInfo": dict({
        "deploymentId": deployment_id, "applicationName": APP, "deploymentGroupName": GROUP, "status": status,
        "revision": revision or s3_revision(), "deploymentConfigName": "CodeDeployDefault.OneAtATime",
        "createTime": CREATED, "creator": "user", "deploymentOverview": overview}, **extra)}


def expect_list(stub, ids):
    stub.add_response("list_deployments", {"deployments": ids}, LIST_PARAMS)


def expect_get(stub, deployment_id, status, **kwargs):
    stub.add_response("get_deployment", info(deployment_id, status, **kwargs), {"deploymentId": deployment_id})


def expect_create(stub, deployment_id, revision=None):
    stub.add_response("create_deployment", {"deploymentId": deployment_id}, {
        "applicationName": APP, "deploymentGroupName": GROUP, "revision": revision or s3_revision(),
        "ignoreApplicationStopFailures": False, "description": "Release 1.4.2"})


def stubbed(script, **overrides):
    return run_stubbed(codedeploy_module, dict(args(**overrides), access_key="x", secret_key="x"), {"codedeploy": script})


def test_wait_polls_until_the_deployment_succeeded():
    def script(stub):
        expect_list(stub, [])
        expect_create(stub, "d-NEW")
        expect_get(stub, "d-NEW", "Created")
        expect_get(stub, "d-NEW", "InProgress")
        expect_get(stub, "d-NEW", "Succeeded", completeTime=CREATED + datetime.timedelta(minutes=7))

    outcome = stubbed(script, wait=True)
    assert outcome["changed"] and not outcome.get("failed")
    deployment = outcome["deployment"]
    assert (deployment["deployment_id"], deployment["status"]) == ("d-NEW", "Succeeded")
    assert deployment["deployment_overview"]["succeeded"] == 4
    assert deployment["complete_time"] == "2025-05-12T09:21:03+00:00"
    assert outcome["diff"] == {"before": {}, "after": {"bucket": BUCKET, "key": KEY, "bundle_type": "zip"}}


def test_a_latest_deployment_that_succeeded_with_the_revision_is_a_no_op():
    def script(stub):
        expect_list(stub, ["d-DONE", "d-OLDER"])
        expect_get(stub, "d-DONE", "Succeeded")

    outcome = stubbed(script, wait=True)
    assert not outcome["changed"] and outcome["deployment"]["deployment_id"] == "d-DONE"
    assert outcome["diff"]["before"] == outcome["diff"]["after"] == {"bucket": BUCKET, "key": KEY, "bundle_type": "zip"}


def test_only_the_newest_deployment_counts():
    # the older one is of the wanted revision, the newest is not: a deployment is made
    def script(stub):
        expect_list(stub, ["d-NEWEST", "d-OLDER"])
        expect_get(stub, "d-NEWEST", "Succeeded", revision=s3_revision("app/1.4.1.zip"))
        expect_create(stub, "d-NEW")
        expect_get(stub, "d-NEW", "Created")

    outcome = stubbed(script)
    assert outcome["changed"] and outcome["diff"]["before"]["key"] == "app/1.4.1.zip"


def test_a_version_or_etag_given_must_match_the_latest_deployment():
    def script(stub):
        expect_list(stub, ["d-DONE"])
        expect_get(stub, "d-DONE", "Succeeded", revision=s3_revision(version="v1", eTag='"abc"'))

    outcome = stubbed(script, revision={"bucket": BUCKET, "key": KEY, "version": "v1", "etag": "abc"})
    assert not outcome["changed"]

    def script_other(stub):
        expect_list(stub, ["d-DONE"])
        expect_get(stub, "d-DONE", "Succeeded", revision=s3_revision(version="v1"))
        expect_create(stub, "d-NEW", revision=s3_revision(version="v2"))
        expect_get(stub, "d-NEW", "Created", revision=s3_revision(version="v2"))

    outcome = stubbed(script_other, revision={"bucket": BUCKET, "key": KEY, "version": "v2"})
    assert outcome["changed"] and outcome["deployment"]["revision"]["version"] == "v2"


def test_a_deployment_under_way_with_the_revision_is_waited_for_not_repeated():
    def script(stub):
        expect_list(stub, ["d-RUNNING"])
        expect_get(stub, "d-RUNNING", "InProgress")
        expect_get(stub, "d-RUNNING", "Succeeded")

    outcome = stubbed(script, wait=True)
    assert not outcome["changed"] and outcome["deployment"]["status"] == "Succeeded"


def test_a_failed_deployment_fails_the_run_with_codedeploys_error():
    def script(stub):
        expect_list(stub, [])
        expect_create(stub, "d-BAD")
        expect_get(stub, "d-BAD", "InProgress")
        expect_get(stub, "d-BAD", "Failed", overview={"Failed": 2, "Succeeded": 1},
                   errorInformation={"code": "HEALTH_CONSTRAINTS", "message": "Too many instances failed deployment"})

    outcome = stubbed(script, wait=True)
    assert outcome.get("failed") and outcome["changed"]
    for words in ("d-BAD", "ended Failed", "HEALTH_CONSTRAINTS", "Too many instances failed deployment",
                  "1 Succeeded, 2 Failed"):
        assert words in outcome["msg"]
    assert outcome["deployment"]["error_information"] == {"code": "HEALTH_CONSTRAINTS",
                                                          "message": "Too many instances failed deployment"}


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_a_latest_deployment_of_the_revision_that_failed_is_made_again(status):
    def script(stub):
        expect_list(stub, ["d-BAD"])
        expect_get(stub, "d-BAD", status, errorInformation={"code": "SCRIPT_FAILED", "message": "ApplicationStart"})
        expect_create(stub, "d-NEW")
        expect_get(stub, "d-NEW", "Created")

    outcome = stubbed(script)
    assert outcome["changed"] and outcome["deployment"]["deployment_id"] == "d-NEW"


def test_check_mode_neither_creates_nor_waits():
    def script(stub):
        expect_list(stub, ["d-RUNNING"])
        expect_get(stub, "d-RUNNING", "InProgress")

    outcome = run_stubbed(codedeploy_module, dict(args(wait=True), access_key="x", secret_key="x"),
                          {"codedeploy": script}, check=True)
    assert not outcome["changed"] and outcome["deployment"]["status"] == "InProgress"


def test_a_deployment_still_running_after_wait_timeout_fails_naming_it(monkeypatch):
    # run_stubbed makes time.sleep a no-op: the clock moves 10 s on each look at it instead
    clock = itertools.count(1000, 10)
    monkeypatch.setattr(codedeploy_module.time, "monotonic", lambda: float(next(clock)))

    def script(stub):
        expect_list(stub, [])
        expect_create(stub, "d-SLOW")
        expect_get(stub, "d-SLOW", "Created")
        expect_get(stub, "d-SLOW", "InProgress")
        expect_get(stub, "d-SLOW", "InProgress")

    outcome = run_stubbed(codedeploy_module, dict(args(wait=True, wait_timeout=25, wait_delay=10), access_key="x",
                                                  secret_key="x"), {"codedeploy": script})
    assert outcome.get("failed") and outcome["changed"]
    for words in ("Timed out after 25 s", "d-SLOW", "last status InProgress", "keeps running in AWS"):
        assert words in outcome["msg"]
    assert outcome["deployment"]["status"] == "InProgress"


def test_access_denied_on_create_says_what_could_not_be_done():
    def script(stub):
        expect_list(stub, [])
        stub.add_client_error("create_deployment", service_error_code="AccessDeniedException", http_status_code=400)

    outcome = stubbed(script)
    assert outcome.get("failed")
    assert outcome["msg"].startswith("Could not create a deployment of s3://%s/%s to deployment group %s" % (BUCKET, KEY, GROUP))
    assert "lack the permission" in outcome["msg"]
