#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_private_bucket
short_description: A private S3 bucket - public access blocked, ACLs off, encrypted, TLS only - with honest check mode
version_added: 0.6.0
description:
  - Makes or adopts one S3 bucket and holds it to a private baseline - Block Public Access on (all four settings),
    object ownership C(BucketOwnerEnforced) (ACLs disabled), default encryption, versioning, a bucket policy that
    denies every request without TLS (plus the O(policy_statements) given), the lifecycle rules this module names
    C(liftoff-*) (other rules are kept), server access logging and tags.
  - A no-op run reads eight times (tags, versioning, encryption, public access block, ownership, policy, lifecycle,
    logging) and writes nothing. Check mode reads the same and writes nothing; diff shows every setting before
    and after.
  - A bucket that exists without O(owner_tags) is not the module's - it fails unless O(adopt) is set; V(absent)
    never deletes it.
  - V(absent) deletes the bucket only with O(force), after deleting every object version and delete marker in it;
    without O(force) the bucket is kept and said so (RV(kept)).
  - Why a module of our own - amazon.aws.s3_bucket (10.x) has no check mode (Ansible skips it under C(--check)),
    manages neither lifecycle rules nor access logging, and reads about fifteen times on a no-op; community.aws's
    s3_lifecycle and s3_logging each add a task and their reads. Upstream - ansible/ansible#27232 asked for check
    mode in s3_bucket; it was closed when the module moved to amazon.aws, which still declares none.
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description: The bucket's name.
    type: str
    required: true
  state:
    description: V(present) makes or updates the bucket, V(absent) deletes it (with O(force) only).
    type: str
    choices: [present, absent]
    default: present
  owner_tags:
    description: Tags that mark the bucket as the module's. O(tags) must include them.
    type: dict
    default: {}
  adopt:
    description: Manage a bucket that exists without O(owner_tags) (its tags are then set to O(tags)).
    type: bool
    default: false
  tags:
    description: The bucket's tags; omitted - the tags are left as they are (the owner tags added).
    type: dict
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  versioning:
    description: Keep every version of every object. V(false) suspends versioning on a bucket that had it.
    type: bool
    default: true
  encryption:
    description: Default encryption - V(AES256) (SSE-S3) or V(aws:kms) (SSE-KMS with O(kms_key_id)).
    type: str
    choices: [AES256, aws:kms]
    default: AES256
  kms_key_id:
    description: KMS key ID or ARN for V(aws:kms); empty - the account's C(aws/s3) key.
    type: str
    default: ""
  bucket_key:
    description: S3 Bucket Keys for V(aws:kms) (fewer KMS calls).
    type: bool
    default: true
  require_tls:
    description: The policy denies every request made without TLS (C(aws:SecureTransport) false).
    type: bool
    default: true
  policy_statements:
    description:
      - More bucket policy statements, each with a C(Sid). The policy is these plus the TLS statement; with no
        statements and O(require_tls=false) the bucket has no policy.
    type: list
    elements: dict
    default: []
  noncurrent_version_expiration_days:
    description: Days before an old version is deleted (lifecycle rule C(liftoff-noncurrent-versions)); 0 - kept.
    type: int
    default: 0
  expiration_days:
    description: Days before an object expires (lifecycle rule C(liftoff-expire-objects)); 0 - never.
    type: int
    default: 0
  abort_incomplete_multipart_upload_days:
    description: Days before an unfinished multipart upload is removed (rule C(liftoff-abort-multipart)); 0 - never.
    type: int
    default: 7
  logging_target_bucket:
    description:
      - Server access logs go to this bucket, under O(logging_target_prefix). Empty - no access logging (a logging
        configuration the bucket has is removed). The target bucket's policy must let C(logging.s3.amazonaws.com)
        write there.
    type: str
    default: ""
  logging_target_prefix:
    description: Key prefix of the access logs.
    type: str
    default: ""
  force:
    description: With V(absent), delete every object version and delete marker, then the bucket.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The public access block is the bucket's own; the account's (the guardrails role sets it) applies on top.
  - Only the lifecycle rules named C(liftoff-*) are the module's; rules with other IDs are kept as they are.
