"""liftoff.aws.codedeploy_application and codedeploy_deployment_group, in-process against moto (with the emulator's
CodeDeploy patch, which adds the update and delete calls moto lacks): made by name with their tags, two reads and
no write on a re-run, updates of only what differs, owner tags that keep someone else's resources out, check mode
that writes nothing, absent that deletes once."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import codedeploy_application as application
from ansible_collections.liftoff.aws.plugins.modules import codedeploy_deployment_group as group
from tests.harness import moto_patches
from tests.unit.module_runner import run_module, run_stubbed, writes

ACCOUNT = "123456789012"
OWNER = {"Project": "demo", "Environment": "prod"}
ROLE = "arn:aws:iam::123456789012:role/liftoff/demo/prod/demo-prod-codedeploy"


@pytest.fixture
def codedeploy(moto_aws):
    moto_patches.patch_codedeploy_deployment_groups()
    return boto3.client("codedeploy", region_name="eu-west-1")


def app_args(**overrides):
    return dict({"name": "demo-prod-app", "tags": dict(OWNER, Team="web"), "owner_tags": OWNER, "account_id": ACCOUNT,
                 "region": "eu-west-1"}, **overrides)


def group_args(**overrides):
    return dict({"application_name": "demo-prod-app", "name": "web", "service_role_arn": ROLE,
                 "auto_scaling_groups": ["demo-prod-web"], "target_group_names": ["demo-prod-web"],
                 "ec2_tag_filters": [{"key": "Role", "value": "app"}],
                 "on_premises_tag_filters": [{"key": "Project", "value": "demo"}],
                 "alarms": ["demo-prod-web-5xx"], "auto_rollback_events": ["DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE"],
                 "tags": OWNER, "owner_tags": OWNER, "account_id": ACCOUNT, "region": "eu-west-1"}, **overrides)


def app_tags(codedeploy, name="demo-prod-app"):
    arn = f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:application:{name}"
    return {t["Key"]: t["Value"] for t in codedeploy.list_tags_for_resource(ResourceArn=arn)["Tags"]}


def test_application_check_create_rerun_and_tags(codedeploy):
    outcome, calls = run_module(application, app_args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == [] and codedeploy.list_applications()["applications"] == []
    assert outcome["diff"]["after"]["application_id"] == "(known after creation)"

    outcome, _calls = run_module(application, app_args())
    assert outcome["changed"] and codedeploy.list_applications()["applications"] == ["demo-prod-app"]
    assert app_tags(codedeploy) == dict(OWNER, Team="web")
    made = codedeploy.get_application(applicationName="demo-prod-app")["application"]
    assert outcome["application"]["application_id"] == made["applicationId"] and made["computePlatform"] == "Server"

    outcome, calls = run_module(application, app_args())
    assert not outcome["changed"] and calls == ["GetApplication", "ListTagsForResource"]

    outcome, calls = run_module(application, app_args(tags=OWNER), diff=True)
    assert outcome["changed"] and writes(calls) == ["UntagResource"] and app_tags(codedeploy) == OWNER
    assert outcome["diff"]["before"]["tags"]["Team"] == "web" and "Team" not in outcome["diff"]["after"]["tags"]


def test_application_without_account_id_asks_sts_once(codedeploy):
    run_module(application, app_args())
    outcome, calls = run_module(application, app_args(account_id=None))
    assert not outcome["changed"] and calls == ["GetCallerIdentity", "GetApplication", "ListTagsForResource"]


def test_someone_elses_application_is_refused_then_adopted_and_never_deleted_unowned(codedeploy):
    codedeploy.create_application(applicationName="demo-prod-app", computePlatform="Server",
                                  tags=[{"Key": "Owner", "Value": "ops"}])
    outcome, calls = run_module(application, app_args())
    assert outcome["failed"] and "does not carry the owner tags" in outcome["msg"] and writes(calls) == []

    outcome, calls = run_module(application, app_args(state="absent"))
    assert not outcome["changed"] and writes(calls) == [] and codedeploy.list_applications()["applications"]

    outcome, _calls = run_module(application, app_args(adopt=True))
    assert outcome["changed"] and app_tags(codedeploy) == dict(OWNER, Team="web")


def test_a_platform_change_fails_instead_of_replacing(codedeploy):
    run_module(application, app_args())
    outcome, calls = run_module(application, app_args(compute_platform="Lambda"))
    assert outcome["failed"] and "cannot change" in outcome["msg"] and writes(calls) == []


def test_application_absent_deletes_it_and_its_groups_once(codedeploy):
    run_module(application, app_args())
    run_module(group, group_args())
    outcome, calls = run_module(application, app_args(state="absent"), check=True)
    assert outcome["changed"] and writes(calls) == [] and codedeploy.list_applications()["applications"]
    outcome, calls = run_module(application, app_args(state="absent"))
    assert outcome["changed"] and writes(calls) == ["DeleteApplication"]
    assert codedeploy.list_applications()["applications"] == []
    outcome, calls = run_module(application, app_args(state="absent"))
    assert not outcome["changed"] and calls == ["GetApplication"]


def test_group_check_create_and_read_back(codedeploy):
    run_module(application, app_args())
    outcome, calls = run_module(group, group_args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == []
    assert codedeploy.list_deployment_groups(applicationName="demo-prod-app")["deploymentGroups"] == []

    outcome, _calls = run_module(group, group_args())
    assert outcome["changed"]
    made = codedeploy.get_deployment_group(applicationName="demo-prod-app", deploymentGroupName="web")["deploymentGroupInfo"]
    assert made["serviceRoleArn"] == ROLE and made["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
    assert made["deploymentStyle"] == {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert made["loadBalancerInfo"] == {"targetGroupInfoList": [{"name": "demo-prod-web"}]}
    assert made["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}
    assert made["alarmConfiguration"]["enabled"] and made["alarmConfiguration"]["alarms"] == [{"name": "demo-prod-web-5xx"}]
    assert made["onPremisesInstanceTagFilters"] == [{"Key": "Project", "Value": "demo", "Type": "KEY_AND_VALUE"}]
    assert outcome["deployment_group"]["deployment_group_id"] == made["deploymentGroupId"]

    outcome, calls = run_module(group, group_args(alarms=["demo-prod-web-5xx"]))
    assert not outcome["changed"] and calls == ["GetDeploymentGroup", "ListTagsForResource"]


def test_group_update_changes_only_what_differs_and_can_clear(codedeploy):
    run_module(application, app_args())
    run_module(group, group_args())
    outcome, calls = run_module(group, group_args(target_group_names=[], alarms=[], auto_rollback_events=[],
                                                  auto_scaling_groups=[]), diff=True)
    assert outcome["changed"] and writes(calls) == ["UpdateDeploymentGroup"]
    assert outcome["diff"]["before"]["target_group_names"] == ["demo-prod-web"]
    made = codedeploy.get_deployment_group(applicationName="demo-prod-app", deploymentGroupName="web")["deploymentGroupInfo"]
    assert made["deploymentStyle"]["deploymentOption"] == "WITHOUT_TRAFFIC_CONTROL" and made["autoScalingGroups"] == []
    assert not made["autoRollbackConfiguration"]["enabled"] and not made["alarmConfiguration"]["enabled"]
    outcome, calls = run_module(group, group_args(target_group_names=[], alarms=[], auto_rollback_events=[],
                                                  auto_scaling_groups=[]))
    assert not outcome["changed"] and writes(calls) == []


def test_group_absent_deletes_it_once_and_only_ours(codedeploy):
    run_module(application, app_args())
    codedeploy.create_deployment_group(applicationName="demo-prod-app", deploymentGroupName="theirs",
                                       serviceRoleArn=ROLE, ec2TagFilters=[{"Key": "a", "Value": "b", "Type": "KEY_AND_VALUE"}])
    outcome, calls = run_module(group, group_args(name="theirs", state="absent"))
    assert not outcome["changed"] and writes(calls) == [] and outcome["warnings"]

    run_module(group, group_args())
    outcome, calls = run_module(group, group_args(state="absent"))
    assert outcome["changed"] and writes(calls) == ["DeleteDeploymentGroup"] and outcome["hooks_not_cleaned_up"] == []
    assert codedeploy.list_deployment_groups(applicationName="demo-prod-app")["deploymentGroups"] == ["theirs"]
    outcome, calls = run_module(group, group_args(state="absent"))
    assert not outcome["changed"] and calls == ["GetDeploymentGroup"]


@pytest.mark.parametrize("overrides, message", [
    ({"service_role_arn": None}, "service_role_arn must be the ARN"),
    ({"ec2_tag_filters": [], "on_premises_tag_filters": [], "auto_scaling_groups": []}, "would have no servers"),
    ({"ec2_tag_filters": [{"key": "Role", "type": "KEY_AND_VALUE"}]}, "needs value"),
    ({"alarms": [], "auto_rollback_events": ["DEPLOYMENT_STOP_ON_ALARM"]}, "no alarm could stop a deployment"),
    ({"alarms": ["a%d" % i for i in range(11)]}, "at most 10"),
    ({"name": "x" * 101}, "CodeDeploy names are 1 to 100 characters"),
])
def test_group_bad_input_fails_before_any_call(codedeploy, overrides, message):
    outcome, calls = run_module(group, group_args(**overrides))
    assert outcome["failed"] and message in outcome["msg"] and calls == []


def test_group_update_refused_by_aws_names_the_group():
    info = {"applicationName": "demo-prod-app", "deploymentGroupId": "g-1", "deploymentGroupName": "web",
            "serviceRoleArn": ROLE, "deploymentConfigName": "CodeDeployDefault.AllAtOnce",
            "ec2TagFilters": [{"Key": "Role", "Value": "app", "Type": "KEY_AND_VALUE"}]}

    def script(stub):
        stub.add_response("get_deployment_group", {"deploymentGroupInfo": info},
                          {"applicationName": "demo-prod-app", "deploymentGroupName": "web"})
        stub.add_response("list_tags_for_resource", {"Tags": [{"Key": k, "Value": v} for k, v in OWNER.items()]})
        stub.add_client_error("update_deployment_group", "InvalidRoleException", "CodeDeploy cannot assume the role")

    outcome = run_stubbed(group, group_args(region="us-east-1", auto_scaling_groups=[], target_group_names=[],
                                            on_premises_tag_filters=[]), {"codedeploy": script})
    assert outcome["failed"] and outcome["msg"].startswith("Could not update deployment group web of application demo-prod-app")
