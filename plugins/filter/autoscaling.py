# -*- coding: utf-8 -*-
# Copyright: liftoff maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The autoscaling role's plans: what differs between the group and target group AWS has and the ones wanted,
the load balancer's listeners, the scaling policies and the CloudWatch agent's configuration.

Each function takes what one describe call returned (snake_case, as the amazon.aws/community.aws info modules
give it) and the role's settings, so a re-run that finds nothing different writes nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

ROLE_TAG = {"LiftoffRole": "autoscaling"}
IDENTITY_TAGS = ("Project", "Environment", "ManagedBy")
# Load balancer and target group names: 1 to 32 letters, digits and dashes, not starting or ending with a dash.
ELB_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):[0-9]{12}:certificate/[0-9a-f-]{36}$")
TEMPLATE_ID = re.compile(r"^lt-[0-9a-f]{8,17}$")
SSM_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,1011}$")
# (setting, lowest, highest)
RANGES = (("autoscaling_min_size", 0, None), ("autoscaling_max_size", 1, None), ("autoscaling_desired_capacity", 0, None),
          ("autoscaling_target_port", 1, 65535), ("autoscaling_health_check_interval", 5, 300),
          ("autoscaling_healthy_threshold", 2, 10), ("autoscaling_unhealthy_threshold", 2, 10),
          ("autoscaling_deregistration_delay", 0, 3600), ("autoscaling_health_check_grace_period", 0, None),
          ("autoscaling_idle_timeout", 1, 4000), ("autoscaling_cpu_target", 0, 100),
          ("autoscaling_memory_target", 0, 100), ("autoscaling_instance_warmup", 0, None),
          ("autoscaling_refresh_min_healthy_percentage", 0, 100), ("autoscaling_agent_metrics_interval", 1, None),
          ("autoscaling_wait_timeout", 1, None))
MEMORY_METRIC = {"namespace": "CWAgent", "metric_name": "mem_used_percent", "statistic": "Average"}


def _tag_dict(tags):
    """Tags as a dict from a boto3 list ([{key, value}] or [{Key, Value}]) or a dict."""
    if isinstance(tags, dict):
        return dict(tags)
    found = {}
    for tag in tags or []:
        found[tag.get("key", tag.get("Key"))] = tag.get("value", tag.get("Value"))
    return found


def _owned(tags, wanted):
    have = _tag_dict(tags)
    return all(have.get(k) == wanted.get(k) for k in IDENTITY_TAGS + ("LiftoffRole",) if k in wanted)


def autoscaling_owner_tags(tags):
    """The tags that say a resource is this role's: the identity tags plus LiftoffRole=autoscaling."""
    tags = dict(tags or {})
    owner = {k: tags[k] for k in IDENTITY_TAGS if k in tags}
    owner.update(ROLE_TAG)
    return owner


def autoscaling_group_tags(tags):
    """The group's tags in the form amazon.aws.autoscaling_group takes, each passed on to the instances."""
    merged = dict(tags or {})
    merged.update(ROLE_TAG)
    return [{key: str(value), "propagate_at_launch": True} for key, value in sorted(merged.items())]


def autoscaling_arn_suffix(arn):
    """What CloudWatch's LoadBalancer and TargetGroup dimensions take: the ARN after 'loadbalancer/' (app/name/id)
    or from 'targetgroup/' on (targetgroup/name/id). Empty for an empty ARN."""
    arn = str(arn or "")
    if not arn:
        return ""
    if ":loadbalancer/" in arn:
        return arn.split(":loadbalancer/", 1)[1]
    if ":targetgroup/" in arn:
        return "targetgroup/" + arn.split(":targetgroup/", 1)[1]
    raise AnsibleFilterError("autoscaling_arn_suffix expects a load balancer or target group ARN, got %r" % arn)


def autoscaling_listeners(certificate_arn, target_group_arn, ssl_policy):
    """The load balancer's listeners: with a certificate, HTTPS on 443 forwarding to the target group and HTTP on
    80 answering a permanent redirect to HTTPS (same host, path and query); without one, HTTP on 80 forwarding."""
    forward = [{"Type": "forward", "TargetGroupArn": target_group_arn}]
    if not certificate_arn:
        return [{"Protocol": "HTTP", "Port": 80, "DefaultActions": forward}]
    redirect = [{"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}",
        "StatusCode": "HTTP_301"}}]
    return [
        {"Protocol": "HTTP", "Port": 80, "DefaultActions": redirect},
        {"Protocol": "HTTPS", "Port": 443, "SslPolicy": ssl_policy,
         "Certificates": [{"CertificateArn": certificate_arn}], "DefaultActions": forward},
    ]


