"""Role liftoff.aws.s3_site against the emulator: the sandbox's static site in a private bucket, read back - public
access blocked, ACLs off, encrypted, TLS only, versioned, logged, and readable by CloudFront only for the named
distribution; the upload and log buckets; a re-run that writes nothing; a changed file re-uploaded alone; bad input
refused before any call; and a teardown that keeps everything without force and never touches a foreign bucket."""

from __future__ import annotations

import json
import shutil

from tests.harness.owned import READS_PER_RESOURCE_GOAL, reads_per_resource, s3_site_resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "s3_site.yml"
SITE_DIR = REPO_ROOT / "examples" / "sandbox" / "site"
SITE, UPLOADS, LOGS = "liftoff-demo-sandbox-site", "liftoff-demo-sandbox-uploads", "liftoff-demo-sandbox-site-logs"
DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/E2SANDBOX0001"
TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}


def _buckets(s3) -> set[str]:
    return {b["Name"] for b in s3.list_buckets()["Buckets"]}


def _grants_to_everyone_without_source_arn(policy: dict) -> list[dict]:
    """Allow statements any principal could use: Principal * (or AWS *) or a service, without AWS:SourceArn."""
    found = []
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        principal = statement.get("Principal")
        anyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"]))
        service = isinstance(principal, dict) and "Service" in principal
        conditions = {key for test in statement.get("Condition", {}).values() for key in test}
        if (anyone or service) and "AWS:SourceArn" not in conditions and "aws:SourceArn" not in conditions:
            found.append(statement)
    return found


