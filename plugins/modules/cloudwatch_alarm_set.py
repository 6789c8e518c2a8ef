#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_alarm_set
short_description: A set of tagged CloudWatch metric alarms under one name prefix, compared from one describe
version_added: 0.2.0
description:
  - Makes the CloudWatch metric alarms under O(name_prefix) match O(alarms) - creates the missing ones, updates
    the ones that differ (one C(PutMetricAlarm) each) and, with O(purge=true), deletes this module's alarms under
    the prefix that are no longer listed. O(state=absent) deletes all of this module's alarms under the prefix.
  - An alarm is this module's when it carries every tag of O(owner_tags). An alarm under the prefix without them
    (made by hand, or by another tool) is never updated or deleted; when O(alarms) names it, the module fails
    rather than take it over.
  - One paginated C(DescribeAlarms) by name prefix, and one C(ListTagsForResource) for each alarm under the
    prefix, are the only reads. A run that changes nothing makes no write call.
  - Alarm actions must be EC2 actions of the alarm's region (C(arn:aws:automate:<region>:ec2:reboot), C(stop),
    C(terminate), C(recover)) or SNS topic ARNs; anything else is refused before any call. In check mode an action
    containing C((known after creation)) is accepted (a topic the same check run would create).
  - Check mode and diff are supported; check mode calls no write API.
  - Why a module of our own - amazon.aws 10's M(amazon.aws.cloudwatch_metric_alarm) has no C(tags) option (its
    C(PutMetricAlarm) call never passes C(Tags), so its alarms cannot carry the project's tags; we found no upstream issue
    asking for it in amazon.aws 10.1), has no C(ThresholdMetricId) (so no anomaly detection alarm), describes
    each alarm twice per run, and cannot find the alarms it made earlier to remove the ones no longer wanted.
  - C(PutMetricAlarm) ignores C(Tags) when the alarm exists
    (U(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)), so an existing
    alarm's tags are changed with C(TagResource) and C(UntagResource).
author:
  - liftoff maintainers (@liftoff)
options:
  name_prefix:
    description:
      - Every alarm in O(alarms) must start with it; alarms under it that carry O(owner_tags) are the module's.
    type: str
    required: true
  state:
    description: V(present) makes the alarms match O(alarms); V(absent) deletes the module's alarms under the prefix.
    type: str
    choices: [present, absent]
    default: present
  owner_tags:
    description: Tags that mark an alarm as this module's (all must match). At least one.
    type: dict
    required: true
  tags:
    description:
      - All the tags of each alarm (exact - others are removed; C(aws:) tags are never touched). Must include
        O(owner_tags). Default O(owner_tags).
    type: dict
  purge:
    description: Delete the module's alarms under the prefix that O(alarms) does not list.
    type: bool
    default: true
  alarms:
    description: The wanted alarms. Either O(alarms[].metric_name) (one metric) or O(alarms[].anomaly_band).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The alarm's name, starting with O(name_prefix).
        type: str
        required: true
      description:
        description: The alarm's description.
        type: str
        default: ""
      namespace:
        description: The metric's namespace, like C(AWS/EC2).
        type: str
        required: true
      metric_name:
        description: The metric, like C(CPUUtilization).
        type: str
        required: true
      dimensions:
        description: The metric's dimensions, name to value.
        type: dict
        default: {}
      statistic:
        description: The statistic over each period.
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
        required: true
      period:
        description: Seconds per period (10, 30 or a multiple of 60).
        type: int
        required: true
      evaluation_periods:
        description: Periods the condition must hold.
        type: int
        required: true
      threshold:
        description: The threshold (not with O(alarms[].anomaly_band)).
        type: float
      comparison:
        description:
          - How the value compares with the threshold. With O(alarms[].anomaly_band), V(GreaterThanUpperThreshold),
            V(LessThanLowerThreshold) or V(LessThanLowerOrGreaterThanUpperThreshold).
        type: str
        required: true
      anomaly_band:
        description:
          - Alarm when the metric leaves CloudWatch's anomaly detection band of this width (standard deviations)
            instead of a fixed threshold. CloudWatch trains the model itself from the metric's history.
        type: float
      treat_missing_data:
        description: How missing data points count.
        type: str
        choices: [breaching, notBreaching, ignore, missing]
        default: missing
      alarm_actions:
        description: ARNs run when the alarm fires.
        type: list
        elements: str
        default: []
      ok_actions:
        description: ARNs run when the alarm returns to OK.
        type: list
        elements: str
        default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: CPU alarm on one instance, notifying a topic
  liftoff.aws.cloudwatch_alarm_set:
    name_prefix: demo-prod-
    owner_tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    alarms:
      - name: demo-prod-web-1-cpu-high
        namespace: AWS/EC2
        metric_name: CPUUtilization
        dimensions: {InstanceId: i-0123456789abcdef0}
        statistic: Average
        period: 300
        evaluation_periods: 3
        threshold: 90
        comparison: GreaterThanThreshold
        alarm_actions: [arn:aws:sns:eu-west-1:123456789012:demo-prod-alarms]

