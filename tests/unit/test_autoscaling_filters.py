"""The autoscaling role's data: what its plans find different, the listeners, policies and agent configuration it
wants, what teardown may delete, and the input checks."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_arn_suffix
from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_desired
from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_group_plan
from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_listeners
from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_load_balancer_plan
from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_target_group_plan
from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_teardown
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report
from tests.harness.paths import REPO_ROOT

ROLE = REPO_ROOT / "roles" / "autoscaling"
SPEC = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
DEFAULTS = {k: v for k, v in yaml.safe_load((ROLE / "defaults" / "main.yml").read_text()).items() if "{{" not in str(v)}
TAGS = {"Project": "shop", "Environment": "prod", "ManagedBy": "liftoff"}
OWNED = dict(TAGS, LiftoffRole="autoscaling")
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f3a64-1c8e-4d0e-9c65-2f3c5e1e7a10"
TG_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-web/50dc6c495c0c9188"
LB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-prod-web/6d0e3b7b1c2d3e4f"
POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def variables(**overrides):
    values = dict(DEFAULTS, autoscaling_region="eu-west-1", autoscaling_name_prefix="shop-prod", autoscaling_tags=TAGS,
                  autoscaling_target_port=8080, autoscaling_vpc_id="vpc-0123456789abcdef0",
                  autoscaling_agent_parameter_name="AmazonCloudWatch-shop-prod")
    values.update(overrides)
    return values


def report(**overrides):
    return input_report(variables(**overrides), "autoscaling", SPEC)


# -- listeners, policies, agent configuration ---------------------------------------------------------------------

def test_with_a_certificate_http_redirects_to_https_which_forwards():
    http, https = autoscaling_listeners(CERT, TG_ARN, POLICY)
    assert (http["Port"], http["DefaultActions"][0]["Type"]) == (80, "redirect")
    assert http["DefaultActions"][0]["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert http["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert (https["Port"], https["Protocol"], https["SslPolicy"]) == (443, "HTTPS", POLICY)
    assert https["Certificates"] == [{"CertificateArn": CERT}]
    assert https["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": TG_ARN}]


def test_without_a_certificate_http_forwards():
    assert autoscaling_listeners("", TG_ARN, POLICY) == [
        {"Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG_ARN}]}]


def test_policies_track_cpu_and_the_agents_memory_metric_per_group():
    wanted = autoscaling_desired(variables())
    cpu, memory = wanted["policies"]
    assert (cpu["name"], cpu["predefined_metric"], cpu["target_value"]) == ("shop-prod-cpu", "ASGAverageCPUUtilization", 50.0)
    assert memory["customized_metric"] == {"namespace": "CWAgent", "metric_name": "mem_used_percent", "statistic": "Average",
                                           "dimensions": {"AutoScalingGroupName": "shop-prod"}}
    # the agent reports that very series: mem_used_percent aggregated by the group
    metrics = wanted["agent_config"]["metrics"]
    assert metrics["aggregation_dimensions"] == [["AutoScalingGroupName"]]
    assert metrics["append_dimensions"]["AutoScalingGroupName"] == "${aws:AutoScalingGroupName}"
    assert metrics["metrics_collected"]["mem"]["measurement"] == ["mem_used_percent"]


def test_a_target_of_zero_leaves_its_policy_out():
    assert [p["name"] for p in autoscaling_desired(variables(autoscaling_memory_target=0))["policies"]] == ["shop-prod-cpu"]


def test_every_group_tag_is_passed_on_to_the_instances():
    tags = autoscaling_desired(variables())["group_tags"]
    assert {"LiftoffRole": "autoscaling", "propagate_at_launch": True} in tags
    assert all(t["propagate_at_launch"] for t in tags) and len(tags) == 4


def test_arn_suffixes_are_what_cloudwatch_dimensions_take():
    assert autoscaling_arn_suffix(LB_ARN) == "app/shop-prod-web/6d0e3b7b1c2d3e4f"
    assert autoscaling_arn_suffix(TG_ARN) == "targetgroup/shop-prod-web/50dc6c495c0c9188"
    assert autoscaling_arn_suffix("") == ""


# -- target group plan --------------------------------------------------------------------------------------------

def described_tg(**overrides):
    group = {"target_group_name": "shop-prod-web", "target_group_arn": TG_ARN, "port": 8080, "protocol": "HTTP",
             "vpc_id": "vpc-0123456789abcdef0", "target_type": "instance", "health_check_path": "/healthz",
             "health_check_interval_seconds": 15, "healthy_threshold_count": 2, "unhealthy_threshold_count": 3,
             "health_check_protocol": "HTTP", "deregistration_delay_timeout_seconds": "30",
             "matcher": {"http_code": "200-399"}, "tags": dict(OWNED)}
    group.update(overrides)
    return [group]


def tg_plan(described):
    return autoscaling_target_group_plan(described, autoscaling_desired(variables())["target_group"])


def test_target_group_missing_same_or_different():
    assert tg_plan([])["action"] == "create"
    assert tg_plan(described_tg()) == {"action": "none", "arn": TG_ARN, "changes": [], "owned": True,
                                       "load_balancer_arns": []}
    # the load balancers using it: the role describes its own by these ARNs
    assert tg_plan(described_tg(load_balancer_arns=[LB_ARN]))["load_balancer_arns"] == [LB_ARN]
    plan = tg_plan(described_tg(health_check_path="/", matcher={"http_code": "200"}))
    assert (plan["action"], plan["changes"]) == ("update", ["health_check_path", "matcher"])


def test_a_target_group_of_another_port_must_be_replaced_and_one_without_our_tags_is_foreign():
    assert tg_plan(described_tg(port=80))["action"] == "replace"
    assert tg_plan(described_tg(tags=TAGS))["action"] == "foreign"


# -- load balancer plan -------------------------------------------------------------------------------------------

def described_lb(listeners=None, **overrides):
    balancer = {"load_balancer_name": "shop-prod-web", "load_balancer_arn": LB_ARN, "dns_name": "web.elb.example",
                "canonical_hosted_zone_id": "Z32O12XQLNTSW2", "scheme": "internet-facing", "type": "application",
                "availability_zones": [{"subnet_id": "subnet-a"}, {"subnet_id": "subnet-b"}],
                "security_groups": ["sg-alb"], "idle_timeout_timeout_seconds": "60",
                "routing_http_drop_invalid_header_fields_enabled": "true", "tags": dict(OWNED),
                "listeners": listeners if listeners is not None else [
                    # AWS answers snake_case through the info module; an HTTP listener may carry a TLS policy
                    {"port": 80, "protocol": "HTTP", "ssl_policy": "ELBSecurityPolicy-2016-08", "default_actions": [
                        {"type": "redirect", "redirect_config": {"protocol": "HTTPS", "port": "443", "host": "#{host}",
                                                                 "path": "/#{path}", "query": "#{query}",
                                                                 "status_code": "HTTP_301"}}]},
                    {"port": 443, "protocol": "HTTPS", "ssl_policy": POLICY, "certificates": [{"certificate_arn": CERT}],
                     "default_actions": [{"type": "forward", "target_group_arn": TG_ARN}]}]}
    balancer.update(overrides)
    return [balancer]


def lb_plan(described, certificate=CERT):
    return autoscaling_load_balancer_plan(described, {
        "name": "shop-prod-web", "subnet_ids": ["subnet-b", "subnet-a"], "security_group_ids": ["sg-alb"],
        "idle_timeout": 60, "tags": OWNED, "listeners": autoscaling_listeners(certificate, TG_ARN, POLICY)})


def test_load_balancer_as_built_needs_nothing():
    plan = lb_plan(described_lb())
    assert (plan["action"], plan["changes"], plan["dns_name"], plan["zone_id"]) == (
        "none", [], "web.elb.example", "Z32O12XQLNTSW2")


def test_load_balancer_drift_is_named():
    assert lb_plan([])["action"] == "create"
    assert lb_plan(described_lb(), certificate="")["changes"] == ["listeners"]
    assert lb_plan(described_lb(security_groups=["sg-other"], idle_timeout_timeout_seconds="30"))["changes"] == [
        "security groups", "idle timeout"]
    assert lb_plan(described_lb(tags=TAGS))["action"] == "foreign"
    assert lb_plan(described_lb(scheme="internal"))["action"] == "replace"


# -- group plan ---------------------------------------------------------------------------------------------------

WANTED_GROUP = {"name": "shop-prod", "launch_template_id": "lt-0123456789abcdef0", "launch_template_version": 2,
                "min_size": 1, "max_size": 3, "subnet_ids": ["subnet-p1", "subnet-p2"], "target_group_arn": TG_ARN,
                "health_check_grace_period": 300, "tags": OWNED, "metrics": ["GroupInServiceInstances"]}


def described_group(version="2", instance_versions=("2",), **overrides):
    template = {"launch_template_id": "lt-0123456789abcdef0", "version": version}
    group = {"auto_scaling_group_name": "shop-prod", "launch_template": template, "min_size": 1, "max_size": 3,
             "desired_capacity": 3, "health_check_type": "ELB", "health_check_grace_period": 300,
             "vpc_zone_identifier": "subnet-p2,subnet-p1", "target_group_arns": [TG_ARN],
             "enabled_metrics": [{"metric": "GroupInServiceInstances", "granularity": "1Minute"}],
             "tags": [{"key": k, "value": v, "propagate_at_launch": True} for k, v in OWNED.items()],
             "instances": [{"instance_id": "i-%017d" % n, "launch_template": dict(template, version=v)}
                           for n, v in enumerate(instance_versions)]}
    group.update(overrides)
    return [group]


def test_a_group_as_built_needs_nothing_whatever_its_desired_capacity():
    plan = autoscaling_group_plan(described_group(), WANTED_GROUP)
    assert (plan["action"], plan["changes"], plan["refresh"]) == ("none", [], False)


def test_a_new_template_version_updates_the_group_and_refreshes_its_old_instances():
    plan = autoscaling_group_plan(described_group(version="1", instance_versions=("1", "1")), WANTED_GROUP)
    assert plan["action"] == "update" and plan["refresh"] is True and plan["running_version"] == "1"
    assert plan["changes"] == ["launch template lt-0123456789abcdef0 version 1 -> lt-0123456789abcdef0 version 2"]
    # group already moved, one instance still on the old version (a refresh that did not finish)
    plan = autoscaling_group_plan(described_group(instance_versions=("2", "1")), WANTED_GROUP)
    assert (plan["action"], plan["refresh"]) == ("none", True)


def test_group_drift_and_ownership():
    assert autoscaling_group_plan([], WANTED_GROUP)["action"] == "create"
    plan = autoscaling_group_plan(described_group(max_size=5, health_check_type="EC2", enabled_metrics=[]), WANTED_GROUP)
    assert plan["changes"] == ["max_size 5 -> 3", "health_check_type EC2 -> ELB", "group metrics"]
    assert autoscaling_group_plan(described_group(tags=[]), WANTED_GROUP)["action"] == "foreign"


def test_teardown_deletes_only_what_carries_the_owner_tags():
    wanted = autoscaling_desired(variables())
    found = autoscaling_teardown(described_group(), described_lb(tags=TAGS), [], wanted)
    assert (found["group"], found["load_balancer"], found["target_group"]) == ("owned", "foreign", "missing")
    assert found["foreign"] == ["load balancer shop-prod-web"]


# -- input checks -------------------------------------------------------------------------------------------------

def test_the_defaults_pass_with_a_warning_about_plain_http():
    found = report()
    assert found["errors"] == []
    assert [w for w in found["warnings"] if "plain HTTP" in w]
    assert report(autoscaling_certificate_arn=CERT)["warnings"] == []


@pytest.mark.parametrize("overrides, expected", [
    ({"autoscaling_name_prefix": "a-very-long-project-name-prod"}, "autoscaling_name_prefix is 'a-very-long-project-name-prod'"),
    ({"autoscaling_min_size": 4}, "autoscaling_min_size (4) is more than autoscaling_max_size (3)"),
    ({"autoscaling_desired_capacity": 5}, "autoscaling_desired_capacity (5) must lie between"),
    ({"autoscaling_health_check_path": "healthz"}, "autoscaling_health_check_path is 'healthz'"),
    ({"autoscaling_cpu_target": 150}, "autoscaling_cpu_target is 150"),
    ({"autoscaling_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0b6f3a64-1c8e-4d0e-9c65-2f3c5e1e7a10"},
     "autoscaling_certificate_arn is in us-east-1, but the load balancer is in eu-west-1"),
    ({"autoscaling_certificate_arn": "my-cert"}, "autoscaling_certificate_arn is 'my-cert', not an ACM certificate ARN"),
    ({"autoscaling_launch_template_id": "web"}, "autoscaling_launch_template_id is 'web'"),
    ({"autoscaling_subnet_ids": ["subnet-0123456789abcdef0", "sg-0123456789abcdef0"]}, "autoscaling_subnet_ids holds 'sg-"),
    ({"autoscaling_tags": {"Project": "shop"}}, "autoscaling_tags must carry Project, Environment and ManagedBy"),
    ({"autoscaling_region": "eu-west-9"}, "autoscaling_region is 'eu-west-9'"),
])
def test_bad_input_is_refused_naming_the_variable(overrides, expected):
    errors = report(**overrides)["errors"]
    assert any(expected in e for e in errors), errors


def test_absent_needs_no_sizes_or_network():
    assert report(autoscaling_state="absent", autoscaling_min_size=9, autoscaling_subnet_ids=["x"])["errors"] == []
