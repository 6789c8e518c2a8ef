#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: autoscaling_target_tracking
short_description: Target tracking scaling policies of one Auto Scaling group under a name prefix, in one call
version_added: 0.2.0
description:
  - Makes the target tracking scaling policies of the EC2 Auto Scaling group O(group_name) whose names start with
    O(name_prefix) match O(policies) - creates the missing ones and updates the ones that differ (one
    C(PutScalingPolicy) each) and, with O(purge=true), deletes the ones under the prefix that are no longer listed.
    O(state=absent) deletes all of the group's target tracking policies under the prefix.
  - A policy is this module's when its name starts with O(name_prefix). The group's other target tracking policies
    (made by hand, by another tool, or by another run with another prefix) are never updated or deleted; they are
    returned in RV(foreign).
  - One paginated C(DescribePolicies) of the group (policy type C(TargetTrackingScaling)) is the only read of a run
    that changes nothing, and such a run makes no write call. A policy is put again only when its target tracking
    configuration or its O(policies[].estimated_instance_warmup) differs from the wanted one; the target value is
    compared as a number, dimensions in any order, and fields AWS adds on its own (like C(Enabled) or the alarms)
    are not compared.
  - When the answer lists no policy at all and there are policies to create, one C(DescribeAutoScalingGroups)
    tells whether the group exists (as it does when C(DescribePolicies) answers C(ValidationError)). Outside check
    mode the module fails on a missing group; in check mode it warns and predicts every policy as created (a group
    the same check run would create). With nothing to create or delete, a missing group is no change.
  - Check mode and diff are supported; check mode calls no write API.
  - Why a module of our own - community.aws 10's M(community.aws.autoscaling_policy) manages one policy per call,
    each with its own C(DescribePolicies) and C(PutScalingPolicy); it does not declare check mode support, so
    Ansible skips it in check mode and a dry run says nothing about the policies; and it cannot find and delete
    the policies no longer wanted. The closest open upstream issue,
    U(https://github.com/ansible-collections/community.aws/issues/2356), asks for the policy type the module
    lacks (C(PredictiveScaling)); no issue asks for check mode.
author:
  - liftoff maintainers (@liftoff)
options:
  group_name:
    description: The Auto Scaling group whose policies are managed.
    type: str
    required: true
  name_prefix:
    description:
      - Every policy in O(policies) must start with it; the group's target tracking policies under it are the
        module's, the others are never touched.
    type: str
    required: true
  state:
    description:
      - V(present) makes the module's policies match O(policies); V(absent) deletes every policy of the group
        under the prefix (O(policies) is then ignored).
    type: str
    choices: [present, absent]
    default: present
  purge:
    description: Delete the module's policies of the group (under the prefix) that O(policies) does not list.
    type: bool
    default: true
  policies:
    description:
      - The wanted target tracking policies. Each tracks exactly one of O(policies[].predefined_metric) or
        O(policies[].customized_metric).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The policy's name, starting with O(name_prefix).
        type: str
        required: true
      target_value:
        description: The value of the metric the group keeps its capacity at, like V(50) (percent CPU).
        type: float
        required: true
      predefined_metric:
        description: One of the metrics AWS defines for Auto Scaling groups.
        type: str
        choices: [ASGAverageCPUUtilization, ASGAverageNetworkIn, ASGAverageNetworkOut, ALBRequestCountPerTarget]
      resource_label:
        description:
          - The target group of V(ALBRequestCountPerTarget) (required with it, refused with the other predefined
            metrics), like C(app/my-alb/778d41231b141a0f/targetgroup/my-tg/943f017f100becff).
        type: str
      customized_metric:
        description: A CloudWatch metric of one's own, like the CloudWatch agent's memory use.
        type: dict
        suboptions:
          namespace:
            description: The metric's namespace, like C(CWAgent).
            type: str
            required: true
          metric_name:
            description: The metric, like C(mem_used_percent).
            type: str
            required: true
          dimensions:
            description: The metric's dimensions, name to value (usually C(AutoScalingGroupName)).
            type: dict
            default: {}
          statistic:
            description: The statistic of the metric the target value is compared with.
            type: str
            choices: [Average, Minimum, Maximum, SampleCount, Sum]
            required: true
          unit:
            description: The metric's unit, like C(Percent).
            type: str
      disable_scale_in:
        description: When true the policy only adds capacity; removing it is left to other policies or to people.
        type: bool
        default: false
      estimated_instance_warmup:
        description:
          - Seconds a new instance takes before its metrics count. Not given, the policy's current value is kept
            (a new policy uses the group's default warmup).
        type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep the web group at 50% CPU and 70% memory (CloudWatch agent metric)
  liftoff.aws.autoscaling_target_tracking:
    group_name: demo-prod-web
    name_prefix: demo-prod-web-
    policies:
      - name: demo-prod-web-cpu
        predefined_metric: ASGAverageCPUUtilization
        target_value: 50
        estimated_instance_warmup: 180
      - name: demo-prod-web-memory
        customized_metric:
          namespace: CWAgent
          metric_name: mem_used_percent
          dimensions: {AutoScalingGroupName: demo-prod-web}
          statistic: Average
          unit: Percent
        target_value: 70

- name: Scale on the requests per target of a load balancer's target group
  liftoff.aws.autoscaling_target_tracking:
    group_name: demo-prod-web
    name_prefix: demo-prod-web-
    policies:
      - name: demo-prod-web-requests
        predefined_metric: ALBRequestCountPerTarget
        resource_label: app/demo-prod/778d41231b141a0f/targetgroup/demo-prod-web/943f017f100becff
        target_value: 1000

- name: Delete every target tracking policy of the group under the prefix
  liftoff.aws.autoscaling_target_tracking:
    group_name: demo-prod-web
    name_prefix: demo-prod-web-
    state: absent
"""

RETURN = r"""
created:
  description: Policies created (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [demo-prod-web-memory]
updated:
  description: Policies put again because their configuration differed (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [demo-prod-web-cpu]
deleted:
  description: Policies deleted (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [demo-prod-web-network-in]
foreign:
  description: The group's target tracking policies whose names do not start with O(name_prefix), left alone.
  returned: success
  type: list
  elements: str
  sample: [hand-made-cpu]
policies:
  description: The module's policies of the group after the run (in check mode, what they would be), by name.
  returned: success
  type: list
  elements: dict
  contains:
    policy_name:
      description: The policy's name.
      type: str
      sample: demo-prod-web-cpu
    policy_arn:
      description: The policy's ARN; an empty string for a policy check mode predicts (or AWS did not return).
      type: str
      sample: "arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b:\
        autoScalingGroupName/demo-prod-web:policyName/demo-prod-web-cpu"
    target_value:
      description: The target value.
      type: float
      sample: 50.0
    disable_scale_in:
      description: Whether the policy never removes capacity.
      type: bool
      sample: false
    estimated_instance_warmup:
      description: The warmup in seconds, or null when the policy uses the group's default.
      type: int
      sample: 180
    predefined_metric:
      description: The predefined metric, or null for a customized one.
      type: str
      sample: ASGAverageCPUUtilization
    resource_label:
      description: The target group of V(ALBRequestCountPerTarget), or null.
      type: str
      sample: null
    customized_metric:
      description: The customized metric (as in O(policies[].customized_metric)), or null for a predefined one.
      type: dict
      sample: null
    alarms:
      description: The names of the CloudWatch alarms AWS made for the policy (empty when predicted).
      type: list
      elements: str
      sample:
        - TargetTracking-demo-prod-web-AlarmHigh-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d
        - TargetTracking-demo-prod-web-AlarmLow-1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import LiftoffAWSError
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import error_code
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode

POLICY_TYPE = "TargetTrackingScaling"
PREDEFINED_METRICS = ("ASGAverageCPUUtilization", "ASGAverageNetworkIn", "ASGAverageNetworkOut",
                      "ALBRequestCountPerTarget")
STATISTICS = ("Average", "Minimum", "Maximum", "SampleCount", "Sum")
# The one predefined metric that needs (and the only one that takes) a resource label.
LABELLED_METRIC = "ALBRequestCountPerTarget"


def wanted_configuration(policy):
    """The TargetTrackingConfiguration of PutScalingPolicy for one policy of the ``policies`` option."""
    config = {"TargetValue": float(policy["target_value"]), "DisableScaleIn": bool(policy.get("disable_scale_in"))}
    if policy.get("predefined_metric"):
        spec = {"PredefinedMetricType": policy["predefined_metric"]}
        if policy.get("resource_label"):
            spec["ResourceLabel"] = policy["resource_label"]
        config["PredefinedMetricSpecification"] = spec
    else:
        metric = policy["customized_metric"]
        spec = {"Namespace": metric["namespace"], "MetricName": metric["metric_name"],
                "Statistic": metric["statistic"]}
        if metric.get("dimensions"):
            spec["Dimensions"] = [{"Name": str(k), "Value": str(v)} for k, v in sorted(metric["dimensions"].items())]
        if metric.get("unit"):
            spec["Unit"] = metric["unit"]
        config["CustomizedMetricSpecification"] = spec
    return config


def configuration_view(config):
    """A TargetTrackingConfiguration (ours or AWS's) reduced to what this module sets, in one canonical form."""
    config = config or {}
    target = config.get("TargetValue")
    view = {"TargetValue": float(target) if target is not None else None,
            "DisableScaleIn": bool(config.get("DisableScaleIn", False))}
    predefined = config.get("PredefinedMetricSpecification")
    if predefined:
        spec = {"PredefinedMetricType": predefined.get("PredefinedMetricType")}
        if predefined.get("ResourceLabel"):
            spec["ResourceLabel"] = predefined["ResourceLabel"]
        view["PredefinedMetricSpecification"] = spec
    customized = config.get("CustomizedMetricSpecification")
    if customized:
        spec = {"Namespace": customized.get("Namespace"), "MetricName": customized.get("MetricName"),
                "Statistic": customized.get("Statistic"),
                "Dimensions": sorted(({"Name": str(d.get("Name")), "Value": str(d.get("Value"))}
                                      for d in customized.get("Dimensions") or []),
                                     key=lambda d: (d["Name"], d["Value"]))}
        if customized.get("Unit"):
            spec["Unit"] = customized["Unit"]
        if customized.get("Metrics"):
            # metric math, which this module never writes: kept so that it differs from any wanted policy
            spec["Metrics"] = customized["Metrics"]
        view["CustomizedMetricSpecification"] = spec
    return view


def differences(current, config, warmup):
    """What differs between an existing policy and the wanted configuration, one phrase each."""
    now, wanted = configuration_view(current.get("TargetTrackingConfiguration")), configuration_view(config)
    reasons = ["%s is %r, not %r" % (key, now.get(key), wanted.get(key))
               for key in sorted(set(now) | set(wanted)) if now.get(key) != wanted.get(key)]
    if warmup is not None and current.get("EstimatedInstanceWarmup") != warmup:
        reasons.append("EstimatedInstanceWarmup is %r, not %r" % (current.get("EstimatedInstanceWarmup"), warmup))
    return reasons


def check_params(module):
    params = module.params
    prefix = params["name_prefix"]
    problems = []
    if not params["group_name"]:
        problems.append("group_name must not be empty")
    if not prefix:
        problems.append("name_prefix must not be empty: it is how the module tells its policies from the others")
    seen = set()
    for policy in params["policies"] if params["state"] == "present" else []:
        name = policy["name"]
        if not name.startswith(prefix or "") or len(name) > 255:
            problems.append("policy %r must start with name_prefix %r and be at most 255 characters" % (name, prefix))
        if name in seen:
            problems.append("policy %r is listed twice" % name)
        seen.add(name)
        predefined, customized = policy.get("predefined_metric"), policy.get("customized_metric")
        if bool(predefined) == bool(customized):
            problems.append("policy %s: give exactly one of predefined_metric and customized_metric" % name)
        if predefined == LABELLED_METRIC and not policy.get("resource_label"):
            problems.append("policy %s: %s needs resource_label (the target group)" % (name, LABELLED_METRIC))
        if policy.get("resource_label") and predefined != LABELLED_METRIC:
            problems.append("policy %s: resource_label is only for predefined_metric %s" % (name, LABELLED_METRIC))
        warmup = policy.get("estimated_instance_warmup")
        if warmup is not None and warmup < 0:
            problems.append("policy %s: estimated_instance_warmup must not be negative" % name)
    if problems:
        module.fail_json(msg="; ".join(problems))


@aws_error_handler("describe the target tracking policies of Auto Scaling group {group}")
def describe_policies(client, group):
    return paginate_all(client, "describe_policies", "ScalingPolicies", AutoScalingGroupName=group,
                        PolicyTypes=[POLICY_TYPE])


@aws_error_handler("describe Auto Scaling group {group}")
def group_exists(client, group):
    answer = client.describe_auto_scaling_groups(AutoScalingGroupNames=[group], aws_retry=True)
    return bool(answer.get("AutoScalingGroups"))


def read_policies(client, group):
    """(the group's target tracking policies, whether the group is known to be missing).

    AWS may answer an unknown group with ValidationError: only then is the group looked up, and the
    error stands when the group exists.
    """
    try:
        return describe_policies(client, group), False
    except LiftoffAWSError as e:
        if error_code(e.exception) != "ValidationError" or group_exists(client, group):
            raise
        return [], True


@aws_error_handler("put target tracking policy {request[PolicyName]}")
def put_policy(module, client, request):
    return unless_check_mode(module, client.put_scaling_policy, **request) or {}


@aws_error_handler("delete target tracking policy {name} of Auto Scaling group {group}")
def delete_policy(module, client, group, name):
    unless_check_mode(module, client.delete_policy, AutoScalingGroupName=group, PolicyName=name)


def found_policies(module, client):
    """(ours as {name: policy}, foreign names, whether the group is known to be missing)."""
    prefix = module.params["name_prefix"]
    found, missing = read_policies(client, module.params["group_name"])
    ours = {p["PolicyName"]: p for p in found if p["PolicyName"].startswith(prefix)}
    foreign = sorted(p["PolicyName"] for p in found if not p["PolicyName"].startswith(prefix))
    return ours, foreign, missing


def _alarm_names(alarms):
    return sorted(a.get("AlarmName") for a in alarms or [] if a.get("AlarmName"))


def policy_result(name, arn, config, warmup, alarms):
    """One entry of the ``policies`` return value, snake_case and shaped like the ``policies`` option."""
    view = configuration_view(config)
    predefined = view.get("PredefinedMetricSpecification") or {}
    customized = view.get("CustomizedMetricSpecification")
    if customized is not None:
        customized = {"namespace": customized["Namespace"], "metric_name": customized["MetricName"],
                      "dimensions": {d["Name"]: d["Value"] for d in customized["Dimensions"]},
                      "statistic": customized["Statistic"], "unit": customized.get("Unit")}
    return {"policy_name": name, "policy_arn": arn or "", "target_value": view["TargetValue"],
            "disable_scale_in": view["DisableScaleIn"], "estimated_instance_warmup": warmup,
            "predefined_metric": predefined.get("PredefinedMetricType"),
            "resource_label": predefined.get("ResourceLabel"), "customized_metric": customized,
            "alarms": _alarm_names(alarms)}


def existing_result(policy):
    return policy_result(policy["PolicyName"], policy.get("PolicyARN"), policy.get("TargetTrackingConfiguration"),
                         policy.get("EstimatedInstanceWarmup"), policy.get("Alarms"))


def _diff_view(name, config, warmup):
    return {"PolicyName": name, "TargetTrackingConfiguration": configuration_view(config),
            "EstimatedInstanceWarmup": warmup}


def existing_view(policy):
    return _diff_view(policy["PolicyName"], policy.get("TargetTrackingConfiguration"),
                      policy.get("EstimatedInstanceWarmup"))


def _by_name(entries, key):
    return sorted(entries, key=lambda entry: entry[key])


def ensure_present(module, client):
    check_params(module)
    group = module.params["group_name"]
    ours, foreign, missing = found_policies(module, client)
    wanted_names = [p["name"] for p in module.params["policies"]]
    to_create = [p for p in module.params["policies"] if p["name"] not in ours]
    if to_create and not ours and not foreign and not missing:
        # an empty answer is also what some endpoints give for an unknown group: look before creating
        missing = not group_exists(client, group)
    if missing and to_create:
        if not module.check_mode:
            module.fail_json(msg="Auto Scaling group %s does not exist: create it before its target tracking "
                                 "policies" % group)
        module.warn("Auto Scaling group %s does not exist (yet): every policy is predicted as created" % group)
    created, updated, deleted = [], [], []
    policies, after = [], []
    for policy in module.params["policies"]:
        name = policy["name"]
        config = wanted_configuration(policy)
        warmup = policy.get("estimated_instance_warmup")
        request = {"AutoScalingGroupName": group, "PolicyName": name, "PolicyType": POLICY_TYPE,
                   "TargetTrackingConfiguration": config}
        current = ours.get(name)
        if current is None:
            if warmup is not None:
                request["EstimatedInstanceWarmup"] = warmup
            answer = put_policy(module, client, request)
            created.append(name)
            policies.append(policy_result(name, answer.get("PolicyARN"), config, warmup, answer.get("Alarms")))
            after.append(_diff_view(name, config, warmup))
            continue
        if warmup is None:
            warmup = current.get("EstimatedInstanceWarmup")  # not asked for: keep what the policy has
        if differences(current, config, policy.get("estimated_instance_warmup")):
            if warmup is not None:
                request["EstimatedInstanceWarmup"] = warmup
            if current.get("Enabled") is not None:
                request["Enabled"] = current["Enabled"]  # a policy someone disabled stays disabled
            answer = put_policy(module, client, request)
            updated.append(name)
            alarms = answer.get("Alarms") if answer.get("Alarms") is not None else current.get("Alarms")
            policies.append(policy_result(name, answer.get("PolicyARN") or current.get("PolicyARN"), config, warmup,
                                          alarms))
        else:
            policies.append(existing_result(current))
        after.append(_diff_view(name, config, warmup))
    unlisted = sorted(set(ours) - set(wanted_names))
    if module.params["purge"]:
        for name in unlisted:
            delete_policy(module, client, group, name)
            deleted.append(name)
    else:
        policies.extend(existing_result(ours[name]) for name in unlisted)
        after.extend(existing_view(ours[name]) for name in unlisted)
    before = [existing_view(p) for p in ours.values()]
    changed = bool(created or updated or deleted)
    return result(module, changed, _by_name(before, "PolicyName"), _by_name(after, "PolicyName"),
                  created=created, updated=updated, deleted=deleted, foreign=foreign,
                  policies=_by_name(policies, "policy_name"))


def ensure_absent(module, client):
    check_params(module)
    group = module.params["group_name"]
    ours, foreign, _missing = found_policies(module, client)
    deleted = sorted(ours)
    for name in deleted:
        delete_policy(module, client, group, name)
    before = [existing_view(ours[name]) for name in deleted]
    return result(module, bool(deleted), before, [], created=[], updated=[], deleted=deleted, foreign=foreign,
                  policies=[])


def main():
    customized_metric = dict(
        namespace=dict(type="str", required=True),
        metric_name=dict(type="str", required=True),
        dimensions=dict(type="dict", default={}),
        statistic=dict(type="str", required=True, choices=list(STATISTICS)),
        unit=dict(type="str"),
    )
    policy = dict(
        name=dict(type="str", required=True),
        target_value=dict(type="float", required=True),
        predefined_metric=dict(type="str", choices=list(PREDEFINED_METRICS)),
        resource_label=dict(type="str"),
        customized_metric=dict(type="dict", options=customized_metric),
        disable_scale_in=dict(type="bool", default=False),
        estimated_instance_warmup=dict(type="int"),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            group_name=dict(type="str", required=True),
            name_prefix=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            purge=dict(type="bool", default=True),
            policies=dict(type="list", elements="dict", default=[], options=policy),
        ),
        supports_check_mode=True,
    )
    client = aws_client(module, "autoscaling")
    run_state(module, ensure_present, ensure_absent, client)


if __name__ == "__main__":
    main()