- name: Delete every alarm this module made under the prefix
  liftoff.aws.cloudwatch_alarm_set:
    name_prefix: demo-prod-
    owner_tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    state: absent
"""

RETURN = r"""
alarms:
  description: The names of the module's alarms under the prefix after the run (in check mode, what they would be).
  returned: success
  type: list
  elements: str
  sample: [demo-prod-web-1-cpu-high]
created:
  description: Alarms created (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [demo-prod-web-1-cpu-high]
updated:
  description: Alarms updated, with what differed.
  returned: success
  type: dict
  sample: {"demo-prod-web-1-cpu-high": ["threshold is 90.0, not 80.0"]}
deleted:
  description: Alarms deleted.
  returned: success
  type: list
  elements: str
  sample: [demo-prod-web-2-cpu-high]
foreign:
  description: Alarms under the prefix without O(owner_tags), left alone.
  returned: success
  type: list
  elements: str
  sample: [demo-prod-hand-made]
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import tag_updates
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode

EC2_ACTION = re.compile(r"^arn:aws[a-z-]*:automate:(?P<region>[a-z0-9-]+):ec2:(reboot|stop|terminate|recover)$")
SNS_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$")
ANOMALY_COMPARISONS = ("GreaterThanUpperThreshold", "LessThanLowerThreshold", "LessThanLowerOrGreaterThanUpperThreshold")
THRESHOLD_COMPARISONS = ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
                         "LessThanOrEqualToThreshold")
# DeleteAlarms takes at most 100 names a call.
DELETE_BATCH = 100


def _dimensions(dimensions):
    return [{"Name": str(k), "Value": str(v)} for k, v in sorted((dimensions or {}).items())]


def wanted_request(alarm):
    """The PutMetricAlarm request for one alarm of the ``alarms`` option."""
    request = {
        "AlarmName": alarm["name"],
        "AlarmDescription": alarm.get("description") or "",
        "ActionsEnabled": True,
        "AlarmActions": sorted(alarm.get("alarm_actions") or []),
        "OKActions": sorted(alarm.get("ok_actions") or []),
        "InsufficientDataActions": [],
        "EvaluationPeriods": int(alarm["evaluation_periods"]),
        "ComparisonOperator": alarm["comparison"],
        "TreatMissingData": alarm.get("treat_missing_data") or "missing",
    }
    if alarm.get("anomaly_band") is not None:
        request["ThresholdMetricId"] = "band"
        request["Metrics"] = [
            {"Id": "metric", "ReturnData": True,
             "MetricStat": {"Metric": {"Namespace": alarm["namespace"], "MetricName": alarm["metric_name"],
                                       "Dimensions": _dimensions(alarm.get("dimensions"))},
                            "Period": int(alarm["period"]), "Stat": alarm["statistic"]}},
            {"Id": "band", "ReturnData": True,
             "Expression": "ANOMALY_DETECTION_BAND(metric, %s)" % _number(alarm["anomaly_band"])},
        ]
    else:
        request.update({
            "Namespace": alarm["namespace"],
            "MetricName": alarm["metric_name"],
            "Dimensions": _dimensions(alarm.get("dimensions")),
            "Statistic": alarm["statistic"],
            "Period": int(alarm["period"]),
            "Threshold": float(alarm["threshold"]),
        })
    return request