def autoscaling_policies(prefix, group_name, cpu_target, memory_target, warmup):
    """Target tracking policies for liftoff.aws.autoscaling_target_tracking: average CPU of the group, and average
    memory used as the CloudWatch agent reports it per group (CWAgent mem_used_percent by AutoScalingGroupName).
    A target of 0 leaves that policy out (and the module removes it)."""
    policies = []
    if float(cpu_target or 0) > 0:
        policies.append({"name": "%s-cpu" % prefix, "target_value": float(cpu_target),
                         "predefined_metric": "ASGAverageCPUUtilization",
                         "estimated_instance_warmup": int(warmup)})
    if float(memory_target or 0) > 0:
        metric = dict(MEMORY_METRIC, dimensions={"AutoScalingGroupName": group_name})
        policies.append({"name": "%s-memory" % prefix, "target_value": float(memory_target),
                         "customized_metric": metric, "estimated_instance_warmup": int(warmup)})
    return policies


def autoscaling_agent_config(interval):
    """The CloudWatch agent's configuration: memory and root disk used, tagged with the instance's group, and
    aggregated per group, which is the series the memory policy tracks."""
    interval = int(interval)
    return {
        "agent": {"metrics_collection_interval": interval, "run_as_user": "cwagent"},
        "metrics": {
            "namespace": "CWAgent",
            "append_dimensions": {"AutoScalingGroupName": "${aws:AutoScalingGroupName}",
                                  "InstanceId": "${aws:InstanceId}"},
            "aggregation_dimensions": [["AutoScalingGroupName"]],
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"], "metrics_collection_interval": interval},
                "disk": {"measurement": ["used_percent"], "resources": ["/"], "metrics_collection_interval": interval},
            },
        },
    }


def _listener_key(listener, snake):
    """A listener reduced to what the role sets, from the snake_case info result or the CamelCase wanted form."""
    get = (lambda d, k: d.get(k)) if snake else (lambda d, k: d.get("".join(p.title() for p in k.split("_"))))
    actions = []
    for action in get(listener, "default_actions") or []:
        redirect = get(action, "redirect_config") or {}
        actions.append((get(action, "type"), get(action, "target_group_arn") or "",
                        tuple(str(get(redirect, k) or "") for k in ("protocol", "port", "host", "path", "query",
                                                                    "status_code"))))
    certificates = sorted(get(c, "certificate_arn") for c in get(listener, "certificates") or [])
    protocol = get(listener, "protocol")
    # a TLS policy only means something on an HTTPS listener
    policy = (get(listener, "ssl_policy") or "") if protocol == "HTTPS" else ""
    return (int(get(listener, "port")), protocol, policy, tuple(certificates), tuple(actions))


def autoscaling_load_balancer_plan(described, wanted):
    """Whether the load balancer must be made or changed. ``described`` is elb_application_lb_info's list (with
    attributes and listeners); ``wanted`` holds name, subnet_ids, security_group_ids, listeners (the
    autoscaling_listeners form), idle_timeout and tags."""
    found = [b for b in described or [] if b.get("load_balancer_name") == wanted["name"]]
    if not found:
        return {"action": "create", "arn": "", "dns_name": "", "zone_id": "", "changes": ["missing"], "owned": True}
    balancer = found[0]
    base = {"arn": balancer.get("load_balancer_arn", ""), "dns_name": balancer.get("dns_name", ""),
            "zone_id": balancer.get("canonical_hosted_zone_id", "")}
    tags = _tag_dict(balancer.get("tags"))
    if not _owned(tags, autoscaling_owner_tags(wanted.get("tags"))):
        return dict(base, action="foreign", changes=[], owned=False)
    if balancer.get("scheme") != "internet-facing" or balancer.get("type", "application") != "application":
        return dict(base, action="replace", changes=["scheme or type (replace)"], owned=True)
    changes = []
    subnets = sorted(z.get("subnet_id") for z in balancer.get("availability_zones") or [])
    if subnets != sorted(wanted["subnet_ids"]):
        changes.append("subnets")
    if sorted(balancer.get("security_groups") or []) != sorted(wanted["security_group_ids"]):
        changes.append("security groups")
    if str(balancer.get("idle_timeout_timeout_seconds", "")) != str(int(wanted["idle_timeout"])):
        changes.append("idle timeout")
    if str(balancer.get("routing_http_drop_invalid_header_fields_enabled", "")).lower() != "true":
        changes.append("drop invalid header fields")
    want_tags = dict(wanted.get("tags") or {})
    want_tags.update(ROLE_TAG)
    if any(tags.get(k) != str(v) for k, v in want_tags.items()):
        changes.append("tags")
    have = sorted(_listener_key(listener, True) for listener in balancer.get("listeners") or [])
    want = sorted(_listener_key(listener, False) for listener in wanted["listeners"])
    if have != want:
        changes.append("listeners")
    return dict(base, action="update" if changes else "none", changes=changes, owned=True)


