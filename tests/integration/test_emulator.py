"""The emulator fixture: reset between tests, and API calls counted as reads and writes."""

from __future__ import annotations


def test_counts_reads_and_writes_per_test(aws):
    s3 = aws.client("s3")
    iam = aws.client("iam")
    s3.create_bucket(Bucket="liftoff-count", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    iam.create_user(UserName="counted")
    s3.list_buckets()
    iam.get_user(UserName="counted")
    iam.list_users()

    calls = aws.calls()
    writes = sorted(str(c) for c in calls if c.is_write)
    reads = sorted(str(c) for c in calls if c.is_read)
    assert writes == ["iam:CreateUser", "s3:PUT /liftoff-count"]
    assert reads == ["iam:GetUser", "iam:ListUsers", "s3:GET /"]


def test_json_protocol_calls_are_classified_by_target(aws):
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/liftoff/test")
    logs.describe_log_groups()
    assert [str(c) for c in aws.writes()] == ["logs:CreateLogGroup"]
    assert [str(c) for c in aws.reads()] == ["logs:DescribeLogGroups"]


def test_reset_wipes_resources_and_recording(aws):
    iam = aws.client("iam")
    iam.create_user(UserName="gone-after-reset")
    aws.reset()
    assert aws.calls() == []
    assert iam.list_users()["Users"] == []


def test_managed_policies_are_loaded(aws):
    iam = aws.client("iam")
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    assert policy["PolicyName"] == "AdministratorAccess"


def test_root_access_keys_are_reported_as_root(aws):
    """Patch layer: root keys answer as AWS does (arn:aws:iam::<account>:root)."""
    root = aws.client("sts", root=True).get_caller_identity()
    user = aws.client("sts").get_caller_identity()
    assert root["Arn"] == f"arn:aws:iam::{root['Account']}:root"
    assert root["UserId"] == root["Account"]
    assert not user["Arn"].endswith(":root")
