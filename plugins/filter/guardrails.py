# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guardrails role's documents, alarms, input checks, teardown sorting and report."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy, retentionInDays) that amazon.aws 10's
# cloudwatchlogs_log_group also accepts: it refuses 1096, 2192, 2557, 2922 and 3288, and when it refuses a value
# for a group it has just created it deletes that group again. Those five are refused here, before any call.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
EMAIL = re.compile(r"^[^@\s,;<>\"']+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# The account ID's length, for the longest bucket name the role builds.
ACCOUNT_ID_PLACEHOLDER = "0" * 12


def _partition(arn):
    return arn.split(":")[1] if arn.startswith("arn:") else "aws"


def _account(arn):
    return arn.split(":")[4]


def guardrails_bucket_policy(bucket, trail_arn):
    """The trail bucket's policy: TLS only for everyone, and CloudTrail writing only for this trail."""
    partition = _partition(trail_arn)
    bucket_arn = "arn:%s:s3:::%s" % (partition, bucket)
    source = {"StringEquals": {"aws:SourceArn": trail_arn}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [bucket_arn, bucket_arn + "/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "CloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": bucket_arn, "Condition": source},
            {"Sid": "CloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": "%s/AWSLogs/%s/*" % (bucket_arn, _account(trail_arn)),
             "Condition": {"StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}}},
        ],
    }


def guardrails_trail_trust_policy(trail_arn):
    """Only CloudTrail, and only for this trail, may assume the log delivery role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}}],
    }


def guardrails_trail_logs_policy(log_group_arn):
    """The log delivery role may create streams and put events in the trail's log group only."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                       "Resource": "%s:log-stream:*" % log_group_arn}],
    }


def guardrails_alarms(checks, prefix, namespace, actions, max_vcpus=0):
    """One alarm per trail check (any match in 5 minutes), plus the account's on-demand vCPUs above max_vcpus."""
    if not isinstance(checks, list):
        raise AnsibleFilterError("guardrails_alarms expects the list of checks, got %s" % type(checks).__name__)
    actions = [str(arn) for arn in actions if arn]
    alarms = []
    for check in checks:
        name = prefix + check["key"]
        alarms.append({
            "name": name, "description": check["description"], "namespace": namespace, "metric_name": name,
            "dimensions": {}, "statistic": "Sum", "period": 300, "evaluation_periods": 1, "threshold": 1.0,
            "comparison": "GreaterThanOrEqualToThreshold", "treat_missing_data": "notBreaching",
            "alarm_actions": actions, "ok_actions": [],
        })
    if int(max_vcpus or 0) > 0:
        alarms.append({
            "name": prefix + "ec2-vcpus-high",
            "description": "More than %d on-demand standard vCPUs running in the region: a leaked key launching "
                           "instances?" % int(max_vcpus),
            "namespace": "AWS/Usage", "metric_name": "ResourceCount",
            "dimensions": {"Service": "EC2", "Type": "Resource", "Resource": "vCPU", "Class": "Standard/OnDemand"},
            "statistic": "Maximum", "period": 300, "evaluation_periods": 1, "threshold": float(max_vcpus),
            "comparison": "GreaterThanThreshold", "treat_missing_data": "notBreaching",
            "alarm_actions": actions, "ok_actions": actions,
        })
    return alarms


def _owns(tags, owner_tags):
    tags = tags or {}
    if isinstance(tags, list):  # [{Key, Value}] as some info modules return it
        tags = {item.get("Key", item.get("key")): item.get("Value", item.get("value")) for item in tags}
    return all(tags.get(key) == value for key, value in owner_tags.items())


def guardrails_owned(found, owner_tags):
    """Split the resources found (kind -> their tags, None when absent) into this role's and others'."""
    owned, foreign = [], []
    for kind, tags in sorted((found or {}).items()):
        if tags is None:
            continue
        (owned if _owns(tags, owner_tags) else foreign).append(kind)
    return {"owned": owned, "foreign": foreign}


def guardrails_checks(values, errors, warnings):
    """The role's own input rules (types are already checked against the argument spec)."""
    for index, address in enumerate(values.get("guardrails_email_addresses") or []):
        if not isinstance(address, str) or not EMAIL.match(address):
            errors.append("guardrails_email_addresses[%d] is %r: not an email address (like ops@example.com)"
                          % (index, address))
    if not values.get("guardrails_email_addresses") and values.get("guardrails_state", "present") == "present":
        warnings.append("guardrails_email_addresses is empty: the alarms and the budget will tell nobody")
    amount = values.get("guardrails_budget_amount", 50)
    try:
        amount = float(amount)
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount < 0 or math.isnan(amount):
        errors.append("guardrails_budget_amount is %r: a budget is a positive amount (0 = no budget)"
                      % values.get("guardrails_budget_amount"))
    retention = values.get("guardrails_log_retention_days", 90)
    if not isinstance(retention, int) or isinstance(retention, bool) or retention not in LOG_RETENTION_DAYS:
        errors.append("guardrails_log_retention_days is %r: CloudWatch Logs keeps events for one of %s days "
                      "(1096, 2192, 2557, 2922 and 3288 are refused by amazon.aws.cloudwatchlogs_log_group)"
                      % (retention, ", ".join(str(days) for days in LOG_RETENTION_DAYS)))
    bucket = values.get("guardrails_trail_bucket") or ""
    if bucket and (not BUCKET.match(bucket) or ".." in bucket or IPV4.match(bucket) or bucket.startswith("xn--")
                   or bucket.endswith("-s3alias")):
        errors.append("guardrails_trail_bucket is %r: S3 bucket names are 3 to 63 lowercase letters, digits, dots and "
                      "hyphens, starting and ending with a letter or digit, not shaped like an IP address" % bucket)
    prefix = values.get("guardrails_name_prefix")
    if not bucket and isinstance(prefix, str):
        built = "%s-trail-%s" % (prefix, ACCOUNT_ID_PLACEHOLDER)
        if len(built) > 63 or not BUCKET.match(built):
            errors.append("guardrails_name_prefix is %r: the trail bucket <prefix>-trail-<account id> would break S3's "
                          "naming rules (lowercase, at most 63 characters); shorten it or set guardrails_trail_bucket"
                          % prefix)
    if isinstance(prefix, str) and len(prefix) > 64 - len("-cloudtrail-logs"):
        errors.append("guardrails_name_prefix is %r: the IAM role <prefix>-cloudtrail-logs must fit in 64 characters"
                      % prefix)
    for name in ("guardrails_max_vcpus", "guardrails_imds_hop_limit"):
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.append("%s is %r: a whole number, 0 or more" % (name, value))
    hops = values.get("guardrails_imds_hop_limit")
    if isinstance(hops, int) and not isinstance(hops, bool) and not 1 <= hops <= 64:
        errors.append("guardrails_imds_hop_limit is %r: the instance metadata hop limit is 1 to 64" % hops)
    regions = values.get("guardrails_account_regions")
    if isinstance(regions, list) and not regions:
        errors.append("guardrails_account_regions is empty: name at least the project's region")
    known = set(values.get("__guardrails_check_keys") or [])
    for key in values.get("guardrails_trail_alarms_skip") or []:
        if known and key not in known:
            errors.append("guardrails_trail_alarms_skip names %r: not one of the checks (%s)"
                          % (key, ", ".join(sorted(known))))


def guardrails_report(inputs):
    """Each guardrail, on or off, and where its alerts go: lines for the run's output."""
    if not isinstance(inputs, Mapping):
        raise AnsibleFilterError("guardrails_report expects a dict")

    def on(flag):
        return "on " if str(flag).lower() in ("true", "1", "yes") else "off"

    alerts = ", ".join(list(inputs.get("emails") or []) + list(inputs.get("notify_topics") or [])) or "nobody (no email set)"
    regions = ", ".join(inputs.get("regions") or [])
    checks = inputs.get("checks") or []
    skipped = inputs.get("skipped_checks") or []
    vcpus = int(inputs.get("max_vcpus") or 0)
    trail = "%s -> s3://%s and %s (%s days)" % (
        inputs.get("trail"), inputs.get("bucket"), inputs.get("log_group"), inputs.get("retention_days"))
    skipped_text = (" (skipped: %s)" % ", ".join(skipped)) if skipped else ""
    vcpu_text = ("above %d vCPUs -> the same topic" % vcpus) if vcpus else ""
    budget_text = ""
    if inputs.get("budget"):
        budget_text = "%s, mails %s at 80/100 %% actual, 100 %% forecast" % (
            inputs.get("budget"), ", ".join(inputs.get("emails") or []) or "nobody")
    return [
        "audit trail           on  %s" % trail,
        "trail alarms          %s %d checks%s -> topic %s -> %s" % (
            on(bool(checks)), len(checks), skipped_text, inputs.get("topic"), alerts),
        "vCPU alarm            %s %s" % (on(vcpus > 0), vcpu_text),
        "monthly budget        %s %s" % (on(bool(inputs.get("budget"))), budget_text),
        "EBS encryption        %s by default in %s" % (on(inputs.get("ebs_encryption")), regions),
        "IMDSv2 required       %s as the default of new instances in %s" % (on(inputs.get("imds_v2")), regions),
        "S3 Block Public Acc.  %s for the whole account" % on(inputs.get("s3_block_public_access")),
        "default SG closed     %s in the project VPC (network step)" % on(inputs.get("default_security_group")),
        "IAM Access Analyzer   %s" % on(inputs.get("access_analyzer")),
        "GuardDuty             %s%s" % (on(inputs.get("guardduty")), "" if str(inputs.get("guardduty")).lower() == "true"
                                        else " (billed per GB analysed; guardrails_guardduty: true)"),
    ]


class FilterModule(object):
    def filters(self):
        return {
            "guardrails_bucket_policy": guardrails_bucket_policy,
            "guardrails_trail_trust_policy": guardrails_trail_trust_policy,
            "guardrails_trail_logs_policy": guardrails_trail_logs_policy,
            "guardrails_alarms": guardrails_alarms,
            "guardrails_owned": guardrails_owned,
            "guardrails_report": guardrails_report,
        }