def autoscaling_target_group_plan(described, wanted):
    """Whether the target group must be made or changed. ``described`` is elb_target_group_info's list for the
    name; ``wanted`` holds name, port, vpc_id, health_check_path, health_check_interval, healthy_threshold,
    unhealthy_threshold, deregistration_delay and tags (with the role tag)."""
    groups = [g for g in described or [] if g.get("target_group_name") == wanted["name"]]
    if not groups:
        return {"action": "create", "arn": "", "changes": ["missing"], "owned": True, "load_balancer_arns": []}
    group = groups[0]
    balancers = list(group.get("load_balancer_arns") or [])
    tags = _tag_dict(group.get("tags"))
    if not _owned(tags, autoscaling_owner_tags(wanted.get("tags"))):
        return {"action": "foreign", "arn": group.get("target_group_arn", ""), "changes": [], "owned": False,
                "load_balancer_arns": balancers}
    changes = []
    fixed = {"port": int(wanted["port"]), "protocol": "HTTP", "vpc_id": wanted["vpc_id"], "target_type": "instance"}
    for key, value in fixed.items():
        if group.get(key) != value:
            changes.append("%s (replace)" % key)
    if changes:
        return {"action": "replace", "arn": group.get("target_group_arn", ""), "changes": changes, "owned": True,
                "load_balancer_arns": balancers}
    checks = {
        "health_check_path": str(wanted["health_check_path"]),
        "health_check_interval_seconds": int(wanted["health_check_interval"]),
        "healthy_threshold_count": int(wanted["healthy_threshold"]),
        "unhealthy_threshold_count": int(wanted["unhealthy_threshold"]),
        "health_check_protocol": "HTTP",
    }
    for key, value in checks.items():
        if group.get(key) != value:
            changes.append(key)
    if str(group.get("deregistration_delay_timeout_seconds", "")) != str(int(wanted["deregistration_delay"])):
        changes.append("deregistration_delay")
    if (group.get("matcher") or {}).get("http_code") != "200-399":
        changes.append("matcher")
    want_tags = dict(wanted.get("tags") or {})
    want_tags.update(ROLE_TAG)
    if any(tags.get(k) != str(v) for k, v in want_tags.items()):
        changes.append("tags")
    return {"action": "update" if changes else "none", "arn": group.get("target_group_arn", ""),
            "changes": changes, "owned": True, "load_balancer_arns": balancers}