def _number(value):
    """2.0 -> '2', 2.5 -> '2.5': how the band width reads in the expression."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _metric_view(metric):
    view = {"Id": metric.get("Id"), "ReturnData": bool(metric.get("ReturnData", True))}
    if metric.get("Expression"):
        view["Expression"] = re.sub(r"\s+", " ", metric["Expression"]).replace("( ", "(").replace(" )", ")")
    stat = metric.get("MetricStat")
    if stat:
        inner = stat.get("Metric") or {}
        view["MetricStat"] = {"Metric": {"Namespace": inner.get("Namespace"), "MetricName": inner.get("MetricName"),
                                         "Dimensions": sorted(inner.get("Dimensions") or [],
                                                              key=lambda d: d.get("Name"))},
                              "Period": stat.get("Period"), "Stat": stat.get("Stat")}
    return view


def current_request(alarm):
    """What DescribeAlarms says of an alarm, in the shape of wanted_request (AWS's defaults filled in)."""
    request = {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription") or "",
        "ActionsEnabled": bool(alarm.get("ActionsEnabled", True)),
        "AlarmActions": sorted(alarm.get("AlarmActions") or []),
        "OKActions": sorted(alarm.get("OKActions") or []),
        "InsufficientDataActions": sorted(alarm.get("InsufficientDataActions") or []),
        "EvaluationPeriods": alarm.get("EvaluationPeriods"),
        "ComparisonOperator": alarm.get("ComparisonOperator"),
        # an alarm created without TreatMissingData is treated as "missing", and some responses omit it
        "TreatMissingData": alarm.get("TreatMissingData") or "missing",
    }
    if alarm.get("DatapointsToAlarm") not in (None, alarm.get("EvaluationPeriods")):
        request["DatapointsToAlarm"] = alarm["DatapointsToAlarm"]
    if alarm.get("ThresholdMetricId"):
        request["ThresholdMetricId"] = alarm["ThresholdMetricId"]
        request["Metrics"] = [_metric_view(m) for m in alarm.get("Metrics") or []]
    else:
        request.update({
            "Namespace": alarm.get("Namespace"),
            "MetricName": alarm.get("MetricName"),
            "Dimensions": sorted(alarm.get("Dimensions") or [], key=lambda d: d.get("Name")),
            "Statistic": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
            "Period": alarm.get("Period"),
            "Threshold": float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None,
        })
        if alarm.get("Metrics"):
            request["Metrics"] = [_metric_view(m) for m in alarm["Metrics"]]
    return request


def differences(current, wanted):
    """What differs between two requests, one phrase per key (empty when they are equal)."""
    wanted = dict(wanted, Metrics=[_metric_view(m) for m in wanted["Metrics"]]) if "Metrics" in wanted else wanted
    reasons = []
    for key in sorted(set(current) | set(wanted)):
        if key == "AlarmName":
            continue
        if current.get(key) != wanted.get(key):
            reasons.append("%s is %r, not %r" % (key, current.get(key), wanted.get(key)))
    return reasons


def action_errors(alarm, region, check_mode=False):
    errors = []
    for key in ("alarm_actions", "ok_actions"):
        for arn in alarm.get(key) or []:
            if check_mode and KNOWN_AFTER_CREATION in str(arn):
                continue  # check mode before the topic exists: its ARN is not known yet
            ec2 = EC2_ACTION.match(str(arn))
            if ec2 and ec2.group("region") != region:
                errors.append("alarm %s: %s %s is an EC2 action of region %s, not of %s"
                              % (alarm["name"], key, arn, ec2.group("region"), region))
            elif not ec2 and not SNS_TOPIC.match(str(arn)):
                errors.append("alarm %s: %s %r is neither arn:aws:automate:%s:ec2:reboot|stop|terminate|recover nor "
                              "an SNS topic ARN" % (alarm["name"], key, arn, region))
    return errors


def check_params(module, region):
    params = module.params
    prefix = params["name_prefix"]
    problems = []
    if not params["owner_tags"]:
        problems.append("owner_tags must hold at least one tag: it is how the module knows its own alarms")
    tags = params["tags"] if params["tags"] is not None else params["owner_tags"]
    missing = sorted(k for k, v in (params["owner_tags"] or {}).items() if str(tags.get(k)) != str(v))
    if missing:
        problems.append("tags must include owner_tags (%s differ), or the alarms would not be found again"
                        % ", ".join(missing))
    seen = set()
    for alarm in params["alarms"] if params["state"] == "present" else []:
        name = alarm["name"]
        if not name.startswith(prefix) or len(name) > 255:
            problems.append("alarm %r must start with name_prefix %r and be at most 255 characters" % (name, prefix))
        if name in seen:
            problems.append("alarm %r is listed twice" % name)
        seen.add(name)
        if alarm.get("anomaly_band") is not None:
            if alarm["comparison"] not in ANOMALY_COMPARISONS:
                problems.append("alarm %s: an anomaly band alarm compares with %s" % (name, ", ".join(ANOMALY_COMPARISONS)))
            if float(alarm["anomaly_band"]) <= 0:
                problems.append("alarm %s: anomaly_band must be above 0" % name)
        else:
            if alarm.get("threshold") is None:
                problems.append("alarm %s: threshold is required without anomaly_band" % name)
            if alarm["comparison"] not in THRESHOLD_COMPARISONS:
                problems.append("alarm %s: comparison must be one of %s" % (name, ", ".join(THRESHOLD_COMPARISONS)))
        if alarm["period"] not in (10, 30) and (alarm["period"] < 60 or alarm["period"] % 60):
            problems.append("alarm %s: period %s must be 10, 30 or a multiple of 60" % (name, alarm["period"]))
        if alarm["evaluation_periods"] < 1:
            problems.append("alarm %s: evaluation_periods must be at least 1" % name)
        problems.extend(action_errors(alarm, region, module.check_mode))
    if problems:
        module.fail_json(msg="; ".join(problems))
    return {str(k): str(v) for k, v in tags.items()}


@aws_error_handler("describe the CloudWatch alarms named {prefix}*")
def describe_alarms(client, prefix):
    return paginate_all(client, "describe_alarms", "MetricAlarms", AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"])


@describe_or_none("read the tags of CloudWatch alarm {arn}")
def read_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceARN=arn, aws_retry=True).get("Tags"))