def test_s3_site_lifecycle(playbook, aws, tmp_path):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="hand-made-assets", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    site = tmp_path / "site"
    shutil.copytree(SITE_DIR, site)
    extra = {"s3_site_content_dir": str(site), "s3_site_distribution_arns": [DISTRIBUTION]}

    # -- bad input: refused by name, before any AWS call ------------------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=dict(extra, s3_site_bucket="My.Site", s3_site_log_retention_days=-1,
                                                s3_site_distribution_arns=["E2SANDBOX0001"],
                                                s3_site_content_dir=str(tmp_path / "missing")))
    assert result.rc != 0
    for message in ("s3_site_bucket is 'My.Site': S3 bucket names are 3 to 63 characters",
                    "s3_site_log_retention_days is -1: a number of days",
                    "s3_site_distribution_arns[0] is 'E2SANDBOX0001': not a CloudFront distribution ARN",
                    "s3_site_content_dir is '%s': no such folder" % (tmp_path / "missing")):
        assert message in result.stdout, str(result)
    assert aws.calls() == []

    # -- check mode on an empty account: predicts, writes nothing ----------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=extra, env=ENV)
    assert result.rc == 0 and result.changed >= 1, str(result)
    assert aws.writes() == [] and _buckets(s3) == {"hand-made-assets"}
    assert "every file of %s would be uploaded once the bucket exists" % site in result.stdout

    # -- create --------------------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, extra_vars=extra, env=ENV)
    assert result.rc == 0, str(result)
    facts = result.facts("S3_SITE")
    assert facts["arn"] == f"arn:aws:s3:::{SITE}" and facts["domain"] == f"{SITE}.s3.eu-west-1.amazonaws.com"
    assert sorted(facts["changed_keys"]) == ["404.html", "about/index.html", "assets/logo.svg",
                                             "assets/site.5d41402a.css", "index.html", "robots.txt"]
    assert _buckets(s3) == {"hand-made-assets", SITE, UPLOADS, LOGS}
    for bucket in (SITE, UPLOADS, LOGS):
        assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
        assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
            {"ObjectOwnership": "BucketOwnerEnforced"}]
        sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]} == dict(
            TAGS, LiftoffRole="s3_site")
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        tls = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        assert tls == [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]
        # Nothing is granted to everyone, or to a service, without naming who may use it.
        assert _grants_to_everyone_without_source_arn(policy) == [], policy
    site_policy = json.loads(s3.get_bucket_policy(Bucket=SITE)["Policy"])
    grant = [s for s in site_policy["Statement"] if s["Effect"] == "Allow"]
    assert grant == [{"Sid": "CloudFrontReadsThroughOAC", "Effect": "Allow",
                      "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                      "Resource": f"arn:aws:s3:::{SITE}/*",
                      "Condition": {"StringEquals": {"AWS:SourceArn": [DISTRIBUTION]}}}]
    assert [s for s in json.loads(s3.get_bucket_policy(Bucket=UPLOADS)["Policy"])["Statement"]
            if s["Effect"] == "Allow"] == []
    for bucket in (SITE, UPLOADS):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {"TargetBucket": LOGS,
                                                                          "TargetPrefix": f"s3/{bucket}/"}
        rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
        assert rules["liftoff-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    log_rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=LOGS)["Rules"]}
    assert log_rules["liftoff-expire-objects"]["Expiration"] == {"Days": 90}
    # each bucket's logs may go to its own folder only, from that bucket of this account only
    delivery = [s for s in json.loads(s3.get_bucket_policy(Bucket=LOGS)["Policy"])["Statement"] if s["Effect"] == "Allow"]
    assert [(s["Principal"], s["Action"], s["Resource"], s["Condition"]) for s in delivery] == [
        ({"Service": "logging.s3.amazonaws.com"}, "s3:PutObject", f"arn:aws:s3:::{LOGS}/s3/{bucket}/*",
         {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}, "StringEquals": {"aws:SourceAccount": "123456789012"}})
        for bucket in (SITE, UPLOADS)]
    index = s3.head_object(Bucket=SITE, Key="index.html")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html; charset=utf-8", "public, max-age=0, must-revalidate")
    css = s3.head_object(Bucket=SITE, Key="assets/site.5d41402a.css")
    assert (css["ContentType"], css["CacheControl"]) == ("text/css; charset=utf-8", "public, max-age=31536000, immutable")
    assert s3.head_object(Bucket=SITE, Key="assets/logo.svg")["CacheControl"] == "public, max-age=3600"
    assert s3.get_object(Bucket=SITE, Key="about/index.html")["Body"].read() == (site / "about" / "index.html").read_bytes()

    # -- re-run: nothing changes, no write, at most two reads per managed resource --------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=extra, env=ENV)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert aws.writes() == [], aws.writes()
    owned = s3_site_resources(aws, "liftoff-demo-sandbox", TAGS)
    reads = len(aws.calls())
    assert reads_per_resource(reads, owned) <= READS_PER_RESOURCE_GOAL, (reads, owned, aws.calls())
    assert result.facts("S3_SITE")["changed_keys"] == []

    # -- a changed page and a removed one: only they are written and reported -------------------------------
    (site / "index.html").write_text("<h1>new home</h1>\n")
    (site / "robots.txt").unlink()
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, extra_vars=dict(extra, s3_site_delete_removed=True), env=ENV)
    assert result.rc == 0 and aws.writes() == [] and "1 updated, 1 deleted" in result.stdout, str(result)
    result = playbook(PLAYBOOK, extra_vars=dict(extra, s3_site_delete_removed=True), env=ENV)
    assert result.rc == 0 and result.changed == 1, str(result)
    assert result.facts("S3_SITE")["changed_keys"] == ["index.html", "robots.txt"]
    assert s3.get_object(Bucket=SITE, Key="index.html")["Body"].read() == b"<h1>new home</h1>\n"

    # -- teardown without force: every bucket kept and said so; with force: ours gone, the foreign one kept -----
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=dict(extra, s3_site_state="absent"))
    assert result.rc == 0 and result.changed == 0 and aws.writes() == [], str(result)
    assert f"not deleted without force: {SITE} may hold objects" in result.stdout
    result = playbook(PLAYBOOK, extra_vars=dict(extra, s3_site_state="absent", s3_site_force=True))
    assert result.rc == 0, str(result)
    assert _buckets(s3) == {"hand-made-assets"}
    assert s3_site_resources(aws, "liftoff-demo-sandbox", TAGS) == 0


def test_a_foreign_bucket_of_the_sites_name_is_refused_and_survives(playbook, aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=SITE, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=SITE, Key="theirs.txt", Body=b"someone else's")
    result = playbook(PLAYBOOK, extra_vars={"s3_site_upload_bucket": "", "s3_site_log_bucket": ""})
    assert result.rc != 0 and f"Bucket {SITE} exists but does not carry the owner tags" in result.stdout, str(result)
    result = playbook(PLAYBOOK, extra_vars={"s3_site_state": "absent", "s3_site_force": True}, env=ENV)
    assert result.rc == 0 and "not this run's bucket, never deleted by it" in result.stdout, str(result)
    assert s3.get_object(Bucket=SITE, Key="theirs.txt")["Body"].read() == b"someone else's"
