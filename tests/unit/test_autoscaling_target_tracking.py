"""liftoff.aws.autoscaling_target_tracking, run in-process against moto (mock_aws), and against botocore
Stubber for the answers moto does not give (a ValidationError for an unknown group, the alarms AWS makes):
one describe, only the prefix's policies touched, a re-run writes nothing, honest check mode."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import autoscaling_target_tracking
from tests.unit.module_runner import run_module, run_stubbed, writes

GROUP = "demo-prod-web"
CPU = {"name": "demo-prod-web-cpu", "predefined_metric": "ASGAverageCPUUtilization", "target_value": 50}
MEMORY = {"name": "demo-prod-web-memory", "target_value": 70,
          "customized_metric": {"namespace": "CWAgent", "metric_name": "mem_used_percent",
                                "dimensions": {"AutoScalingGroupName": GROUP}, "statistic": "Average"}}
ARN = ("arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b:"
       "autoScalingGroupName/demo-prod-web:policyName/demo-prod-web-cpu")


def args(policies, **overrides):
    return dict({"group_name": GROUP, "name_prefix": "demo-prod-web-", "policies": policies,
                 "region": "eu-west-1"}, **overrides)


@pytest.fixture
def asg(moto_aws):
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    ec2.create_launch_template(LaunchTemplateName="demo-prod-web",
                               LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    client = boto3.client("autoscaling", region_name="eu-west-1")
    client.create_auto_scaling_group(AutoScalingGroupName=GROUP, LaunchTemplate={"LaunchTemplateName": "demo-prod-web"},
                                     MinSize=0, MaxSize=4, AvailabilityZones=["eu-west-1a"])
    return client


def found(client):
    answer = client.describe_policies(AutoScalingGroupName=GROUP, PolicyTypes=["TargetTrackingScaling"])
    return {p["PolicyName"]: p for p in answer["ScalingPolicies"]}


def put_by_hand(client, name, target=40.0):
    client.put_scaling_policy(AutoScalingGroupName=GROUP, PolicyName=name, PolicyType="TargetTrackingScaling",
                              TargetTrackingConfiguration={"TargetValue": target, "PredefinedMetricSpecification": {
                                  "PredefinedMetricType": "ASGAverageCPUUtilization"}})


def test_cpu_and_memory_policies_are_created_then_a_rerun_reads_once_and_writes_nothing(asg):
    outcome, calls = run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    assert outcome["changed"] and outcome["created"] == ["demo-prod-web-cpu", "demo-prod-web-memory"], outcome
    assert writes(calls) == ["PutScalingPolicy", "PutScalingPolicy"]
    policies = found(asg)
    cpu = policies["demo-prod-web-cpu"]["TargetTrackingConfiguration"]
    assert cpu["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ASGAverageCPUUtilization"
    assert cpu["TargetValue"] == 50.0
    memory = policies["demo-prod-web-memory"]["TargetTrackingConfiguration"]["CustomizedMetricSpecification"]
    assert memory["Namespace"] == "CWAgent" and memory["MetricName"] == "mem_used_percent"
    assert memory["Statistic"] == "Average"
    assert memory["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": GROUP}]

    outcome, calls = run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    assert not outcome["changed"], outcome
    assert calls == ["DescribePolicies"]
    assert (outcome["created"], outcome["updated"], outcome["deleted"]) == ([], [], [])
    memory = {p["policy_name"]: p for p in outcome["policies"]}["demo-prod-web-memory"]
    assert memory["customized_metric"]["dimensions"] == {"AutoScalingGroupName": GROUP}
    assert memory["target_value"] == 70.0 and memory["predefined_metric"] is None


def test_a_changed_target_value_is_exactly_one_put(asg):
    run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    outcome, calls = run_module(autoscaling_target_tracking, args([dict(CPU, target_value=60), MEMORY]), diff=True)
    assert outcome["changed"] and outcome["updated"] == ["demo-prod-web-cpu"] and outcome["created"] == []
    assert writes(calls) == ["PutScalingPolicy"]
    assert found(asg)["demo-prod-web-cpu"]["TargetTrackingConfiguration"]["TargetValue"] == 60.0
    before = {p["PolicyName"]: p for p in outcome["diff"]["before"]}
    after = {p["PolicyName"]: p for p in outcome["diff"]["after"]}
    assert before["demo-prod-web-cpu"]["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    assert after["demo-prod-web-cpu"]["TargetTrackingConfiguration"]["TargetValue"] == 60.0


def test_warmup_is_compared_when_given_and_kept_when_not(asg):
    run_module(autoscaling_target_tracking, args([dict(CPU, estimated_instance_warmup=180)]))
    outcome, calls = run_module(autoscaling_target_tracking, args([CPU]))
    assert not outcome["changed"] and writes(calls) == []
    assert outcome["policies"][0]["estimated_instance_warmup"] == 180
    outcome, calls = run_module(autoscaling_target_tracking, args([dict(CPU, estimated_instance_warmup=300)]))
    assert outcome["updated"] == ["demo-prod-web-cpu"] and writes(calls) == ["PutScalingPolicy"]
    assert found(asg)["demo-prod-web-cpu"]["EstimatedInstanceWarmup"] == 300


def test_dimension_order_and_an_integer_target_do_not_count_as_a_change(asg):
    two = {"AutoScalingGroupName": GROUP, "InstanceType": "t3.micro"}
    asg.put_scaling_policy(AutoScalingGroupName=GROUP, PolicyName="demo-prod-web-memory",
                           PolicyType="TargetTrackingScaling", TargetTrackingConfiguration={
                               "TargetValue": 70, "CustomizedMetricSpecification": {
                                   "Namespace": "CWAgent", "MetricName": "mem_used_percent", "Statistic": "Average",
                                   "Dimensions": [{"Name": "InstanceType", "Value": "t3.micro"},
                                                  {"Name": "AutoScalingGroupName", "Value": GROUP}]}})
    memory = dict(MEMORY, customized_metric=dict(MEMORY["customized_metric"], dimensions=two))
    outcome, calls = run_module(autoscaling_target_tracking, args([memory]))
    assert not outcome["changed"] and writes(calls) == [], outcome


def test_purge_deletes_an_unlisted_policy_of_ours_and_keeps_a_foreign_one(asg):
    run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    put_by_hand(asg, "hand-made-cpu")
    outcome, calls = run_module(autoscaling_target_tracking, args([CPU]))
    assert outcome["changed"] and outcome["deleted"] == ["demo-prod-web-memory"]
    assert outcome["foreign"] == ["hand-made-cpu"]
    assert writes(calls) == ["DeletePolicy"]
    assert sorted(found(asg)) == ["demo-prod-web-cpu", "hand-made-cpu"]


def test_purge_false_keeps_an_unlisted_policy_of_ours(asg):
    run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    outcome, calls = run_module(autoscaling_target_tracking, args([CPU], purge=False))
    assert not outcome["changed"] and writes(calls) == []
    assert [p["policy_name"] for p in outcome["policies"]] == ["demo-prod-web-cpu", "demo-prod-web-memory"]


def test_check_mode_writes_nothing_and_predicts_create_update_and_delete(asg):
    run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    network = {"name": "demo-prod-web-network-in", "predefined_metric": "ASGAverageNetworkIn", "target_value": 1e6}
    outcome, calls = run_module(autoscaling_target_tracking, args([dict(CPU, target_value=65), network]),
                                check=True, diff=True)
    assert writes(calls) == []
    assert outcome["changed"]
    assert outcome["created"] == ["demo-prod-web-network-in"]
    assert outcome["updated"] == ["demo-prod-web-cpu"]
    assert outcome["deleted"] == ["demo-prod-web-memory"]
    assert found(asg)["demo-prod-web-cpu"]["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    assert sorted(found(asg)) == ["demo-prod-web-cpu", "demo-prod-web-memory"]
    # before is what exists, after what the real run would leave
    assert [p["PolicyName"] for p in outcome["diff"]["before"]] == ["demo-prod-web-cpu", "demo-prod-web-memory"]
    assert [p["PolicyName"] for p in outcome["diff"]["after"]] == ["demo-prod-web-cpu", "demo-prod-web-network-in"]
    predicted = {p["policy_name"]: p for p in outcome["policies"]}
    assert predicted["demo-prod-web-network-in"]["policy_arn"] == "" and predicted["demo-prod-web-cpu"]["policy_arn"]
    assert predicted["demo-prod-web-cpu"]["target_value"] == 65.0


def test_absent_deletes_only_the_policies_under_the_prefix(asg):
    run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    put_by_hand(asg, "hand-made-cpu")
    outcome, calls = run_module(autoscaling_target_tracking, args([], state="absent"), check=True)
    assert outcome["deleted"] == ["demo-prod-web-cpu", "demo-prod-web-memory"] and writes(calls) == []
    outcome, calls = run_module(autoscaling_target_tracking, args([], state="absent"))
    assert outcome["changed"] and outcome["deleted"] == ["demo-prod-web-cpu", "demo-prod-web-memory"]
    assert writes(calls) == ["DeletePolicy", "DeletePolicy"]
    assert sorted(found(asg)) == ["hand-made-cpu"]
    outcome, calls = run_module(autoscaling_target_tracking, args([], state="absent"))
    assert not outcome["changed"] and calls == ["DescribePolicies"]


def test_a_missing_group_is_predicted_in_check_mode_and_refused_otherwise(moto_aws):
    outcome, calls = run_module(autoscaling_target_tracking, args([CPU, MEMORY]), check=True)
    assert outcome["changed"] and outcome["created"] == ["demo-prod-web-cpu", "demo-prod-web-memory"], outcome
    assert writes(calls) == []
    assert any("does not exist" in w for w in outcome.get("warnings", []))
    outcome, calls = run_module(autoscaling_target_tracking, args([CPU, MEMORY]))
    assert outcome["failed"] and "Auto Scaling group demo-prod-web does not exist" in outcome["msg"], outcome
    assert writes(calls) == []
    outcome, calls = run_module(autoscaling_target_tracking, args([], state="absent"))
    assert not outcome["changed"] and writes(calls) == []


def _validation_error(stub):
    stub.add_client_error("describe_policies", service_error_code="ValidationError",
                          service_message="AutoScalingGroup name not found - demo-prod-web",
                          expected_params={"AutoScalingGroupName": GROUP, "PolicyTypes": ["TargetTrackingScaling"]})


def test_a_validation_error_for_an_unknown_group_means_missing():
    def script(stub):
        _validation_error(stub)
        stub.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []},
                          {"AutoScalingGroupNames": [GROUP]})

    outcome = run_stubbed(autoscaling_target_tracking, args([CPU]), {"autoscaling": script}, check=True)
    assert outcome["changed"] and outcome["created"] == ["demo-prod-web-cpu"], outcome
    outcome = run_stubbed(autoscaling_target_tracking, args([CPU]), {"autoscaling": script})
    assert outcome["failed"] and "does not exist" in outcome["msg"], outcome


def test_a_validation_error_for_an_existing_group_is_reported():
    def script(stub):
        _validation_error(stub)
        stub.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [{
            "AutoScalingGroupName": GROUP, "MinSize": 0, "MaxSize": 4, "DesiredCapacity": 0, "DefaultCooldown": 300,
            "AvailabilityZones": ["eu-west-1a"], "HealthCheckType": "EC2", "CreatedTime": "2026-01-01T00:00:00Z"}]},
            {"AutoScalingGroupNames": [GROUP]})

    outcome = run_stubbed(autoscaling_target_tracking, args([CPU]), {"autoscaling": script})
    assert outcome["failed"], outcome
    assert "Could not describe the target tracking policies of Auto Scaling group demo-prod-web" in outcome["msg"]


def test_what_aws_adds_is_not_a_change_and_its_alarms_are_returned():
    alarms = [{"AlarmName": "TargetTracking-demo-prod-web-AlarmHigh-1", "AlarmARN": "arn:aws:cloudwatch:x:1:alarm:h"},
              {"AlarmName": "TargetTracking-demo-prod-web-AlarmLow-1", "AlarmARN": "arn:aws:cloudwatch:x:1:alarm:l"}]
    existing = {"AutoScalingGroupName": GROUP, "PolicyName": "demo-prod-web-cpu", "PolicyARN": ARN,
                "PolicyType": "TargetTrackingScaling", "StepAdjustments": [], "Alarms": alarms, "Enabled": True,
                "TargetTrackingConfiguration": {"TargetValue": 50.0, "DisableScaleIn": False,
                                                "PredefinedMetricSpecification": {
                                                    "PredefinedMetricType": "ASGAverageCPUUtilization"}}}

    def script(stub):
        stub.add_response("describe_policies", {"ScalingPolicies": [existing]},
                          {"AutoScalingGroupName": GROUP, "PolicyTypes": ["TargetTrackingScaling"]})

    outcome = run_stubbed(autoscaling_target_tracking, args([CPU]), {"autoscaling": script})
    assert not outcome["changed"], outcome
    assert outcome["policies"] == [{
        "policy_name": "demo-prod-web-cpu", "policy_arn": ARN, "target_value": 50.0, "disable_scale_in": False,
        "estimated_instance_warmup": None, "predefined_metric": "ASGAverageCPUUtilization", "resource_label": None,
        "customized_metric": None,
        "alarms": ["TargetTracking-demo-prod-web-AlarmHigh-1", "TargetTracking-demo-prod-web-AlarmLow-1"]}]


@pytest.mark.parametrize("policy, message", [
    (dict(CPU, name="other-cpu"), "policy 'other-cpu' must start with name_prefix 'demo-prod-web-'"),
    (dict(CPU, customized_metric=MEMORY["customized_metric"]), "give exactly one of predefined_metric and"),
    ({"name": "demo-prod-web-x", "target_value": 1}, "exactly one of predefined_metric and customized_metric"),
    (dict(CPU, predefined_metric="ALBRequestCountPerTarget"), "ALBRequestCountPerTarget needs resource_label"),
    (dict(CPU, resource_label="app/a/1/targetgroup/t/2"), "resource_label is only for predefined_metric"),
])
def test_malformed_policies_are_refused_before_any_call(moto_aws, policy, message):
    outcome, calls = run_module(autoscaling_target_tracking, args([policy]))
    assert outcome["failed"] and message in outcome["msg"], outcome
    assert calls == []


def test_a_policy_listed_twice_is_refused(moto_aws):
    outcome, calls = run_module(autoscaling_target_tracking, args([CPU, dict(CPU, target_value=10)]))
    assert outcome["failed"] and "listed twice" in outcome["msg"] and calls == []
