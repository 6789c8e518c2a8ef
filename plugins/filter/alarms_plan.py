# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alarms role's data: which alarms it wants, which actions they may run, and how its SNS topic differs.

- ``alarms_plan(variables, topic_arn)``: every alarm the role manages, in the shape of the
  ``liftoff.aws.cloudwatch_alarm_set`` module's ``alarms`` option. Per instance
  ``<prefix>-<instance>-system-check`` (recover), ``-instance-check`` (reboot), ``-cpu-high`` (notify, stop or
  terminate) and ``-network-in-high`` (notify; a fixed threshold or an anomaly band); for the auto scaling
  group ``<prefix>-asg-cpu-high``, and with a load balancer ``<prefix>-alb-5xx`` and (with a target group)
  ``<prefix>-alb-unhealthy-hosts``. Every alarm notifies the role's topic and the extra topics, on alarm and
  when it is OK again.
- ``alarms_action_errors(plan, region, topics)``: actions outside the allowed set (the region's EC2
  reboot/stop/terminate/recover and the given topics).
- ``alarms_topic_drift(described, emails, tags, owner_tags)``: how the topic, as
  community.aws.sns_topic_info describes it, differs from the wanted one. A subscription waiting for its
  confirmation (SNS lists it as ``PendingConfirmation``, without an ARN) counts as subscribed, and a removed
  address still pending cannot be unsubscribed (SNS has no ARN to unsubscribe it with): it is reported, not drift.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.module_utils.core import partition_of

# Instance alarm kinds, in the order the role lists them.
INSTANCE_KINDS = ("system-check", "instance-check", "cpu-high", "network-in-high")
GROUP_KINDS = ("asg-cpu-high", "alb-5xx", "alb-unhealthy-hosts")
EC2_ACTIONS = ("reboot", "stop", "terminate", "recover")
PENDING = ("PendingConfirmation", "pending confirmation")


def ec2_action(region, action):
    """The CloudWatch alarm action that makes EC2 reboot, stop, terminate or recover the instance."""
    return "arn:%s:automate:%s:ec2:%s" % (partition_of(region), region, action)


def _alarm(name, description, namespace, metric, dimensions, statistic, period, evaluations, comparison,
           notify, threshold=None, actions=(), missing="missing", band=None):
    alarm = {
        "name": name,
        "description": description,
        "namespace": namespace,
        "metric_name": metric,
        "dimensions": dimensions,
        "statistic": statistic,
        "period": int(period),
        "evaluation_periods": int(evaluations),
        "comparison": comparison,
        "treat_missing_data": missing,
        "alarm_actions": list(actions) + list(notify),
        "ok_actions": list(notify),
    }
    if band is not None:
        alarm["anomaly_band"] = float(band)
    else:
        alarm["threshold"] = float(threshold)
    return alarm


def _instance_alarms(prefix, region, instance, settings, notify):
    name, dims = instance["name"], {"InstanceId": instance["instance_id"]}
    base = "%s-%s-" % (prefix, name)
    cpu_action = str(settings.get("cpu_action", "notify"))
    network = [
        _alarm(base + "network-in-high",
               "%s: network traffic in far above normal" % name, "AWS/EC2", "NetworkIn", dims, "Sum",
               settings["network_in_period"], settings["network_in_evaluation_periods"],
               "GreaterThanUpperThreshold", notify, band=settings["network_in_anomaly_band"])
        if settings.get("network_in_mode") == "anomaly" else
        _alarm(base + "network-in-high",
               "%s: more than %s bytes in per %s s" % (name, settings["network_in_threshold_bytes"],
                                                       settings["network_in_period"]),
               "AWS/EC2", "NetworkIn", dims, "Sum", settings["network_in_period"],
               settings["network_in_evaluation_periods"], "GreaterThanThreshold", notify,
               threshold=settings["network_in_threshold_bytes"])
    ]
    return [
        _alarm(base + "system-check", "%s: AWS system status check failed - recover onto other hardware" % name,
               "AWS/EC2", "StatusCheckFailed_System", dims, "Maximum", settings["status_check_period"],
               settings["status_check_evaluation_periods"], "GreaterThanOrEqualToThreshold", notify, threshold=1,
               actions=[ec2_action(region, "recover")]),
        _alarm(base + "instance-check", "%s: instance status check failed - reboot" % name,
               "AWS/EC2", "StatusCheckFailed_Instance", dims, "Maximum", settings["status_check_period"],
               settings["status_check_evaluation_periods"], "GreaterThanOrEqualToThreshold", notify, threshold=1,
               actions=[ec2_action(region, "reboot")]),
        _alarm(base + "cpu-high", "%s: CPU above %s%% for %s x %s s%s" % (
            name, settings["cpu_threshold"], settings["cpu_evaluation_periods"], settings["cpu_period"],
            "" if cpu_action == "notify" else " - %s" % cpu_action),
            "AWS/EC2", "CPUUtilization", dims, "Average", settings["cpu_period"], settings["cpu_evaluation_periods"],
            "GreaterThanThreshold", notify, threshold=settings["cpu_threshold"],
            actions=[] if cpu_action == "notify" else [ec2_action(region, cpu_action)]),
    ] + network


