# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The s3_site role's buckets (site, uploads, access logs) as module arguments, and its own input checks."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.module_utils.core import partition_of

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DISTRIBUTION_ARN = re.compile(r"^arn:aws[a-z-]*:cloudfront::\d{12}:distribution/[A-Z0-9]+$")
KINDS = ("site", "uploads", "logs")
# Where server access logs go in the log bucket: one folder per bucket.
LOG_PREFIX = "s3/%s/"


def bucket_name_problem(name):
    """Why ``name`` is not a valid S3 bucket name (general purpose buckets), or None."""
    if not isinstance(name, str):
        return "not a string"
    if not BUCKET_NAME.match(name):
        return "S3 bucket names are 3 to 63 characters of lowercase letters, digits, dots and hyphens, starting and " \
               "ending with a letter or digit"
    if ".." in name or re.match(r"^\d+\.\d+\.\d+\.\d+$", name):
        return "S3 bucket names have no two dots in a row and are not IP addresses"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3", ".mrap",
                                                                               "--x-s3", "--table-s3")):
        return "S3 reserves that prefix or suffix"
    if "." in name:
        return "a dot in the name breaks TLS on the bucket's virtual-hosted address (CloudFront reaches it over TLS)"
    return None


def _days_problem(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "a number of days, 0 or more"
    return None


def s3_site_checks(values, regions, errors, warnings):
    """The s3_site role's own input rules, after the type checks."""
    names = {}
    for kind, option in (("site", "s3_site_bucket"), ("uploads", "s3_site_upload_bucket"), ("logs", "s3_site_log_bucket")):
        name = values.get(option)
        if name is None or (kind != "site" and name == ""):
            continue
        problem = bucket_name_problem(name)
        if problem:
            errors.append("%s is %r: %s" % (option, name, problem))
        elif name in names:
            errors.append("%s is %r, the same bucket as %s" % (option, name, names[name]))
        names.setdefault(name, option)
    for option in ("s3_site_noncurrent_version_days", "s3_site_upload_noncurrent_version_days",
                   "s3_site_log_retention_days"):
        if option in values and _days_problem(values[option]):
            errors.append("%s is %r: %s" % (option, values[option], _days_problem(values[option])))
    if values.get("s3_site_kms_key_id") and values.get("s3_site_encryption", "AES256") != "aws:kms":
        errors.append("s3_site_kms_key_id is set but s3_site_encryption is %r, not aws:kms"
                      % values.get("s3_site_encryption", "AES256"))
    for index, arn in enumerate(values.get("s3_site_distribution_arns") or []):
        if not DISTRIBUTION_ARN.match(str(arn)):
            errors.append("s3_site_distribution_arns[%d] is %r: not a CloudFront distribution ARN "
                          "(arn:aws:cloudfront::<account>:distribution/<ID>)" % (index, arn))
    prefix = values.get("s3_site_prefix") or ""
    if prefix.startswith("/") or (prefix and not prefix.endswith("/")):
        errors.append("s3_site_prefix is %r: a key prefix like site/ - no leading slash, one trailing slash" % prefix)
    content = values.get("s3_site_content_dir") or ""
    if content and values.get("__s3_site_content_dir_exists") is False:
        errors.append("s3_site_content_dir is %r: no such folder on the controller" % content)
    for index, rule in enumerate(values.get("s3_site_cache_control") or []):
        where = "s3_site_cache_control[%d]" % index
        if not isinstance(rule, Mapping) or not rule.get("value") or (bool(rule.get("pattern")) == bool(rule.get("regex"))):
            errors.append("%s is %r: give value and one of pattern (a shell glob) or regex" % (where, rule))
            continue
        if rule.get("regex"):
            try:
                re.compile(rule["regex"])
            except re.error as error:
                errors.append("%s.regex is %r: not a regular expression (%s)" % (where, rule["regex"], error))


def _grant(arn, distribution_arns):
    """Read access for CloudFront through origin access control: only the listed distributions (AWS:SourceArn)."""
    return {
        "Sid": "CloudFrontReadsThroughOAC", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": arn + "/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": sorted(distribution_arns)}},
    }


def _log_delivery(arn, kind, source, account):
    """S3 server access logs of one bucket (``source``, of this account) may be written to its own folder only."""
    condition = {"ArnLike": {"aws:SourceArn": source["arn"]}}
    if account:
        condition["StringEquals"] = {"aws:SourceAccount": str(account)}
    return {
        "Sid": "AccessLogsFrom" + kind.capitalize(), "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": "%s/%s*" % (arn, LOG_PREFIX % source["name"]), "Condition": condition,
    }


def s3_site_buckets(settings):
    """The role's buckets in the order they are made (the log bucket first), as s3_private_bucket arguments.

    ``settings``: site, uploads, logs (names; uploads and logs may be empty), region, account, distribution_arns,
    encryption, kms_key_id, site_noncurrent_days, upload_noncurrent_days, log_retention_days, tags, owner_tags, adopt.
    """
    if not isinstance(settings, Mapping) or not settings.get("site"):
        raise AnsibleFilterError("s3_site_buckets needs a dict with at least the site bucket's name (site)")
    partition = partition_of(settings.get("region") or "us-east-1")
    arn = {kind: "arn:%s:s3:::%s" % (partition, settings[kind]) for kind in KINDS if settings.get(kind)}
    common = {"owner_tags": dict(settings.get("owner_tags") or {}), "tags": dict(settings.get("tags") or {}),
              "adopt": bool(settings.get("adopt"))}
    encryption = {"encryption": settings.get("encryption") or "AES256"}
    if encryption["encryption"] == "aws:kms" and settings.get("kms_key_id"):
        encryption["kms_key_id"] = settings["kms_key_id"]
    buckets = []
    logs = settings.get("logs") or ""
    if logs:
        # Server access logs cannot be delivered to a bucket encrypted with a KMS key: SSE-S3 here, whatever the rest.
        statements = [_log_delivery(arn["logs"], kind, {"arn": arn[kind], "name": settings[kind]}, settings.get("account"))
                      for kind in ("site", "uploads") if kind in arn]
        buckets.append(dict(common, kind="logs", name=logs, versioning=False, encryption="AES256",
                            expiration_days=int(settings.get("log_retention_days") or 0),
                            policy_statements=statements))
    for kind, days in (("site", "site_noncurrent_days"), ("uploads", "upload_noncurrent_days")):
        if not settings.get(kind):
            continue
        bucket = dict(common, kind=kind, name=settings[kind], versioning=True,
                      noncurrent_version_expiration_days=int(settings.get(days) or 0), policy_statements=[],
                      **encryption)
        if kind == "site" and settings.get("distribution_arns"):
            bucket["policy_statements"] = [_grant(arn["site"], settings["distribution_arns"])]
        if logs:
            bucket.update(logging_target_bucket=logs, logging_target_prefix=LOG_PREFIX % settings[kind])
        buckets.append(bucket)
    return buckets


def _bucket_line(made):
    bucket = made.get("__s3_site_bucket") or {}
    label = "%s (%s)" % (bucket.get("name", "?"), bucket.get("kind", "?"))
    if made.get("created"):
        return label + ": created"
    if made.get("changes"):
        return label + ": changed " + ", ".join(made["changes"])
    return label + ": as wanted"


def s3_site_report(made, sync, distribution_arns, content_dir=""):
    """What the role did, line by line: each bucket (the loop's registered results), the sync, who may read."""
    lines = [_bucket_line(m) for m in made or []]
    sync = sync or {}
    if not content_dir:
        lines.append("site: no s3_site_content_dir, nothing synced")
    elif sync.get("skipped") or not sync:
        lines.append("site: every file of %s would be uploaded once the bucket exists (check mode)" % content_dir)
    else:
        lines.append("site: %d files - %d new, %d updated, %d deleted, %d unchanged" % (
            sync.get("files", 0), len(sync.get("created", [])), len(sync.get("updated", [])),
            len(sync.get("deleted", [])), sync.get("unchanged", 0)))
    if distribution_arns:
        lines.append("readable through CloudFront (origin access control) by " + ", ".join(distribution_arns))
    else:
        lines.append("no CloudFront distribution may read the site bucket yet (s3_site_distribution_arns is empty)")
    return lines


class FilterModule(object):
    def filters(self):
        return {"s3_site_buckets": s3_site_buckets, "s3_site_report": s3_site_report}
