# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alarms role's own input checks, run by liftoff.aws.input_report before any AWS call.

Thresholds in range, periods CloudWatch accepts, email addresses, instance names that make unique alarm
names, the extra topics, and every action of every alarm the role would make checked against the allowed
set (the region's EC2 reboot/stop/terminate/recover and the role's own and the extra SNS topics).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.liftoff.aws.plugins.filter.alarms_plan import alarms_action_errors
from ansible_collections.liftoff.aws.plugins.filter.alarms_plan import alarms_plan

PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
INSTANCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
# What SNS delivers to: one @, no spaces, a dot in the domain (RFC 5322's full grammar is not needed here).
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
SNS_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:(?P<region>[a-z0-9-]+):[0-9]{12}:[A-Za-z0-9_-]{1,256}$")
LOAD_BALANCER = re.compile(r"^app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$")
TARGET_GROUP = re.compile(r"^targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$")
ASG_NAME = re.compile(r"^[^\s:]{1,255}$")
IDENTITY_TAGS = ("Project", "Environment", "ManagedBy")
# (setting, lowest, highest): thresholds.
RANGES = (("alarms_cpu_threshold", 1, 100), ("alarms_asg_cpu_threshold", 1, 100),
          ("alarms_network_in_threshold_bytes", 1, None), ("alarms_network_in_anomaly_band", 0.1, 100),
          ("alarms_alb_5xx_threshold", 0, None), ("alarms_unhealthy_hosts_threshold", 1, None),
          ("alarms_status_check_evaluation_periods", 1, None), ("alarms_cpu_evaluation_periods", 1, None),
          ("alarms_network_in_evaluation_periods", 1, None), ("alarms_asg_cpu_evaluation_periods", 1, None),
          ("alarms_alb_evaluation_periods", 1, None))
PERIODS = ("alarms_status_check_period", "alarms_cpu_period", "alarms_network_in_period", "alarms_asg_cpu_period",
           "alarms_alb_period")
# The placeholder of the role's own topic while its ARN is unknown (before any AWS call).
OWN_TOPIC = "arn:aws:sns:%s:000000000000:%s-alarms"


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _range_errors(values):
    errors = []
    for name, low, high in RANGES:
        if name not in values:
            continue
        number = _number(values[name])
        if number is None or number < low or (high is not None and number > high):
            where = "from %s to %s" % (low, high) if high is not None else "of at least %s" % low
            errors.append("%s is %r: it must be a number %s" % (name, values[name], where))
    for name in PERIODS:
        if name not in values:
            continue
        number = _number(values[name])
        if number is None or not number.is_integer() or not (number in (10, 30) or (number >= 60 and number % 60 == 0)):
            errors.append("%s is %r: a CloudWatch alarm period is 60 seconds or a multiple of it (10 or 30 for "
                          "high-resolution metrics)" % (name, values[name]))
    return errors


def _instance_errors(instances, check_mode=False):
    if not isinstance(instances, (list, tuple)):
        return ["alarms_instances must be a list of dicts with name and instance_id"]
    errors, names = [], {}
    for index, instance in enumerate(instances):
        label = "alarms_instances[%d]" % index
        if not isinstance(instance, Mapping):
            errors.append("%s must be a dict with name and instance_id, got %r" % (label, instance))
            continue
        name, instance_id = instance.get("name"), instance.get("instance_id")
        if not isinstance(name, str) or not INSTANCE_NAME.match(name):
            errors.append("%s.name is %r: it becomes part of alarm names, so use 1 to 128 letters, digits, dots, "
                          "dashes and underscores, starting with a letter or digit" % (label, name))
        elif name in names:
            errors.append("%s.name %r is also alarms_instances[%d].name: instance names must be unique, each one "
                          "names its alarms" % (label, name, names[name]))
        else:
            names[name] = index
        if instance_id == "" and check_mode:
            continue  # a host this check-mode run would launch: its alarms are predicted, never written
        if instance_id == "":
            errors.append("%s.instance_id is empty: %r has not been launched (the ec2_host role publishes an "
                          "empty ID only in check mode, for a host the run would launch)" % (label, name))
        elif not isinstance(instance_id, str) or not INSTANCE_ID.match(instance_id):
            errors.append("%s.instance_id is %r, not an EC2 instance ID like i-0123456789abcdef0" % (label, instance_id))
    return errors


def _email_errors(emails):
    if not isinstance(emails, (list, tuple)):
        return ["alarms_email_addresses must be a list of email addresses"]
    errors, seen = [], set()
    for index, email in enumerate(emails):
        if not isinstance(email, str) or not EMAIL.match(email.strip()) or len(email) > 254:
            errors.append("alarms_email_addresses[%d] is %r, not a valid email address (like ops@example.com)"
                          % (index, email))
        elif email.strip().lower() in seen:
            errors.append("alarms_email_addresses[%d] %r is listed twice" % (index, email))
        else:
            seen.add(email.strip().lower())
    return errors


