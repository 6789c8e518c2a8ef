"""Role liftoff.aws.alarms against the emulator: the topic, the alarms a user sees in CloudWatch, and that
nothing made by hand is touched. One playbook run per lifecycle stage."""

from __future__ import annotations

from tests.harness.owned import READS_PER_RESOURCE_GOAL
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "alarms.yml"
PREFIX = "liftoff-demo-sandbox"
REGION = "eu-west-1"
OUR_TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff", "LiftoffRole": "alarms"}
KINDS = ("system-check", "instance-check", "cpu-high", "network-in-high")
GROUP = {
    "alarms_autoscaling_group_name": f"{PREFIX}-web",
    "alarms_load_balancer_arn_suffix": f"app/{PREFIX}/0123456789abcdef",
    "alarms_target_group_arn_suffix": f"targetgroup/{PREFIX}-web/fedcba9876543210",
}
EMAILS = ["ops@example.com", "oncall@example.com"]


def _instances(ec2, count: int) -> list[dict]:
    """Instances made the way ec2_host would publish them (name, instance_id, ...)."""
    made = ec2.run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count, InstanceType="t3.micro")
    return [{"name": f"web-{i + 1}", "instance_id": inst["InstanceId"], "availability_zone": "eu-west-1a"}
            for i, inst in enumerate(made["Instances"])]


def _alarms(cw) -> dict[str, dict]:
    pages = cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=PREFIX + "-")
    return {a["AlarmName"]: a for page in pages for a in page["MetricAlarms"]}


def _tags(cw, arn) -> dict:
    return {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def _owned(emu) -> int:
    """What the role owns, read back from AWS: alarms under the prefix with its tags, the topic, its subscriptions."""
    cw, sns = emu.client("cloudwatch"), emu.client("sns")
    count = sum(_tags(cw, a["AlarmArn"]) == OUR_TAGS for a in _alarms(cw).values())
    for topic in sns.list_topics()["Topics"]:
        arn = topic["TopicArn"]
        if arn.endswith(f":{PREFIX}-alarms"):
            tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
            if tags == OUR_TAGS:
                count += 1 + len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])
    return count


def _emails(sns, arn) -> set[str]:
    return {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]}