def _group_alarms(prefix, settings, notify):
    alarms = []
    group = settings.get("autoscaling_group_name") or ""
    balancer = settings.get("load_balancer_arn_suffix") or ""
    target_group = settings.get("target_group_arn_suffix") or ""
    if group:
        alarms.append(_alarm(
            "%s-asg-cpu-high" % prefix, "%s: average CPU of the group above %s%%" % (group, settings["asg_cpu_threshold"]),
            "AWS/EC2", "CPUUtilization", {"AutoScalingGroupName": group}, "Average", settings["asg_cpu_period"],
            settings["asg_cpu_evaluation_periods"], "GreaterThanThreshold", notify, threshold=settings["asg_cpu_threshold"]))
    if balancer:
        alarms.append(_alarm(
            "%s-alb-5xx" % prefix, "%s: more than %s 5xx answers from the load balancer per %s s" % (
                balancer, settings["alb_5xx_threshold"], settings["alb_period"]),
            "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", {"LoadBalancer": balancer}, "Sum", settings["alb_period"],
            settings["alb_evaluation_periods"], "GreaterThanThreshold", notify, threshold=settings["alb_5xx_threshold"],
            missing="notBreaching"))
    if balancer and target_group:
        alarms.append(_alarm(
            "%s-alb-unhealthy-hosts" % prefix, "%s: at least %s unhealthy target(s)" % (
                target_group, settings["unhealthy_hosts_threshold"]),
            "AWS/ApplicationELB", "UnHealthyHostCount", {"LoadBalancer": balancer, "TargetGroup": target_group},
            "Maximum", settings["alb_period"], settings["alb_evaluation_periods"], "GreaterThanOrEqualToThreshold",
            notify, threshold=settings["unhealthy_hosts_threshold"]))
    return alarms


def alarms_plan(variables, topic_arn):
    """Every alarm the role wants, for liftoff.aws.cloudwatch_alarm_set (see the module's ``alarms`` option).

    ``variables``: the role's variables (``alarms_cpu_threshold``, ...), as its input hook collects them.
    """
    if not isinstance(variables, Mapping):
        raise AnsibleFilterError("alarms_plan expects the role's variables as a dict")
    settings = {name[len("alarms_"):]: value for name, value in variables.items() if name.startswith("alarms_")}
    prefix, region = settings["name_prefix"], settings["region"]
    notify = [str(topic_arn)] + [str(a) for a in settings.get("notify_topic_arns") or [] if str(a) != str(topic_arn)]
    alarms = []
    for instance in settings.get("instances") or []:
        alarms.extend(_instance_alarms(prefix, region, instance, settings, notify))
    return alarms + _group_alarms(prefix, settings, notify)


def alarms_action_errors(plan, region, topics):
    """One message per alarm action outside the allowed set: the region's EC2 actions and ``topics``."""
    allowed = {ec2_action(region, a) for a in EC2_ACTIONS} | {str(t) for t in topics or []}
    errors = []
    for alarm in plan or []:
        for key in ("alarm_actions", "ok_actions"):
            for arn in alarm.get(key) or []:
                if str(arn) not in allowed:
                    errors.append("alarm %s: action %s is not allowed (only %s and the topics %s)" % (
                        alarm["name"], arn, ", ".join(sorted(ec2_action(region, a) for a in EC2_ACTIONS)),
                        ", ".join(sorted(str(t) for t in topics or []))))
    return errors


def _tags(described):
    tags = described.get("tags") or {}
    if isinstance(tags, list):
        tags = {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in tags}
    return {str(k): str(v) for k, v in tags.items()}


def alarms_topic_drift(described, emails, tags, owner_tags):
    """How the topic differs from the wanted one.

    ``described`` is community.aws.sns_topic_info's ``sns_topic`` for the topic ({} when there is none).
    Returns ``exists``, ``owned`` (carries every owner tag), ``reasons`` (empty: nothing to change),
    ``pending`` (addresses waiting for confirmation) and ``pending_removed`` (removed addresses still
    pending, which SNS gives no ARN to unsubscribe; SNS drops them itself when they are never confirmed).
    """
    described = described or {}
    if not described:
        return {"exists": False, "owned": False, "reasons": ["missing"], "pending": [], "pending_removed": []}
    current_tags = _tags(described)
    owned = all(current_tags.get(str(k)) == str(v) for k, v in (owner_tags or {}).items())
    wanted = {str(e).strip().lower() for e in emails or []}
    reasons, pending, pending_removed = [], [], []
    subscribed = set()
    for sub in described.get("subscriptions") or []:
        if str(sub.get("protocol")) != "email":
            if sub.get("subscription_arn") not in PENDING + ("Deleted",):
                reasons.append("extra %s subscription %s" % (sub.get("protocol"), sub.get("endpoint")))
            continue
        address = str(sub.get("endpoint", "")).strip().lower()
        is_pending = sub.get("subscription_arn") in PENDING
        if address in wanted:
            subscribed.add(address)
            if is_pending:
                pending.append(address)
        elif is_pending:
            pending_removed.append(address)
        elif sub.get("subscription_arn") != "Deleted":
            reasons.append("extra subscription %s" % address)
    reasons.extend("subscription %s missing" % a for a in sorted(wanted - subscribed))
    wanted_tags = {str(k): str(v) for k, v in (tags or {}).items()}
    visible = {k: v for k, v in current_tags.items() if not k.startswith("aws:")}
    if visible != wanted_tags:
        reasons.append("tags differ")
    return {"exists": True, "owned": owned, "reasons": reasons, "pending": sorted(pending),
            "pending_removed": sorted(pending_removed)}


def alarms_subscriptions(emails):
    """The email addresses as community.aws.sns_topic's subscriptions."""
    return [{"protocol": "email", "endpoint": str(e).strip()} for e in emails or []]


class FilterModule(object):
    def filters(self):
        return {
            "alarms_plan": alarms_plan,
            "alarms_action_errors": alarms_action_errors,
            "alarms_topic_drift": alarms_topic_drift,
            "alarms_subscriptions": alarms_subscriptions,
        }