def autoscaling_group_plan(described, wanted):
    """What the group needs. ``described`` is autoscaling_group_info's list; ``wanted`` holds name,
    launch_template_id, launch_template_version, min_size, max_size, subnet_ids, target_group_arn,
    health_check_grace_period, tags and metrics (the group metrics sent to CloudWatch). The desired capacity is not compared: the policies own it.

    ``refresh`` says the group ran another template or version and has instances launched from it, which an
    instance refresh replaces."""
    groups = [g for g in described or [] if g.get("auto_scaling_group_name") == wanted["name"]]
    if not groups:
        return {"action": "create", "changes": ["missing"], "refresh": False, "owned": True, "running_version": "",
                "instances": 0}
    group = groups[0]
    tags = _tag_dict(group.get("tags"))
    if not _owned(tags, autoscaling_owner_tags(wanted.get("tags"))):
        return {"action": "foreign", "changes": [], "refresh": False, "owned": False, "running_version": "",
                "instances": len(group.get("instances") or [])}
    template = group.get("launch_template") or {}
    version = str(wanted["launch_template_version"])
    changes = []
    if template.get("launch_template_id") != wanted["launch_template_id"] or str(template.get("version")) != version:
        changes.append("launch template %s version %s -> %s version %s" % (
            template.get("launch_template_id", "-"), template.get("version", "-"),
            wanted["launch_template_id"], version))
    for key, value in (("min_size", int(wanted["min_size"])), ("max_size", int(wanted["max_size"])),
                       ("health_check_type", "ELB"),
                       ("health_check_grace_period", int(wanted["health_check_grace_period"]))):
        if group.get(key) != value:
            changes.append("%s %s -> %s" % (key, group.get(key), value))
    subnets = sorted(s for s in str(group.get("vpc_zone_identifier") or "").split(",") if s)
    if subnets != sorted(wanted["subnet_ids"]):
        changes.append("subnets")
    if sorted(group.get("target_group_arns") or []) != [wanted["target_group_arn"]]:
        changes.append("target group")
    enabled = sorted(m.get("metric") for m in group.get("enabled_metrics") or [])
    if "metrics" in wanted and enabled != sorted(wanted["metrics"]):
        changes.append("group metrics")
    want_tags = dict(wanted.get("tags") or {})
    want_tags.update(ROLE_TAG)
    if any(tags.get(k) != str(v) for k, v in want_tags.items()):
        changes.append("tags")
    stale = [i for i in group.get("instances") or []
             if (i.get("launch_template") or {}).get("launch_template_id") != wanted["launch_template_id"]
             or str((i.get("launch_template") or {}).get("version")) != version]
    return {"action": "update" if changes else "none", "changes": changes, "refresh": bool(stale),
            "owned": True, "running_version": str(template.get("version", "")),
            "instances": len(group.get("instances") or [])}


