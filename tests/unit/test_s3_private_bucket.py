"""liftoff.aws.s3_private_bucket, in-process against moto: a bucket made private (public access blocked, ACLs off,
encrypted, TLS only, versioned, lifecycle, logging, tags) and read back; eight reads and no write on a re-run; check
mode that writes nothing; a foreign bucket refused and never deleted; absent that deletes only with force."""

from __future__ import annotations

import json

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import s3_private_bucket
from tests.harness import moto_patches
from tests.unit.module_runner import run_module, writes

OWNER = {"Project": "demo", "ManagedBy": "liftoff"}
REGION = "eu-west-1"
NAME = "demo-prod-site"
GRANT = {"Sid": "CloudFrontReadsThroughOAC", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{NAME}/*",
         "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"}}}


def args(**overrides):
    return dict({"name": NAME, "region": REGION, "owner_tags": OWNER, "tags": dict(OWNER, Environment="prod"),
                 "noncurrent_version_expiration_days": 30, "policy_statements": [GRANT]}, **overrides)


@pytest.fixture
def s3(moto_aws):
    moto_patches.patch_policy_statement_unmet_condition()  # moto refuses every request under a TLS-only policy
    return boto3.client("s3", region_name=REGION)


def _log_target(s3):
    s3.create_bucket(Bucket="demo-prod-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket="demo-prod-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::demo-prod-logs/*"}]}))


def test_check_mode_predicts_then_create_then_a_rerun_reads_eight_times_and_writes_nothing(s3):
    _log_target(s3)
    wanted = args(logging_target_bucket="demo-prod-logs", logging_target_prefix="s3/site/")
    outcome, calls = run_module(s3_private_bucket, wanted, check=True, diff=True)
    assert outcome["changed"] and outcome["created"] and writes(calls) == []
    assert NAME not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert outcome["diff"]["before"] == {} and outcome["diff"]["after"]["object_ownership"] == "BucketOwnerEnforced"

    outcome, _calls = run_module(s3_private_bucket, wanted)
    assert outcome["changed"] and outcome["created"], outcome
    assert s3.get_public_access_block(Bucket=NAME)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert s3.get_bucket_ownership_controls(Bucket=NAME)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=NAME)["Status"] == "Enabled"
    sse = s3.get_bucket_encryption(Bucket=NAME)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=NAME)["Policy"])
    tls = [s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport"]
    assert tls and tls[0]["Effect"] == "Deny" and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=NAME)["Rules"]}
    assert rules["liftoff-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rules["liftoff-abort-multipart"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert s3.get_bucket_logging(Bucket=NAME)["LoggingEnabled"]["TargetBucket"] == "demo-prod-logs"
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=NAME)["TagSet"]} == dict(OWNER, Environment="prod")

    outcome, calls = run_module(s3_private_bucket, wanted)
    assert not outcome["changed"] and outcome["changes"] == [], outcome
    assert writes(calls) == [] and len(calls) == 8, calls
    assert outcome["bucket"]["regional_domain_name"] == f"{NAME}.s3.{REGION}.amazonaws.com"


def test_a_drifted_setting_is_put_back_alone_and_other_lifecycle_rules_are_kept(s3):
    run_module(s3_private_bucket, args())
    s3.delete_public_access_block(Bucket=NAME)
    s3.put_bucket_lifecycle_configuration(Bucket=NAME, LifecycleConfiguration={"Rules": [
        {"ID": "theirs", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
    outcome, calls = run_module(s3_private_bucket, args(), check=True, diff=True)
    assert outcome["changed"] and outcome["changes"] == ["lifecycle_rules", "public_access_block"]
    assert writes(calls) == []
    outcome, calls = run_module(s3_private_bucket, args())
    assert sorted(writes(calls)) == ["PutBucketLifecycleConfiguration", "PutPublicAccessBlock"]
    ids = sorted(r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=NAME)["Rules"])
    assert ids == ["liftoff-abort-multipart", "liftoff-noncurrent-versions", "theirs"]


def test_a_foreign_bucket_is_refused_unless_adopted_and_never_deleted(s3):
    s3.create_bucket(Bucket=NAME, CreateBucketConfiguration={"LocationConstraint": REGION})
    outcome, calls = run_module(s3_private_bucket, args())
    assert outcome.get("failed") and "does not carry the owner tags" in outcome["msg"] and writes(calls) == []
    outcome, _calls = run_module(s3_private_bucket, args(state="absent", force=True))
    assert not outcome["changed"] and "not this run's bucket" in outcome["kept"]
    assert NAME in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    outcome, _calls = run_module(s3_private_bucket, args(adopt=True))
    assert outcome["changed"] and not outcome["created"] and "tags" in outcome["changes"]


def test_absent_keeps_the_bucket_without_force_and_empties_every_version_with_it(s3):
    run_module(s3_private_bucket, args())
    for body in (b"one", b"two"):
        s3.put_object(Bucket=NAME, Key="index.html", Body=body)
    s3.delete_object(Bucket=NAME, Key="index.html")
    outcome, calls = run_module(s3_private_bucket, args(state="absent"))
    assert not outcome["changed"] and "without force" in outcome["kept"] and writes(calls) == []
    outcome, calls = run_module(s3_private_bucket, args(state="absent", force=True), check=True)
    assert outcome["changed"] and writes(calls) == []
    outcome, _calls = run_module(s3_private_bucket, args(state="absent", force=True))
    assert outcome["changed"] and outcome["deleted_objects"] == 3
    assert NAME not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    outcome, calls = run_module(s3_private_bucket, args(state="absent", force=True))
    assert not outcome["changed"] and writes(calls) == []


@pytest.mark.parametrize("overrides, message", [
    ({"kms_key_id": "alias/site"}, "kms_key_id is set but encryption is AES256"),
    ({"policy_statements": [{"Effect": "Allow"}]}, "policy_statements[0] has no Sid"),
    ({"policy_statements": [{"Sid": "DenyInsecureTransport"}]}, "the module's own TLS statement"),
    ({"expiration_days": -1}, "expiration_days is -1"),
    ({"tags": {"Project": "other"}}, "tags must include owner_tags"),
])
def test_bad_parameters_fail_before_any_call(s3, overrides, message):
    outcome, calls = run_module(s3_private_bucket, args(**overrides))
    assert outcome.get("failed") and message in outcome["msg"], outcome
    assert writes(calls) == []
