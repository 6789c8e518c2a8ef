"""Role liftoff.aws.thumbnails against the emulator: bad input refused before any call (the thumbnail bucket equal to
the source first of all), check mode that writes nothing, the function, its package, permission, trigger, queue and
log group read back, a re-run with zero writes, and a teardown that removes the trigger and the function and keeps
the thumbnail bucket without force.

The emulator cannot run a function (moto needs Docker for that): the handler's behaviour is tests/unit/
test_thumbnails_handler.py, against moto's S3 with real image bytes."""

from __future__ import annotations

import json
import zipfile

from tests.harness.owned import READS_PER_RESOURCE_GOAL, reads_per_resource, thumbnails_resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "thumbnails.yml"
PREFIX = "liftoff-demo-sandbox"
SOURCE, THUMBS, FUNCTION = f"{PREFIX}-uploads", f"{PREFIX}-thumbnails", f"{PREFIX}-thumbnails"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/liftoff/liftoff-demo/sandbox/{PREFIX}-thumbnails"


def _setup(aws):
    """What the earlier steps make: the upload bucket (s3_site) and the function's role (iam)."""
    aws.client("s3").create_bucket(Bucket=SOURCE, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    aws.client("iam").create_role(RoleName=f"{PREFIX}-thumbnails", Path="/liftoff/liftoff-demo/sandbox/",
                                  AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                      "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                      "Action": "sts:AssumeRole"}]}))


def test_thumbnails_lifecycle(playbook, aws, tmp_path):
    _setup(aws)
    s3, lam = aws.client("s3"), aws.client("lambda")
    extra = {"thumbnails_build_dir": str(tmp_path / "build")}

    # -- bad input: refused by name, before any AWS call ------------------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=dict(extra, thumbnails_bucket=SOURCE, thumbnails_max_size="big",
                                                thumbnails_log_retention_days=10,
                                                thumbnails_pillow_layer_arns=["pillow"]))
    assert result.rc != 0
    for message in (f"thumbnails_bucket is the source bucket '{SOURCE}'",
                    "thumbnails_max_size is 'big'",
                    "thumbnails_log_retention_days is 10: CloudWatch Logs keeps logs one of",
                    "thumbnails_pillow_layer_arns[0] is 'pillow': not a Lambda layer version ARN"):
        assert message in result.stdout, str(result)
    assert aws.calls() == []

    # -- check mode: predicts, writes nothing --------------------------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, extra_vars=extra)
    assert result.rc == 0 and result.changed > 0, str(result)
    assert aws.writes() == []
    assert lam.list_functions()["Functions"] == []

    # -- create ----------------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, extra_vars=extra)
    assert result.rc == 0, str(result)
    function = lam.get_function(FunctionName=FUNCTION)["Configuration"]
    assert (function["Runtime"], function["Handler"], function["Role"]) == ("python3.12", "thumbnails_handler.handler", ROLE)
    assert function["Environment"]["Variables"]["THUMBNAIL_BUCKET"] == THUMBS
    assert function["DeadLetterConfig"]["TargetArn"].endswith(f":{FUNCTION}-failed")
    # the package: the handler at the top, Pillow for Linux x86_64 beside it (not the controller's build)
    package = zipfile.ZipFile(tmp_path / "build" / "function.zip")
    names = package.namelist()
    assert "thumbnails_handler.py" in names and "PIL/__init__.py" in names
    assert any(n.startswith("PIL/_imaging.cpython-312-x86_64-linux-gnu") for n in names), [n for n in names if "_imaging" in n]
    # S3 may invoke it for the source bucket of this account only
    policy = json.loads(lam.get_policy(FunctionName=FUNCTION)["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:s3:::{SOURCE}"
    assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT
    triggers = s3.get_bucket_notification_configuration(Bucket=SOURCE)["LambdaFunctionConfigurations"]
    suffixes = sorted(r["Value"] for t in triggers for r in t["Filter"]["Key"]["FilterRules"] if r["Name"].lower() == "suffix")
    assert suffixes == [".gif", ".jpeg", ".jpg", ".png", ".webp"]
    assert all(t["LambdaFunctionArn"].endswith(f":function:{FUNCTION}") for t in triggers)
    assert THUMBS in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert s3.get_bucket_notification_configuration(Bucket=THUMBS).get("LambdaFunctionConfigurations", []) == []
    group = aws.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{FUNCTION}")["logGroups"]
    assert [g["retentionInDays"] for g in group] == [30]

    # -- re-run: nothing changes, no write -------------------------------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=extra)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert aws.writes() == [], aws.writes()
    # (the run's reads, before the count below reads the emulator too; the account lookup is preflight's in site.yml)
    reads = [f"{c.service}:{c.operation}" for c in aws.reads() if c.operation not in ("GetCallerIdentity", "ListAccountAliases")]
    owned = thumbnails_resources(aws, PREFIX, {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"})
    assert reads_per_resource(len(reads), owned) <= READS_PER_RESOURCE_GOAL, (len(reads), owned, reads)

    # -- teardown: trigger, function, queue, logs go; the thumbnail bucket stays without force ------------
    result = playbook(PLAYBOOK, extra_vars=dict(extra, thumbnails_state="absent"))
    assert result.rc == 0, str(result)
    assert lam.list_functions()["Functions"] == []
    assert s3.get_bucket_notification_configuration(Bucket=SOURCE).get("LambdaFunctionConfigurations", []) == []
    assert THUMBS in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    result = playbook(PLAYBOOK, extra_vars=dict(extra, thumbnails_state="absent", thumbnails_force=True))
    assert result.rc == 0 and THUMBS not in {b["Name"] for b in s3.list_buckets()["Buckets"]}, str(result)
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=dict(extra, thumbnails_state="absent", thumbnails_force=True))
    assert result.rc == 0 and result.changed == 0 and aws.writes() == [], str(result)
