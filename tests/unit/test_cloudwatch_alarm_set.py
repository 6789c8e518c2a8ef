"""liftoff.aws.cloudwatch_alarm_set, run in-process against moto (mock_aws): one describe, tags kept exact,
only its own alarms touched, actions refused before any call, honest check mode."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import cloudwatch_alarm_set
from tests.unit.module_runner import run_module, writes

OWNER = {"Project": "demo", "Environment": "prod"}
TOPIC = "arn:aws:sns:eu-west-1:123456789012:demo-prod-alarms"


def alarm(name="demo-prod-web-1-cpu-high", **overrides):
    return dict({"name": name, "namespace": "AWS/EC2", "metric_name": "CPUUtilization", "statistic": "Average",
                 "dimensions": {"InstanceId": "i-0123456789abcdef0"}, "period": 300, "evaluation_periods": 3,
                 "threshold": 90, "comparison": "GreaterThanThreshold", "alarm_actions": [TOPIC]}, **overrides)


def args(alarms, **overrides):
    return dict({"name_prefix": "demo-prod-", "owner_tags": OWNER, "alarms": alarms, "region": "eu-west-1"}, **overrides)


@pytest.fixture
def cw(moto_aws):
    return boto3.client("cloudwatch", region_name="eu-west-1")


def tags(cw, name):
    arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    return {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def test_create_check_real_then_a_rerun_reads_twice_and_writes_nothing(cw):
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()]), check=True, diff=True)
    assert outcome["changed"] and outcome["created"] == ["demo-prod-web-1-cpu-high"] and writes(calls) == []
    assert outcome["diff"]["after"]["demo-prod-web-1-cpu-high"]["Threshold"] == 90.0
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()]))
    assert outcome["changed"] and writes(calls) == ["PutMetricAlarm"]
    assert tags(cw, "demo-prod-web-1-cpu-high") == OWNER
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()]))
    assert not outcome["changed"], outcome
    assert calls == ["DescribeAlarms", "ListTagsForResource"]


def test_a_changed_threshold_is_one_put_and_the_diff_says_so(cw):
    run_module(cloudwatch_alarm_set, args([alarm()]))
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm(threshold=75)]), diff=True)
    assert outcome["updated"] == {"demo-prod-web-1-cpu-high": ["Threshold is 90.0, not 75.0"]}
    assert writes(calls) == ["PutMetricAlarm"]
    assert cw.describe_alarms(AlarmNames=["demo-prod-web-1-cpu-high"])["MetricAlarms"][0]["Threshold"] == 75.0
    assert tags(cw, "demo-prod-web-1-cpu-high") == OWNER  # the update did not lose the tags


def test_tags_changed_elsewhere_are_put_back_without_a_put(cw):
    run_module(cloudwatch_alarm_set, args([alarm()], tags=dict(OWNER, Owner="ops")))
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()], tags=dict(OWNER, Team="web")))
    assert outcome["updated"] == {"demo-prod-web-1-cpu-high": ["tag Owner", "tag Team"]}
    assert writes(calls) == ["UntagResource", "TagResource"]
    assert tags(cw, "demo-prod-web-1-cpu-high") == dict(OWNER, Team="web")


def test_an_unlisted_alarm_of_ours_is_deleted_a_foreign_one_kept(cw):
    run_module(cloudwatch_alarm_set, args([alarm(), alarm("demo-prod-web-2-cpu-high")]))
    cw.put_metric_alarm(AlarmName="demo-prod-hand-made", Namespace="AWS/EC2", MetricName="CPUUtilization",
                        Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanThreshold")
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()]), check=True)
    assert outcome["deleted"] == ["demo-prod-web-2-cpu-high"] and writes(calls) == []
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()]))
    assert outcome["deleted"] == ["demo-prod-web-2-cpu-high"] and outcome["foreign"] == ["demo-prod-hand-made"]
    assert writes(calls) == ["DeleteAlarms"]
    names = [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]]
    assert sorted(names) == ["demo-prod-hand-made", "demo-prod-web-1-cpu-high"]
    outcome, calls = run_module(cloudwatch_alarm_set, args([], state="absent"))
    assert outcome["deleted"] == ["demo-prod-web-1-cpu-high"]
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["demo-prod-hand-made"]


def test_purge_false_keeps_unlisted_alarms(cw):
    run_module(cloudwatch_alarm_set, args([alarm(), alarm("demo-prod-web-2-cpu-high")]))
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()], purge=False))
    assert not outcome["changed"] and writes(calls) == []
    assert sorted(outcome["alarms"]) == ["demo-prod-web-1-cpu-high", "demo-prod-web-2-cpu-high"]


def test_an_alarm_of_the_same_name_without_our_tags_is_not_taken_over(cw):
    cw.put_metric_alarm(AlarmName="demo-prod-web-1-cpu-high", Namespace="AWS/EC2", MetricName="CPUUtilization",
                        Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanThreshold", Tags=[{"Key": "Project", "Value": "other"}])
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()]))
    assert outcome["failed"] and "will not take them over" in outcome["msg"]
    assert writes(calls) == []


def test_an_anomaly_band_alarm_is_created_and_then_left_alone(cw):
    band = alarm("demo-prod-web-1-network-in-high", metric_name="NetworkIn", statistic="Sum", threshold=None,
                 anomaly_band=2.5, comparison="GreaterThanUpperThreshold")
    run_module(cloudwatch_alarm_set, args([band]))
    found = cw.describe_alarms(AlarmNames=["demo-prod-web-1-network-in-high"])["MetricAlarms"][0]
    assert found["ThresholdMetricId"] == "band"
    assert [m.get("Expression") for m in found["Metrics"]] == [None, "ANOMALY_DETECTION_BAND(metric, 2.5)"]
    outcome, calls = run_module(cloudwatch_alarm_set, args([band]))
    assert not outcome["changed"] and writes(calls) == [], outcome


@pytest.mark.parametrize("actions, message", [
    (["arn:aws:automate:us-east-1:ec2:stop"], "is an EC2 action of region us-east-1, not of eu-west-1"),
    (["arn:aws:automate:eu-west-1:ec2:hibernate"], "is neither arn:aws:automate:eu-west-1:ec2:reboot|stop|terminate|recover"),
    (["arn:aws:lambda:eu-west-1:123456789012:function:x"], "nor an SNS topic ARN"),
])
def test_actions_outside_the_allowed_set_are_refused_before_any_call(moto_aws, actions, message):
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm(alarm_actions=actions)]))
    assert outcome["failed"] and message in outcome["msg"], outcome
    assert calls == []


@pytest.mark.parametrize("overrides, message", [
    ({"name": "other-web-1-cpu-high"}, "must start with name_prefix"),
    ({"period": 45}, "period 45 must be 10, 30 or a multiple of 60"),
    ({"threshold": None}, "threshold is required without anomaly_band"),
    ({"comparison": "GreaterThanUpperThreshold"}, "comparison must be one of"),
])
def test_malformed_alarms_are_refused_before_any_call(moto_aws, overrides, message):
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm(**overrides)]))
    assert outcome["failed"] and message in outcome["msg"], outcome
    assert calls == []


def test_tags_that_drop_an_owner_tag_are_refused(moto_aws):
    outcome, calls = run_module(cloudwatch_alarm_set, args([alarm()], tags={"Project": "demo"}))
    assert outcome["failed"] and "tags must include owner_tags (Environment differ)" in outcome["msg"]
    assert calls == []