def _topic_errors(topics, region):
    if not isinstance(topics, (list, tuple)):
        return ["alarms_notify_topic_arns must be a list of SNS topic ARNs"]
    errors = []
    for index, arn in enumerate(topics):
        match = SNS_TOPIC.match(str(arn))
        if not match:
            errors.append("alarms_notify_topic_arns[%d] is %r, not an SNS topic ARN (arn:aws:sns:<region>:<account>:"
                          "<name>)" % (index, arn))
        elif match.group("region") != region:
            errors.append("alarms_notify_topic_arns[%d] %s is in %s: CloudWatch alarms in %s can only notify topics "
                          "of their own region" % (index, arn, match.group("region"), region))
    return errors


def _group_errors(values):
    errors = []
    group = values.get("alarms_autoscaling_group_name") or ""
    balancer = values.get("alarms_load_balancer_arn_suffix") or ""
    target = values.get("alarms_target_group_arn_suffix") or ""
    if group and not ASG_NAME.match(str(group)):
        errors.append("alarms_autoscaling_group_name %r is not an auto scaling group name" % group)
    if balancer and not LOAD_BALANCER.match(str(balancer)):
        errors.append("alarms_load_balancer_arn_suffix %r is not an ALB's ARN suffix (app/<name>/<16 hex digits>, "
                      "the part of its ARN after loadbalancer/)" % balancer)
    if target and not TARGET_GROUP.match(str(target)):
        errors.append("alarms_target_group_arn_suffix %r is not a target group's ARN suffix "
                      "(targetgroup/<name>/<16 hex digits>)" % target)
    if target and not balancer:
        errors.append("alarms_target_group_arn_suffix is set without alarms_load_balancer_arn_suffix: the unhealthy "
                      "hosts metric is per load balancer and target group, give both")
    return errors


def alarms_input_errors(values):
    """Every problem with the alarms role's variables (empty when they are fine)."""
    errors = []
    prefix, region = values.get("alarms_name_prefix"), values.get("alarms_region")
    if not isinstance(prefix, str) or not PREFIX.match(prefix):
        errors.append("alarms_name_prefix is %r: letters, digits, dots, dashes and underscores (at most 201), it "
                      "starts every alarm's and the topic's name" % (prefix,))
    if not isinstance(region, str) or not re.match(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$", region):
        errors.append("alarms_region is %r, not a region name like eu-west-1" % (region,))
    tags = values.get("alarms_tags")
    if not isinstance(tags, Mapping) or [k for k in IDENTITY_TAGS if k not in tags]:
        errors.append("alarms_tags must be a dict carrying Project, Environment and ManagedBy (liftoff_tags does): "
                      "teardown finds the role's alarms and topic by them")
    if values.get("alarms_cpu_action", "notify") not in ("notify", "stop", "terminate"):
        errors.append("alarms_cpu_action is %r: notify, stop or terminate" % values.get("alarms_cpu_action"))
    if values.get("alarms_network_in_mode", "threshold") not in ("threshold", "anomaly"):
        errors.append("alarms_network_in_mode is %r: threshold or anomaly" % values.get("alarms_network_in_mode"))
    if values.get("alarms_state", "present") == "present":
        errors.extend(_range_errors(values))
        errors.extend(_instance_errors(values.get("alarms_instances", []), bool(values.get("ansible_check_mode"))))
        errors.extend(_email_errors(values.get("alarms_email_addresses", [])))
        errors.extend(_topic_errors(values.get("alarms_notify_topic_arns", []), region))
        errors.extend(_group_errors(values))
    if errors:
        return errors  # the plan below assumes the values above are sound
    if values.get("alarms_state", "present") != "present":
        return []
    own = OWN_TOPIC % (region, prefix)
    plan = alarms_plan(values, own)
    names = [alarm["name"] for alarm in plan]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append("two alarms would be named %s: rename the instance whose name makes it (alarms_instances) - "
                      "the auto scaling group's alarms are <prefix>-asg-* and <prefix>-alb-*" % name)
    errors.extend("%s is longer than CloudWatch's 255 characters: shorten alarms_name_prefix or the instance name"
                  % name for name in names if len(name) > 255)
    errors.extend(alarms_action_errors(plan, region, [own] + list(values.get("alarms_notify_topic_arns") or [])))
    return errors


def alarms_checks(values, regions, errors, warnings):
    """liftoff.aws.input_report's entry for the role: its own checks, and the region against the known ones."""
    region = values.get("alarms_region")
    if isinstance(region, str) and regions and region not in regions:
        errors.append("alarms_region is %r, which is not an AWS region this release knows. If AWS opened it "
                      "recently, add it: liftoff_extra_regions: {%s: [a, b, c]}" % (region, region))
    errors.extend(alarms_input_errors(values))


class FilterModule(object):
    def filters(self):
        return {"alarms_input_errors": alarms_input_errors}