def test_alarms_lifecycle(playbook, aws):
    ec2, cw, sns = aws.client("ec2"), aws.client("cloudwatch"), aws.client("sns")
    instances = _instances(ec2, 3)
    # Made by hand: an alarm under the prefix and a pager topic the alarms also notify. Both must survive.
    pager = sns.create_topic(Name="ops-pager")["TopicArn"]
    cw.put_metric_alarm(AlarmName=f"{PREFIX}-hand-made", Namespace="AWS/EC2", MetricName="CPUUtilization",
                        Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=50,
                        ComparisonOperator="GreaterThanThreshold")
    variables = dict(GROUP, alarms_instances=instances, alarms_email_addresses=EMAILS,
                     alarms_notify_topic_arns=[pager])
    env = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}

    # -- check mode on an empty account: predicts, writes nothing ---------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=variables, env=env)
    assert result.rc == 0 and result.changed == 2, result  # the topic, the alarm set
    assert aws.writes() == []
    assert list(_alarms(cw)) == [f"{PREFIX}-hand-made"]

    # -- create ---------------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, extra_vars=variables, env=env)
    assert result.rc == 0, result
    facts = result.facts("ALARMS")
    topic = facts["topic_arn"]
    assert topic.endswith(f":{PREFIX}-alarms")
    assert _emails(sns, topic) == set(EMAILS)
    alarms = _alarms(cw)
    ours = {f"{PREFIX}-web-{i}-{k}" for i in (1, 2, 3) for k in KINDS} | {
        f"{PREFIX}-asg-cpu-high", f"{PREFIX}-alb-5xx", f"{PREFIX}-alb-unhealthy-hosts"}
    assert set(alarms) == ours | {f"{PREFIX}-hand-made"}
    assert sorted(facts["names"]) == sorted(ours)
    first = instances[0]["instance_id"]
    system = alarms[f"{PREFIX}-web-1-system-check"]
    assert system["MetricName"] == "StatusCheckFailed_System" and system["Dimensions"] == [
        {"Name": "InstanceId", "Value": first}]
    assert sorted(system["AlarmActions"]) == sorted([f"arn:aws:automate:{REGION}:ec2:recover", topic, pager])
    assert sorted(alarms[f"{PREFIX}-web-1-instance-check"]["AlarmActions"]) == sorted(
        [f"arn:aws:automate:{REGION}:ec2:reboot", topic, pager])
    cpu = alarms[f"{PREFIX}-web-1-cpu-high"]
    assert (cpu["Threshold"], cpu["Period"], cpu["EvaluationPeriods"]) == (90.0, 300, 3)
    assert sorted(cpu["AlarmActions"]) == sorted([topic, pager])  # notify only by default
    network = alarms[f"{PREFIX}-web-1-network-in-high"]
    assert (network["MetricName"], network["Statistic"], network["Threshold"]) == ("NetworkIn", "Sum", 5e9)
    unhealthy = alarms[f"{PREFIX}-alb-unhealthy-hosts"]
    assert {d["Name"]: d["Value"] for d in unhealthy["Dimensions"]} == {
        "LoadBalancer": GROUP["alarms_load_balancer_arn_suffix"], "TargetGroup": GROUP["alarms_target_group_arn_suffix"]}
    assert all(_tags(cw, alarms[name]["AlarmArn"]) == OUR_TAGS for name in ours)
    assert _tags(cw, alarms[f"{PREFIX}-hand-made"]["AlarmArn"]) == {}

    # -- no-op: nothing changed, not one write, at most two reads per managed resource ------------------
    owned = _owned(aws)
    assert owned == len(ours) + 1 + len(EMAILS)  # 15 alarms, the topic, 2 subscriptions
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=variables, env=env)
    assert result.rc == 0 and result.changed == 0, result
    calls = aws.calls()
    assert [str(c) for c in calls if c.is_write] == []
    reads = [str(c) for c in calls if c.is_read]
    assert len(reads) <= READS_PER_RESOURCE_GOAL * owned, (len(reads), owned, sorted(reads))
    print(f"no-op: {len(reads)} reads for {owned} resources")
    assert result.facts("ALARMS")["topic_arn"] == topic

    # -- modify: CPU threshold down and the action to stop, NetworkIn by anomaly band, web-3 and one
    #    address removed -----------------------------------------------------------------------------
    modified = dict(variables, alarms_instances=instances[:2], alarms_email_addresses=EMAILS[:1],
                    alarms_cpu_threshold=75, alarms_cpu_action="stop", alarms_network_in_mode="anomaly")
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=modified, env=env)
    assert result.rc == 0 and result.changed == 2, result  # check mode predicts the topic and the alarm set
    assert aws.writes() == []
    assert '"Threshold": 75.0' in result.stdout and '"arn:aws:automate:eu-west-1:ec2:stop"' in result.stdout, result
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=modified, env=env)
    assert result.rc == 0 and result.changed == 2, result
    alarms = _alarms(cw)
    assert not [name for name in alarms if name.startswith(f"{PREFIX}-web-3-")]
    cpu = alarms[f"{PREFIX}-web-1-cpu-high"]
    assert cpu["Threshold"] == 75.0
    assert sorted(cpu["AlarmActions"]) == sorted([f"arn:aws:automate:{REGION}:ec2:stop", topic, pager])
    network = alarms[f"{PREFIX}-web-2-network-in-high"]
    assert network["ThresholdMetricId"] == "band" and network["ComparisonOperator"] == "GreaterThanUpperThreshold"
    assert [m.get("Expression") for m in network["Metrics"] if m["Id"] == "band"] == [
        "ANOMALY_DETECTION_BAND(metric, 4)"]
    assert _emails(sns, topic) == {EMAILS[0]}
    assert len(result.facts("ALARMS")["names"]) == 2 * 4 + 3
    deleted = sorted(c.operation for c in aws.writes() if c.operation == "DeleteAlarms")
    assert deleted == ["DeleteAlarms"]  # web-3's four alarms in one call

    # -- teardown: this role's alarms and topic go; the hand-made alarm and the pager topic stay --------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, extra_vars=dict(modified, alarms_state="absent"), env=env)
    assert result.rc == 0 and result.changed == 2, result
    assert aws.writes() == [] and len(_alarms(cw)) == 2 * 4 + 3 + 1
    result = playbook(PLAYBOOK, extra_vars=dict(modified, alarms_state="absent"), env=env)
    assert result.rc == 0 and result.changed == 2, result
    assert list(_alarms(cw)) == [f"{PREFIX}-hand-made"]
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [pager]
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=dict(modified, alarms_state="absent"), env=env)
    assert result.rc == 0 and result.changed == 0, result
    assert aws.writes() == []


def test_a_hand_made_topic_with_the_role_name_is_not_taken_over(playbook, aws):
    sns = aws.client("sns")
    arn = sns.create_topic(Name=f"{PREFIX}-alarms", Tags=[{"Key": "Team", "Value": "ops"}])["TopicArn"]
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars={"alarms_email_addresses": EMAILS})
    assert result.rc != 0 and "the role will not take it over" in result.stdout, result
    assert aws.writes() == []
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []


def test_bad_input_is_refused_before_any_aws_call(playbook, aws):
    """The wiring of the input hook (the checks themselves: tests/unit/test_alarms_filters.py)."""
    result = playbook(PLAYBOOK, extra_vars={"alarms_cpu_threshold": 150, "alarms_email_addresses": ["ops@"],
                                            "alarms_instances": [{"name": "web-1", "instance_id": "i-0123456789abcdef0"}]})
    assert result.rc != 0, result
    assert "alarms_cpu_threshold is 150: it must be a number from 1 to 100" in result.stdout, result
    assert "alarms_email_addresses[0] is 'ops@', not a valid email address" in result.stdout, result
    assert aws.calls() == []
