"""The alarms role's data: the alarms it plans, the actions it allows, the topic drift, the input checks."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.liftoff.aws.plugins.filter.alarms_plan import alarms_action_errors
from ansible_collections.liftoff.aws.plugins.filter.alarms_plan import alarms_plan
from ansible_collections.liftoff.aws.plugins.filter.alarms_plan import alarms_topic_drift
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report
from tests.harness.paths import REPO_ROOT

ROLE = REPO_ROOT / "roles" / "alarms"
SPEC = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
DEFAULTS = {k: v for k, v in yaml.safe_load((ROLE / "defaults" / "main.yml").read_text()).items() if "{{" not in str(v)}
TOPIC = "arn:aws:sns:eu-west-1:123456789012:demo-prod-alarms"
PAGER = "arn:aws:sns:eu-west-1:123456789012:pager"
TAGS = {"Project": "demo", "Environment": "prod", "ManagedBy": "liftoff"}
OWNER = dict(TAGS, LiftoffRole="alarms")
INSTANCES = [{"name": "web-1", "instance_id": "i-0123456789abcdef0", "private_ip": "10.0.0.5"},
             {"name": "web-2", "instance_id": "i-0123456789abcdef1"}]


def variables(**overrides):
    values = dict(DEFAULTS, alarms_region="eu-west-1", alarms_name_prefix="demo-prod", alarms_tags=TAGS,
                  alarms_instances=INSTANCES, alarms_autoscaling_group_name="", alarms_load_balancer_arn_suffix="",
                  alarms_target_group_arn_suffix="")
    values.update(overrides)
    return values


def by_name(plan):
    return {alarm["name"]: alarm for alarm in plan}


def errors(**overrides):
    return input_report(variables(**overrides), "alarms", SPEC)["errors"]


# -- the plan ----------------------------------------------------------------------------------------


def test_each_instance_gets_four_alarms_named_prefix_instance_kind():
    plan = by_name(alarms_plan(variables(), TOPIC))
    assert sorted(plan) == sorted("demo-prod-web-%d-%s" % (i, kind) for i in (1, 2)
                                  for kind in ("system-check", "instance-check", "cpu-high", "network-in-high"))
    system = plan["demo-prod-web-1-system-check"]
    assert system["metric_name"] == "StatusCheckFailed_System" and system["dimensions"] == {"InstanceId": "i-0123456789abcdef0"}
    assert system["alarm_actions"] == ["arn:aws:automate:eu-west-1:ec2:recover", TOPIC]
    assert plan["demo-prod-web-1-instance-check"]["alarm_actions"] == ["arn:aws:automate:eu-west-1:ec2:reboot", TOPIC]
    assert plan["demo-prod-web-1-cpu-high"]["alarm_actions"] == [TOPIC]  # notify only by default
    assert all(alarm["ok_actions"] == [TOPIC] for alarm in plan.values())


@pytest.mark.parametrize("action", ["stop", "terminate"])
def test_the_cpu_action_adds_the_ec2_action_and_still_notifies(action):
    cpu = by_name(alarms_plan(variables(alarms_cpu_action=action, alarms_cpu_threshold="75"), TOPIC))["demo-prod-web-2-cpu-high"]
    assert cpu["alarm_actions"] == ["arn:aws:automate:eu-west-1:ec2:%s" % action, TOPIC]
    assert cpu["threshold"] == 75.0 and cpu["comparison"] == "GreaterThanThreshold"


def test_network_in_is_a_fixed_threshold_or_an_anomaly_band():
    fixed = by_name(alarms_plan(variables(), TOPIC))["demo-prod-web-1-network-in-high"]
    assert (fixed["statistic"], fixed["threshold"], fixed["comparison"]) == ("Sum", 5e9, "GreaterThanThreshold")
    band = by_name(alarms_plan(variables(alarms_network_in_mode="anomaly"), TOPIC))["demo-prod-web-1-network-in-high"]
    assert band["anomaly_band"] == 4.0 and "threshold" not in band
    assert band["comparison"] == "GreaterThanUpperThreshold"


def test_group_alarms_only_for_what_is_given():
    assert [a["name"] for a in alarms_plan(variables(alarms_instances=[]), TOPIC)] == []
    plan = by_name(alarms_plan(variables(alarms_instances=[], alarms_autoscaling_group_name="demo-web",
                                         alarms_load_balancer_arn_suffix="app/demo/0123456789abcdef"), TOPIC))
    assert sorted(plan) == ["demo-prod-alb-5xx", "demo-prod-asg-cpu-high"]  # no target group: no unhealthy hosts alarm
    assert plan["demo-prod-asg-cpu-high"]["dimensions"] == {"AutoScalingGroupName": "demo-web"}
    assert plan["demo-prod-alb-5xx"]["treat_missing_data"] == "notBreaching"  # no traffic is not an error
    plan = by_name(alarms_plan(variables(alarms_instances=[], alarms_load_balancer_arn_suffix="app/demo/0123456789abcdef",
                                         alarms_target_group_arn_suffix="targetgroup/web/0123456789abcdef"), TOPIC))
    assert plan["demo-prod-alb-unhealthy-hosts"]["dimensions"] == {
        "LoadBalancer": "app/demo/0123456789abcdef", "TargetGroup": "targetgroup/web/0123456789abcdef"}


def test_extra_topics_are_notified_too_once():
    plan = alarms_plan(variables(alarms_notify_topic_arns=[PAGER, TOPIC]), TOPIC)
    assert {tuple(a["ok_actions"]) for a in plan} == {(TOPIC, PAGER)}


def test_actions_outside_the_allowed_set_are_named():
    plan = alarms_plan(variables(), TOPIC)
    assert alarms_action_errors(plan, "eu-west-1", [TOPIC]) == []
    plan[0]["alarm_actions"].append("arn:aws:automate:us-east-1:ec2:terminate")
    plan[1]["ok_actions"].append("arn:aws:lambda:eu-west-1:123456789012:function:x")
    found = alarms_action_errors(plan, "eu-west-1", [TOPIC])
    assert len(found) == 2
    assert found[0].startswith("alarm demo-prod-web-1-system-check: action arn:aws:automate:us-east-1:ec2:terminate is not allowed")


# -- the topic ---------------------------------------------------------------------------------------


def topic(subscriptions, tags=None):
    return {"topic_arn": TOPIC, "tags": dict(tags or OWNER), "subscriptions": [
        {"protocol": "email", "endpoint": email, "subscription_arn": arn} for email, arn in subscriptions]}


def test_a_missing_topic_is_drift():
    assert alarms_topic_drift({}, ["a@example.com"], OWNER, OWNER)["reasons"] == ["missing"]


def test_a_subscription_waiting_for_confirmation_counts_as_subscribed():
    # SNS lists an unconfirmed subscription with SubscriptionArn "PendingConfirmation" (AWS, ListSubscriptionsByTopic)
    state = alarms_topic_drift(topic([("a@example.com", "PendingConfirmation"), ("b@example.com", TOPIC + ":1")]),
                               ["a@example.com", "B@example.com"], OWNER, OWNER)
    assert state == {"exists": True, "owned": True, "reasons": [], "pending": ["a@example.com"], "pending_removed": []}


def test_a_removed_address_is_drift_unless_it_is_still_pending():
    state = alarms_topic_drift(topic([("a@example.com", TOPIC + ":1"), ("b@example.com", "PendingConfirmation")]),
                               [], OWNER, OWNER)
    assert state["reasons"] == ["extra subscription a@example.com"]
    assert state["pending_removed"] == ["b@example.com"]  # no ARN to unsubscribe with: reported, not drift


def test_a_new_address_and_changed_tags_are_drift():
    state = alarms_topic_drift(topic([], tags=dict(OWNER, Owner="ops")), ["a@example.com"], OWNER, OWNER)
    assert state["reasons"] == ["subscription a@example.com missing", "tags differ"]


def test_a_topic_without_the_owner_tags_is_not_ours():
    state = alarms_topic_drift(topic([], tags={"Team": "ops"}), [], OWNER, OWNER)
    assert state["exists"] and not state["owned"]


# -- the input checks --------------------------------------------------------------------------------


def test_the_defaults_pass():
    assert errors() == []


@pytest.mark.parametrize("overrides, expected", [
    ({"alarms_cpu_threshold": 0}, "alarms_cpu_threshold is 0: it must be a number from 1 to 100"),
    ({"alarms_cpu_threshold": 101}, "alarms_cpu_threshold is 101: it must be a number from 1 to 100"),
    ({"alarms_asg_cpu_threshold": "high"}, "alarms_asg_cpu_threshold is 'high'"),
    ({"alarms_cpu_period": 45}, "alarms_cpu_period is 45: a CloudWatch alarm period is 60 seconds or a multiple"),
    ({"alarms_network_in_period": 90}, "alarms_network_in_period is 90"),
    ({"alarms_cpu_evaluation_periods": 0}, "alarms_cpu_evaluation_periods is 0: it must be a number of at least 1"),
    ({"alarms_email_addresses": ["ops@example"]}, "alarms_email_addresses[0] is 'ops@example', not a valid email"),
    ({"alarms_email_addresses": ["a b@example.com"]}, "alarms_email_addresses[0] is 'a b@example.com'"),
    ({"alarms_email_addresses": ["a@example.com", "A@example.com"]}, "alarms_email_addresses[1] 'A@example.com' is listed twice"),
    ({"alarms_cpu_action": "reboot"}, "alarms_cpu_action is 'reboot': notify, stop or terminate"),
    ({"alarms_instances": INSTANCES + [{"name": "web-1", "instance_id": "i-0123456789abcdef2"}]},
     "alarms_instances[2].name 'web-1' is also alarms_instances[0].name: instance names must be unique"),
    ({"alarms_instances": [{"name": "web 1", "instance_id": "i-0123456789abcdef0"}]},
     "alarms_instances[0].name is 'web 1': it becomes part of alarm names"),
    ({"alarms_instances": [{"name": "web-1", "instance_id": "vol-0123456789abcdef0"}]},
     "alarms_instances[0].instance_id is 'vol-0123456789abcdef0', not an EC2 instance ID"),
    ({"alarms_instances": [{"instance_id": "i-0123456789abcdef0"}]}, "alarms_instances[0].name is None"),
    ({"alarms_notify_topic_arns": ["arn:aws:sns:us-east-1:123456789012:pager"]},
     "alarms_notify_topic_arns[0] arn:aws:sns:us-east-1:123456789012:pager is in us-east-1"),
    ({"alarms_notify_topic_arns": ["arn:aws:lambda:eu-west-1:123456789012:function:x"]},
     "alarms_notify_topic_arns[0] is 'arn:aws:lambda:eu-west-1:123456789012:function:x', not an SNS topic ARN"),
    ({"alarms_target_group_arn_suffix": "targetgroup/web/0123456789abcdef"},
     "alarms_target_group_arn_suffix is set without alarms_load_balancer_arn_suffix"),
    ({"alarms_load_balancer_arn_suffix": "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/x/1"},
     "is not an ALB's ARN suffix"),
    ({"alarms_tags": {"Project": "demo"}}, "alarms_tags must be a dict carrying Project, Environment and ManagedBy"),
    ({"alarms_region": "eu-west-9"}, "alarms_region is 'eu-west-9', which is not an AWS region this release knows"),
    ({"alarms_name_prefix": "demo prod"}, "alarms_name_prefix is 'demo prod'"),
    ({"alarms_email_addresses": "ops@example.com"}, "alarms_email_addresses is \"ops@example.com\", not a list"),
])
def test_bad_input_is_refused_naming_the_variable(overrides, expected):
    found = errors(**overrides)
    assert any(expected in e for e in found), found


def test_an_instance_name_that_makes_a_group_alarm_name_twice_is_refused():
    found = errors(alarms_instances=[{"name": "asg", "instance_id": "i-0123456789abcdef0"}],
                   alarms_autoscaling_group_name="demo-web")
    assert found == ["two alarms would be named demo-prod-asg-cpu-high: rename the instance whose name makes it "
                     "(alarms_instances) - the auto scaling group's alarms are <prefix>-asg-* and <prefix>-alb-*"]


def test_absent_needs_no_instances_or_thresholds():
    assert errors(alarms_state="absent", alarms_cpu_threshold=0, alarms_instances=[{"name": "x y"}]) == []


def test_an_instance_not_launched_yet_is_accepted_only_in_check_mode():
    pending = INSTANCES + [{"name": "web-3", "instance_id": ""}]
    found = errors(alarms_instances=pending)
    assert found == ["alarms_instances[2].instance_id is empty: 'web-3' has not been launched (the ec2_host role "
                     "publishes an empty ID only in check mode, for a host the run would launch)"]
    assert errors(alarms_instances=pending, ansible_check_mode=True) == []
    # its four alarms are still planned, so check mode reports them as to be created
    names = by_name(alarms_plan(variables(alarms_instances=pending), TOPIC))
    assert {"demo-prod-web-3-system-check", "demo-prod-web-3-cpu-high"} <= set(names)