"""

EXAMPLES = r"""
- name: The site bucket - private, versioned, old versions gone after 30 days, access logs to the log bucket
  liftoff.aws.s3_private_bucket:
    name: demo-prod-site
    owner_tags: {Project: demo, ManagedBy: liftoff}
    tags: {Project: demo, ManagedBy: liftoff, Environment: prod}
    noncurrent_version_expiration_days: 30
    logging_target_bucket: demo-prod-site-logs
    logging_target_prefix: s3/demo-prod-site/
    policy_statements:
      - Sid: CloudFrontReadsThroughOAC
        Effect: Allow
        Principal: {Service: cloudfront.amazonaws.com}
        Action: s3:GetObject
        Resource: arn:aws:s3:::demo-prod-site/*
        Condition:
          StringEquals:
            AWS:SourceArn: arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE

- name: Delete it with everything in it
  liftoff.aws.s3_private_bucket:
    name: demo-prod-site
    owner_tags: {Project: demo, ManagedBy: liftoff}
    state: absent
    force: true
"""

RETURN = r"""
bucket:
  description: The bucket's settings after the run (empty when absent or deleted).
  returned: always
  type: dict
  sample:
    name: demo-prod-site
    arn: arn:aws:s3:::demo-prod-site
    regional_domain_name: demo-prod-site.s3.eu-west-1.amazonaws.com
    versioning: Enabled
    encryption: {algorithm: AES256, kms_key_id: "", bucket_key: false}
    public_access_block: {BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
    object_ownership: BucketOwnerEnforced
    policy: {Version: "2012-10-17", Statement: []}
    lifecycle_rules: []
    logging: {TargetBucket: demo-prod-site-logs, TargetPrefix: s3/demo-prod-site/}
    tags: {Project: demo}
created:
  description: Whether the run created the bucket (in check mode - would create).
  returned: always
  type: bool
  sample: false
changes:
  description: The settings the run changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [policy, lifecycle_rules]
deleted_objects:
  description: With V(absent) and O(force), how many object versions and delete markers were deleted.
  returned: always
  type: int
  sample: 0
kept:
  description: With V(absent), why the bucket was kept (empty when it was deleted or did not exist).
  returned: always
  type: str
  sample: "not deleted without force: demo-prod-site may hold objects"
"""

import copy
import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import error_code
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import partition_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import policy_changed
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import tag_updates
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import LiftoffAWSError

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing botocore

PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}
OWNERSHIP = "BucketOwnerEnforced"
TLS_SID = "DenyInsecureTransport"
RULE_PREFIX = "liftoff-"
# Error codes S3 answers a read of a setting the bucket does not have with.
UNSET = {
    "tags": ("NoSuchTagSet", "NoSuchTagSetError"),
    "encryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "public_access_block": ("NoSuchPublicAccessBlockConfiguration",),
    "object_ownership": ("OwnershipControlsNotFoundError",),
    "policy": ("NoSuchBucketPolicy",),
    "lifecycle_rules": ("NoSuchLifecycleConfiguration",),
}
MISSING = ("NoSuchBucket", "404", "NotFound")


def _read(description, call, unset_codes, empty):
    """One read of one setting: its value, ``empty`` when the bucket does not have it."""
    try:
        return call()
    except botocore.exceptions.ClientError as e:
        if error_code(e) in unset_codes:
            return copy.deepcopy(empty)
        raise LiftoffAWSError(message="Could not read the %s" % description, exception=e) from e
    except botocore.exceptions.BotoCoreError as e:
        raise LiftoffAWSError(message="Could not read the %s" % description, exception=e) from e


def read_tags(client, name):
    """The bucket's tags; None when there is no such bucket. Raises when it is another account's."""
    try:
        tag_set = client.get_bucket_tagging(Bucket=name, aws_retry=True)["TagSet"]
    except botocore.exceptions.ClientError as e:
        code = error_code(e)
        if code in MISSING:
            return None
        if code in UNSET["tags"]:
            return {}
        if code in ("AccessDenied", "AllAccessDisabled", "403"):
            raise LiftoffAWSError(message="Could not read bucket %s: it exists and this account may not read it "
                                  "(S3 bucket names are global - it may be another account's; pick another name)"
                                  % name, exception=e) from e
        raise LiftoffAWSError(message="Could not read the tags of bucket %s" % name, exception=e) from e
    return {t["Key"]: t["Value"] for t in tag_set}


def read_settings(client, name, tags):
    """Every setting the module manages, one read each (the tags are already read)."""
    bucket = {"tags": tags}
    versioning = _read("versioning of " + name, lambda: client.get_bucket_versioning(Bucket=name, aws_retry=True),
                       (), {})
    bucket["versioning"] = versioning.get("Status", "")
    rules = _read("encryption of " + name, lambda: client.get_bucket_encryption(Bucket=name, aws_retry=True)[
        "ServerSideEncryptionConfiguration"]["Rules"], UNSET["encryption"], [])
    bucket["encryption"] = _encryption_of(rules)
    bucket["public_access_block"] = _read(
        "public access block of " + name,
        lambda: client.get_public_access_block(Bucket=name, aws_retry=True)["PublicAccessBlockConfiguration"],
        UNSET["public_access_block"], {})
    ownership = _read("ownership controls of " + name, lambda: client.get_bucket_ownership_controls(
        Bucket=name, aws_retry=True)["OwnershipControls"]["Rules"], UNSET["object_ownership"], [])
    bucket["object_ownership"] = ownership[0]["ObjectOwnership"] if ownership else ""
    policy = _read("policy of " + name, lambda: client.get_bucket_policy(Bucket=name, aws_retry=True)["Policy"],
                   UNSET["policy"], "")
    bucket["policy"] = json.loads(policy) if policy else {}
    bucket["lifecycle_rules"] = _read(
        "lifecycle rules of " + name,
        lambda: client.get_bucket_lifecycle_configuration(Bucket=name, aws_retry=True)["Rules"],
        UNSET["lifecycle_rules"], [])
    logging = _read("access logging of " + name,
                    lambda: client.get_bucket_logging(Bucket=name, aws_retry=True), (), {})
    bucket["logging"] = logging.get("LoggingEnabled", {})
    return bucket


def _encryption_of(rules):
    if not rules:
        return {}
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
    return {"algorithm": default.get("SSEAlgorithm", ""), "kms_key_id": default.get("KMSMasterKeyID", ""),
            "bucket_key": bool(rules[0].get("BucketKeyEnabled", False))}


def bucket_arn(region, name):
    return "arn:%s:s3:::%s" % (partition_of(region or "us-east-1"), name)


def desired_policy(params, region):
    arn = bucket_arn(region, params["name"])
    statements = []
    if params["require_tls"]:
        statements.append({
            "Sid": TLS_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, arn + "/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        })
    statements.extend(params["policy_statements"])
    return {"Version": "2012-10-17", "Statement": statements} if statements else {}


def desired_rules(params, current_rules):
    """The lifecycle rules: the module's own (liftoff-*) as asked, everybody else's as they are."""
    ours = []
    if params["noncurrent_version_expiration_days"]:
        ours.append({"ID": RULE_PREFIX + "noncurrent-versions", "Status": "Enabled", "Filter": {},
                     "NoncurrentVersionExpiration": {"NoncurrentDays": params["noncurrent_version_expiration_days"]}})
    if params["expiration_days"]:
        ours.append({"ID": RULE_PREFIX + "expire-objects", "Status": "Enabled", "Filter": {},
                     "Expiration": {"Days": params["expiration_days"]}})
    if params["abort_incomplete_multipart_upload_days"]:
        ours.append({"ID": RULE_PREFIX + "abort-multipart", "Status": "Enabled", "Filter": {},
                     "AbortIncompleteMultipartUpload": {
                         "DaysAfterInitiation": params["abort_incomplete_multipart_upload_days"]}})
    theirs = [r for r in current_rules if not str(r.get("ID", "")).startswith(RULE_PREFIX)]
    return theirs + ours


def _rule_key(rule):
    """A lifecycle rule in one form: S3 answers an empty filter as {} or {"Prefix": ""}."""
    rule = copy.deepcopy(rule)
    if rule.get("Filter") in ({"Prefix": ""}, None):
        rule["Filter"] = {}
    if rule.get("Prefix") == "":
        del rule["Prefix"]
    return json.dumps(rule, sort_keys=True)


def rules_differ(current, desired):
    return sorted(map(_rule_key, current)) != sorted(map(_rule_key, desired))


def desired_settings(module, current):
    params = module.params
    tags, purge = wanted_tags(module, "bucket " + params["name"])
    to_set, to_unset = tag_updates((current or {}).get("tags", {}), tags, purge)
    after_tags = {k: v for k, v in (current or {}).get("tags", {}).items() if k not in to_unset}
    after_tags.update(to_set)
    versioning = "Enabled" if params["versioning"] else ((current or {}).get("versioning") and "Suspended") or ""
    encryption = {"algorithm": params["encryption"], "kms_key_id": "", "bucket_key": False}
    if params["encryption"] == "aws:kms":
        encryption = {"algorithm": "aws:kms", "kms_key_id": params["kms_key_id"], "bucket_key": params["bucket_key"]}
    logging = {}
    if params["logging_target_bucket"]:
        logging = {"TargetBucket": params["logging_target_bucket"], "TargetPrefix": params["logging_target_prefix"]}
    return {
        "tags": after_tags,
        "versioning": versioning,
        "encryption": encryption,
        "public_access_block": dict(PUBLIC_ACCESS_BLOCK),
        "object_ownership": OWNERSHIP,
        "policy": desired_policy(params, module.region),
        "lifecycle_rules": desired_rules(params, (current or {}).get("lifecycle_rules", [])),
        "logging": logging,
    }


def changed_settings(current, desired):
    changes = []
    for key in ("versioning", "encryption", "public_access_block", "object_ownership", "logging", "tags"):
        if key == "logging":
            differ = {k: v for k, v in current.get(key, {}).items() if k in ("TargetBucket", "TargetPrefix")} \
                != desired[key]
        else:
            differ = current.get(key) != desired[key]
        if differ:
            changes.append(key)
    current_policy = current.get("policy") or None
    if policy_changed(current_policy, desired["policy"] or None):
        changes.append("policy")
    if rules_differ(current.get("lifecycle_rules", []), desired["lifecycle_rules"]):
        changes.append("lifecycle_rules")
    return sorted(changes)


@aws_error_handler("create bucket {name}")
def create_bucket(client, name, region):
    params = {"Bucket": name, "ObjectOwnership": OWNERSHIP}
    if region and region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(aws_retry=True, **params)
    client.get_waiter("bucket_exists").wait(Bucket=name)


@aws_error_handler("set {setting} of bucket {name}")
def apply_setting(client, name, setting, desired, current):
    value = desired[setting]
    if setting == "tags":
        if value:
            client.put_bucket_tagging(Bucket=name, aws_retry=True,
                                      Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(value.items())]})
        else:
            client.delete_bucket_tagging(Bucket=name, aws_retry=True)
    elif setting == "versioning":
        client.put_bucket_versioning(Bucket=name, aws_retry=True, VersioningConfiguration={"Status": value})
    elif setting == "encryption":
        default = {"SSEAlgorithm": value["algorithm"]}
        if value["kms_key_id"]:
            default["KMSMasterKeyID"] = value["kms_key_id"]
        client.put_bucket_encryption(Bucket=name, aws_retry=True, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": value["bucket_key"]}]})
    elif setting == "public_access_block":
        client.put_public_access_block(Bucket=name, aws_retry=True, PublicAccessBlockConfiguration=value)
    elif setting == "object_ownership":
        client.put_bucket_ownership_controls(Bucket=name, aws_retry=True,
                                             OwnershipControls={"Rules": [{"ObjectOwnership": value}]})
    elif setting == "policy":
        if value:
            client.put_bucket_policy(Bucket=name, aws_retry=True, Policy=json.dumps(value))
        else:
            client.delete_bucket_policy(Bucket=name, aws_retry=True)
    elif setting == "lifecycle_rules":
        if value:
            client.put_bucket_lifecycle_configuration(Bucket=name, aws_retry=True,
                                                      LifecycleConfiguration={"Rules": value})
        else:
            client.delete_bucket_lifecycle(Bucket=name, aws_retry=True)
    elif setting == "logging":
        status = {"LoggingEnabled": value} if value else {}
        client.put_bucket_logging(Bucket=name, aws_retry=True, BucketLoggingStatus=status)


# The order settings are applied in: the public access block and ownership before the policy, so the bucket is never
# open between two calls; tags last.
ORDER = ("public_access_block", "object_ownership", "encryption", "versioning", "policy", "lifecycle_rules",
         "logging", "tags")


def _returned(module, settings):
    if not settings:
        return {}
    name = module.params["name"]
    region = module.region or "us-east-1"
    return dict(settings, name=name, arn=bucket_arn(region, name),
                regional_domain_name="%s.s3.%s.amazonaws.com" % (name, region))


def ensure_present(module, client):
    params = module.params
    name = params["name"]
    tags = read_tags(client, name)
    created = tags is None
    owner_tags = owner_tags_of(module)
    if not created and not params["adopt"] and not is_owned(tags, owner_tags):
        module.fail_json(msg="Bucket %s exists but does not carry the owner tags %s, so it is not this run's: set "
                         "adopt to manage it, or pick another name" % (name, json.dumps(owner_tags, sort_keys=True)))
    before = {} if created else read_settings(client, name, tags)
    # A new bucket gets every setting written, whatever S3's defaults for new buckets are at the time (and where).
    current = before if not created else {
        "tags": {}, "versioning": "", "encryption": {}, "public_access_block": {}, "object_ownership": "",
        "policy": {}, "lifecycle_rules": [], "logging": {}}
    desired = desired_settings(module, current)
    changes = changed_settings(current, desired)
    if not module.check_mode:
        if created:
            create_bucket(client, name, module.region)
        for setting in ORDER:
            if setting in changes:
                apply_setting(client, name, setting, desired, current)
    changed = created or bool(changes)
    return result(module, changed, _returned(module, before), _returned(module, desired),
                  bucket=_returned(module, desired), created=created, changes=changes, deleted_objects=0, kept="")


@aws_error_handler("empty bucket {name}")
def empty_bucket(client, name):
    deleted = 0
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=name):
        keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(keys), 1000):
            answer = client.delete_objects(Bucket=name, aws_retry=True,
                                           Delete={"Objects": keys[start:start + 1000], "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise LiftoffAWSError(message="Could not delete %s in bucket %s: %s" % (
                    first.get("Key"), name, first.get("Message", first.get("Code"))))
            deleted += len(keys[start:start + 1000])
    return deleted


@aws_error_handler("delete bucket {name}")
def delete_bucket(client, name):
    client.delete_bucket(Bucket=name, aws_retry=True)


def ensure_absent(module, client):
    params = module.params
    name = params["name"]
    tags = read_tags(client, name)
    if tags is None:
        return result(module, False, {}, {}, bucket={}, created=False, changes=[], deleted_objects=0, kept="")
    if not is_owned(tags, owner_tags_of(module)):
        return result(module, False, {}, {}, bucket={}, created=False, changes=[], deleted_objects=0,
                      kept="%s does not carry the owner tags: not this run's bucket, never deleted by it" % name)
    if not params["force"]:
        return result(module, False, {}, {}, bucket={}, created=False, changes=[], deleted_objects=0,
                      kept="not deleted without force: %s may hold objects" % name)
    deleted = 0
    if not module.check_mode:
        deleted = empty_bucket(client, name)
        delete_bucket(client, name)
    return result(module, True, {"name": name, "tags": tags}, {}, bucket={}, created=False, changes=["deleted"],
                  deleted_objects=deleted, kept="")


def check_params(module):
    params = module.params
    for option in ("noncurrent_version_expiration_days", "expiration_days", "abort_incomplete_multipart_upload_days"):
        if params[option] < 0:
            module.fail_json(msg="%s is %d: a number of days, 0 or more" % (option, params[option]))
    if params["kms_key_id"] and params["encryption"] != "aws:kms":
        module.fail_json(msg="kms_key_id is set but encryption is %s, not aws:kms" % params["encryption"])
    for index, statement in enumerate(params["policy_statements"]):
        if not statement.get("Sid"):
            module.fail_json(msg="policy_statements[%d] has no Sid (each statement needs one)" % index)
        if statement.get("Sid") == TLS_SID:
            module.fail_json(msg="policy_statements[%d]: the Sid %s is the module's own TLS statement"
                             % (index, TLS_SID))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        owner_tags=dict(type="dict", default={}),
        adopt=dict(type="bool", default=False),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        versioning=dict(type="bool", default=True),
        encryption=dict(type="str", choices=["AES256", "aws:kms"], default="AES256"),
        kms_key_id=dict(type="str", default="", no_log=False),
        bucket_key=dict(type="bool", default=True, no_log=False),
        require_tls=dict(type="bool", default=True),
        policy_statements=dict(type="list", elements="dict", default=[]),
        noncurrent_version_expiration_days=dict(type="int", default=0),
        expiration_days=dict(type="int", default=0),
        abort_incomplete_multipart_upload_days=dict(type="int", default=7),
        logging_target_bucket=dict(type="str", default=""),
        logging_target_prefix=dict(type="str", default=""),
        force=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    check_params(module)
    run_state(module, ensure_present, ensure_absent, aws_client(module, "s3"))


if __name__ == "__main__":
    main()