@aws_error_handler("put CloudWatch alarm {request[AlarmName]}")
def put_alarm(module, client, request):
    unless_check_mode(module, client.put_metric_alarm, **request)


@aws_error_handler("tag CloudWatch alarm {arn}")
def set_tags(module, client, arn, tags):
    unless_check_mode(module, client.tag_resource, ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@aws_error_handler("untag CloudWatch alarm {arn}")
def unset_tags(module, client, arn, keys):
    unless_check_mode(module, client.untag_resource, ResourceARN=arn, TagKeys=keys)


@aws_error_handler("delete CloudWatch alarms {names}")
def delete_alarms(module, client, names):
    for start in range(0, len(names), DELETE_BATCH):
        unless_check_mode(module, client.delete_alarms, AlarmNames=names[start:start + DELETE_BATCH])


def _owned(tags, owner_tags):
    return all(str(tags.get(k)) == str(v) for k, v in owner_tags.items())


def found_alarms(module, client):
    """(ours, foreign): the module's alarms under the prefix as {name: (alarm, tags)}, and the others' names."""
    owner_tags = {str(k): str(v) for k, v in module.params["owner_tags"].items()}
    ours, foreign = {}, []
    for alarm in describe_alarms(client, module.params["name_prefix"]):
        tags = read_tags(client, alarm["AlarmArn"]) or {}
        if _owned(tags, owner_tags):
            ours[alarm["AlarmName"]] = (alarm, tags)
        else:
            foreign.append(alarm["AlarmName"])
    return ours, sorted(foreign)


def _view(request, tags):
    return dict(request, Tags=dict(sorted(tags.items())))


def ensure_present(module, client, region):
    tags = check_params(module, region)
    ours, foreign = found_alarms(module, client)
    wanted_names = [a["name"] for a in module.params["alarms"]]
    taken = sorted(set(wanted_names) & set(foreign))
    if taken:
        message = ("CloudWatch alarm(s) %s exist without the tags %s: made by hand or by another tool, the module "
                   "will not take them over. Rename or delete them.")
        module.fail_json(msg=message % (", ".join(taken), module.params["owner_tags"]))
    before, after = {}, {}
    created, updated, deleted = [], {}, []
    for alarm in module.params["alarms"]:
        request = wanted_request(alarm)
        after[alarm["name"]] = _view(request, tags)
        if alarm["name"] not in ours:
            created.append(alarm["name"])
            put_alarm(module, client, dict(request, Tags=ansible_dict_to_boto3_tag_list(tags)))
            continue
        current, current_tags = ours[alarm["name"]]
        now = current_request(current)
        before[alarm["name"]] = _view(now, current_tags)
        reasons = differences(now, request)
        # PutMetricAlarm ignores Tags on an existing alarm: tags change through TagResource/UntagResource
        to_set, to_unset = tag_updates(current_tags, tags, purge_tags=True)
        if reasons:
            put_alarm(module, client, request)
        if to_unset:
            unset_tags(module, client, current["AlarmArn"], sorted(to_unset))
        if to_set:
            set_tags(module, client, current["AlarmArn"], to_set)
        reasons += ["tag %s" % k for k in sorted(set(to_set) | set(to_unset))]
        if reasons:
            updated[alarm["name"]] = reasons
    if module.params["purge"]:
        deleted = sorted(set(ours) - set(wanted_names))
        for name in deleted:
            before[name] = _view(current_request(ours[name][0]), ours[name][1])
        if deleted:
            delete_alarms(module, client, deleted)
    else:
        for name in sorted(set(ours) - set(wanted_names)):
            after[name] = before[name] = _view(current_request(ours[name][0]), ours[name][1])
    changed = bool(created or updated or deleted)
    return result(module, changed, before, after, alarms=sorted(after), created=created, updated=updated,
                  deleted=deleted, foreign=foreign)


def ensure_absent(module, client, region):
    check_params(module, region)
    ours, foreign = found_alarms(module, client)
    deleted = sorted(ours)
    before = {name: _view(current_request(alarm), tags) for name, (alarm, tags) in ours.items()}
    if deleted:
        delete_alarms(module, client, deleted)
    return result(module, bool(deleted), before, {}, alarms=[], created=[], updated={}, deleted=deleted,
                  foreign=foreign)


def main():
    alarm = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        namespace=dict(type="str", required=True),
        metric_name=dict(type="str", required=True),
        dimensions=dict(type="dict", default={}),
        statistic=dict(type="str", required=True, choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
        period=dict(type="int", required=True),
        evaluation_periods=dict(type="int", required=True),
        threshold=dict(type="float"),
        comparison=dict(type="str", required=True),
        anomaly_band=dict(type="float"),
        treat_missing_data=dict(type="str", default="missing", choices=["breaching", "notBreaching", "ignore", "missing"]),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            name_prefix=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            owner_tags=dict(type="dict", required=True),
            tags=dict(type="dict"),
            purge=dict(type="bool", default=True),
            alarms=dict(type="list", elements="dict", default=[], options=alarm),
        ),
        supports_check_mode=True,
    )
    client = aws_client(module, "cloudwatch")
    run_state(module, ensure_present, ensure_absent, client, client.meta.region_name)


if __name__ == "__main__":
    main()