def _int(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def autoscaling_checks(values, errors, warnings):
    """The role's own checks before any AWS call; liftoff.aws.input_report adds the region and the ID lists."""
    region = values.get("autoscaling_region")
    tags = values.get("autoscaling_tags", dict.fromkeys(IDENTITY_TAGS, ""))
    if not isinstance(tags, dict) or not set(IDENTITY_TAGS) <= set(tags):
        errors.append("autoscaling_tags must carry Project, Environment and ManagedBy (liftoff_tags does): teardown "
                      "finds the group, load balancer and target group by them")
    prefix = values.get("autoscaling_name_prefix")
    if prefix is not None and (not isinstance(prefix, str) or not ELB_NAME.match("%s-web" % prefix)):
        errors.append("autoscaling_name_prefix is %r: the load balancer and target group are named <prefix>-web, "
                      "which AWS allows as 1 to 32 letters, digits and dashes, so the prefix is at most 28 of them "
                      "(set a shorter autoscaling_name_prefix)" % (prefix,))
    if values.get("autoscaling_state", "present") != "present":
        return
    numbers = {}
    for name, low, high in RANGES:
        if name not in values:
            continue
        number = _int(values[name])
        numbers[name] = number
        if number is None or number < low or (high is not None and number > high):
            errors.append("%s is %r: a whole number from %s%s" % (
                name, values[name], low, " to %s" % high if high is not None else " up"))
    low, high, want = (numbers.get("autoscaling_min_size"), numbers.get("autoscaling_max_size"),
                       numbers.get("autoscaling_desired_capacity"))
    if None not in (low, high) and low > high:
        errors.append("autoscaling_min_size (%s) is more than autoscaling_max_size (%s)" % (low, high))
    elif None not in (low, high, want) and not low <= want <= high:
        errors.append("autoscaling_desired_capacity (%s) must lie between autoscaling_min_size (%s) and "
                      "autoscaling_max_size (%s)" % (want, low, high))
    path = values.get("autoscaling_health_check_path", "/")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 1024 or " " in path:
        errors.append("autoscaling_health_check_path is %r: a path starting with / (at most 1024 characters, no "
                      "spaces), answered with 200-399 by a healthy instance" % (path,))
    certificate = values.get("autoscaling_certificate_arn", "")
    if certificate:
        found = ACM_ARN.match(str(certificate))
        if not found:
            errors.append("autoscaling_certificate_arn is %r, not an ACM certificate ARN like "
                          "arn:aws:acm:eu-west-1:123456789012:certificate/<uuid>" % (certificate,))
        elif isinstance(region, str) and region and found.group("region") != region:
            errors.append("autoscaling_certificate_arn is in %s, but the load balancer is in %s: a load balancer "
                          "only takes certificates of its own region" % (found.group("region"), region))
    template = values.get("autoscaling_launch_template_id", "")
    if template and not TEMPLATE_ID.match(str(template)):
        errors.append("autoscaling_launch_template_id is %r: a launch template ID is lt- and 8 or 17 hex digits "
                      "(the ec2_host role publishes it)" % (template,))
    version = values.get("autoscaling_launch_template_version", 0)
    if _int(version) is None or _int(version) < 0:
        errors.append("autoscaling_launch_template_version is %r: an explicit version number (the group never runs "
                      "$Latest or $Default)" % (version,))
    parameter = values.get("autoscaling_agent_parameter_name", "AmazonCloudWatch-x")
    if not isinstance(parameter, str) or not SSM_NAME.match(parameter):
        errors.append("autoscaling_agent_parameter_name is %r: letters, digits, dots, dashes and underscores"
                      % (parameter,))
    elif not parameter.startswith("AmazonCloudWatch-"):
        warnings.append("autoscaling_agent_parameter_name %r does not start with AmazonCloudWatch-: the agent's "
                        "managed policy (CloudWatchAgentServerPolicy) only lets instances read parameters that do, so "
                        "the instance role needs ssm:GetParameter on it" % parameter)
    if not certificate:
        warnings.append("autoscaling_certificate_arn is empty: the load balancer serves the app over plain HTTP on "
                        "port 80; give an ACM certificate of %s for HTTPS with a redirect from HTTP" % (region,))


def autoscaling_teardown(groups, load_balancers, target_groups, desired):
    """For each of the group, the load balancer and the target group, whether it is missing, this role's (it
    carries the owner tags: delete it) or someone else's of the same name (leave it, and say so)."""
    owner = desired["owner_tags"]
    found = {}
    for kind, items, key, name in (("group", groups, "auto_scaling_group_name", desired["group_name"]),
                                   ("load_balancer", load_balancers, "load_balancer_name",
                                    desired["load_balancer_name"]),
                                   ("target_group", target_groups, "target_group_name", desired["target_group_name"])):
        match = [i for i in items or [] if i.get(key) == name]
        found[kind] = "missing" if not match else ("owned" if _owned(match[0].get("tags"), owner) else "foreign")
    found["foreign"] = ["%s %s" % (kind.replace("_", " "), desired[kind + "_name"])
                        for kind in ("group", "load_balancer", "target_group") if found[kind] == "foreign"]
    return found


def autoscaling_desired(values):
    """Everything the role wants, from its variables (autoscaling_*): names, tags, the target group and group
    settings the plans compare against, the scaling policies and the agent's configuration."""
    prefix = values["autoscaling_name_prefix"]
    tags = dict(values.get("autoscaling_tags") or {})
    all_tags = dict(tags, **ROLE_TAG)
    return {
        "group_name": prefix,
        "load_balancer_name": "%s-web" % prefix,
        "target_group_name": "%s-web" % prefix,
        "tags": all_tags,
        "owner_tags": autoscaling_owner_tags(tags),
        "group_tags": autoscaling_group_tags(tags),
        "target_group": {
            "name": "%s-web" % prefix, "port": int(values["autoscaling_target_port"]),
            "vpc_id": values.get("autoscaling_vpc_id", ""),
            "health_check_path": values["autoscaling_health_check_path"],
            "health_check_interval": int(values["autoscaling_health_check_interval"]),
            "healthy_threshold": int(values["autoscaling_healthy_threshold"]),
            "unhealthy_threshold": int(values["autoscaling_unhealthy_threshold"]),
            "deregistration_delay": int(values["autoscaling_deregistration_delay"]),
            "tags": all_tags,
        },
        "policies": autoscaling_policies(prefix, prefix, values.get("autoscaling_cpu_target", 0),
                                         values.get("autoscaling_memory_target", 0),
                                         values.get("autoscaling_instance_warmup", 300)),
        "agent_config": autoscaling_agent_config(values.get("autoscaling_agent_metrics_interval", 60)),
    }


class FilterModule:
    def filters(self):
        return {
            "autoscaling_desired": autoscaling_desired,
            "autoscaling_arn_suffix": autoscaling_arn_suffix,
            "autoscaling_listeners": autoscaling_listeners,
            "autoscaling_target_group_plan": autoscaling_target_group_plan,
            "autoscaling_load_balancer_plan": autoscaling_load_balancer_plan,
            "autoscaling_teardown": autoscaling_teardown,
            "autoscaling_group_plan": autoscaling_group_plan,
        }
