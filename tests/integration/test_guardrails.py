"""Role liftoff.aws.guardrails against the emulator: the trail, its bucket and log group, the alarms on it, the
budget and the account defaults, read back the way a user would see them; and that nothing made by hand is
touched. One playbook run per lifecycle stage."""

from __future__ import annotations

import json

import botocore.exceptions

from tests.harness.owned import READS_PER_RESOURCE_GOAL, guardrails_resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "guardrails.yml"
SG_PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "default_security_group.yml"
PREFIX = "liftoff-demo-sandbox"
ACCOUNT = "123456789012"
BUCKET = f"{PREFIX}-trail-{ACCOUNT}"
TRAIL = f"{PREFIX}-audit"
LOG_GROUP = f"/liftoff/{PREFIX}/cloudtrail"
ALARMS = f"guardrails-{PREFIX}-"
TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
OUR_TAGS = dict(TAGS, LiftoffRole="guardrails")
EMAILS = ["ops@example.com"]
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}


def _alarms(cw) -> dict[str, dict]:
    pages = cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=ALARMS)
    return {a["AlarmName"]: a for page in pages for a in page["MetricAlarms"]}


def _filters(logs) -> dict[str, dict]:
    return {f["filterName"]: f for f in logs.describe_metric_filters(logGroupName=LOG_GROUP)["metricFilters"]}


def _account_defaults(aws) -> dict:
    ec2, s3control = aws.client("ec2"), aws.client("s3control")
    try:
        block = s3control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    except botocore.exceptions.ClientError:
        block = {}
    return {
        "ebs": ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"],
        "imds": ec2.get_instance_metadata_defaults()["AccountLevel"],
        "s3": block,
    }


def test_guardrails_lifecycle(playbook, aws):
    s3, logs, cw, trail = aws.client("s3"), aws.client("logs"), aws.client("cloudwatch"), aws.client("cloudtrail")
    budgets, sns = aws.client("budgets", region="us-east-1"), aws.client("sns")
    # Made by hand: a trail and an alarm the role must never touch.
    s3.create_bucket(Bucket="hand-made-trail", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    trail.create_trail(Name="hand-made", S3BucketName="hand-made-trail")
    cw.put_metric_alarm(AlarmName=f"{ALARMS}hand-made", Namespace="AWS/EC2", MetricName="CPUUtilization",
                        Statistic="Average", Period=300, EvaluationPeriods=1, Threshold=50,
                        ComparisonOperator="GreaterThanThreshold")
    variables = {"guardrails_email_addresses": EMAILS}

    # -- check mode on an empty account: predicts, writes nothing -----------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars=variables, env=ENV)
    assert result.rc == 0 and result.changed >= 8, str(result)
    assert aws.writes() == []
    assert [t["Name"] for t in trail.describe_trails()["trailList"]] == ["hand-made"]

    # -- create ---------------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, extra_vars=variables, env=ENV)
    assert result.rc == 0, str(result)
    facts = result.facts("GUARDRAILS")
    assert facts["trail_arn"] == f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/{TRAIL}"
    made = {t["Name"]: t for t in trail.describe_trails()["trailList"]}
    assert set(made) == {"hand-made", TRAIL}
    ours = made[TRAIL]
    assert ours["IsMultiRegionTrail"] and ours["LogFileValidationEnabled"] and ours["IncludeGlobalServiceEvents"]
    assert ours["S3BucketName"] == BUCKET
    assert ours["CloudWatchLogsLogGroupArn"].startswith(f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:{LOG_GROUP}")
    assert ours["CloudWatchLogsRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-cloudtrail-logs"
    assert trail.get_trail_status(Name=TRAIL)["IsLogging"]
    # the bucket: private, encrypted, TLS only, CloudTrail may write only for this trail
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    encryption = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    writes = [s for s in policy["Statement"] if s.get("Action") == "s3:PutObject"]
    assert writes[0]["Condition"]["StringEquals"]["aws:SourceArn"] == facts["trail_arn"]
    assert writes[0]["Resource"] == f"arn:aws:s3:::{BUCKET}/AWSLogs/{ACCOUNT}/*"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [(r["ID"], r["Expiration"]["Days"]) for r in rules] == [("liftoff-expire-trail-logs", 365)]
    # the log group, a metric filter and an alarm per check, the vCPU alarm, the topic
    group = logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"][0]
    assert group["retentionInDays"] == 90
    filters = _filters(logs)
    assert f"{ALARMS}root-use" in filters and len(filters) >= 12
    assert filters[f"{ALARMS}root-use"]["metricTransformations"][0]["metricNamespace"] == "Liftoff/Guardrails"
    alarms = _alarms(cw)
    assert set(alarms) == set(filters) | {f"{ALARMS}ec2-vcpus-high", f"{ALARMS}hand-made"}
    root = alarms[f"{ALARMS}root-use"]
    assert (root["MetricName"], root["Statistic"], root["Threshold"], root["TreatMissingData"]) == (
        f"{ALARMS}root-use", "Sum", 1.0, "notBreaching")
    assert root["AlarmActions"] == [facts["topic_arn"]]
    vcpus = alarms[f"{ALARMS}ec2-vcpus-high"]
    assert (vcpus["Namespace"], vcpus["MetricName"], vcpus["Threshold"]) == ("AWS/Usage", "ResourceCount", 32.0)
    assert {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=facts["topic_arn"])["Subscriptions"]} == set(EMAILS)
    # the budget and its three alerts
    budget = budgets.describe_budget(AccountId=ACCOUNT, BudgetName=f"{PREFIX}-monthly")["Budget"]
    assert budget["BudgetLimit"] == {"Amount": "50.0", "Unit": "USD"} and budget["TimeUnit"] == "MONTHLY"
    notes = budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=f"{PREFIX}-monthly")["Notifications"]
    assert sorted((n["NotificationType"], n["Threshold"]) for n in notes) == [
        ("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0)]
    # the account defaults
    defaults = _account_defaults(aws)
    assert defaults["ebs"] is True and defaults["imds"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 1} and all(defaults["s3"].values())
    assert "audit trail           on" in result.stdout and "GuardDuty             off" in result.stdout, str(result)

    # -- no-op: nothing changed, not one write, at most two reads per managed resource ---------------------
    owned = guardrails_resources(aws, PREFIX, TAGS)
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=variables, env=ENV)
    assert result.rc == 0 and result.changed == 0, str(result)
    calls = aws.calls()
    assert [str(c) for c in calls if c.is_write] == []
    reads = [str(c) for c in calls if c.is_read]
    assert len(reads) <= READS_PER_RESOURCE_GOAL * owned, (len(reads), owned, sorted(reads))
    print(f"no-op: {len(reads)} reads for {owned} resources")

    # -- modify: shorter retention, a bigger budget, one check skipped ------------------------------------
    modified = dict(variables, guardrails_log_retention_days=30, guardrails_budget_amount=80,
                    guardrails_trail_alarms_skip=["console-login-failures"])
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, extra_vars=modified, env=ENV)
    assert result.rc == 0 and result.changed >= 3, str(result)
    assert aws.writes() == []
    result = playbook(PLAYBOOK, extra_vars=modified, env=ENV)
    assert result.rc == 0, str(result)
    assert logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"][0]["retentionInDays"] == 30
    assert f"{ALARMS}console-login-failures" not in _filters(logs)
    assert f"{ALARMS}console-login-failures" not in _alarms(cw)
    budget = budgets.describe_budget(AccountId=ACCOUNT, BudgetName=f"{PREFIX}-monthly")["Budget"]
    assert budget["BudgetLimit"]["Amount"] == "80.0"
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=modified, env=ENV)
    assert result.rc == 0 and result.changed == 0 and aws.writes() == [], str(result)

    # -- teardown: everything tagged goes but the log bucket (no force); the account defaults stay ---------
    absent = dict(modified, guardrails_state="absent")
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, extra_vars=absent, env=ENV)
    assert result.rc == 0 and aws.writes() == [], str(result)
    result = playbook(PLAYBOOK, extra_vars=absent, env=ENV)
    assert result.rc == 0, str(result)
    assert [t["Name"] for t in trail.describe_trails()["trailList"]] == ["hand-made"]
    assert list(_alarms(cw)) == [f"{ALARMS}hand-made"]
    assert logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"] == []
    assert sns.list_topics()["Topics"] == []
    assert budgets.describe_budgets(AccountId=ACCOUNT).get("Budgets", []) == []
    assert BUCKET in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert "kept with its log files" in result.stdout, str(result)
    assert _account_defaults(aws)["ebs"] is True
    # again, with force and the defaults put back: the bucket goes, the defaults are AWS's own
    result = playbook(PLAYBOOK, extra_vars=dict(absent, guardrails_force=True, guardrails_restore_account_defaults=True),
                      env=ENV)
    assert result.rc == 0, str(result)
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"hand-made-trail"}
    assert _account_defaults(aws) == {"ebs": False, "imds": {}, "s3": {}}
    assert guardrails_resources(aws, PREFIX, TAGS) == 0


def test_the_default_security_group_is_emptied_and_nothing_else(playbook, aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    wanted = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    default = ec2.describe_security_groups(Filters=wanted)["SecurityGroups"][0]
    if not default["IpPermissions"]:  # AWS makes it with all traffic in from itself; moto 5.2.5 without
        ec2.authorize_security_group_ingress(GroupId=default["GroupId"], IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default["GroupId"]}]}])
    assert default["IpPermissionsEgress"]  # all traffic out
    web = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    result = playbook(SG_PLAYBOOK, extra_vars={"network_vpc_id": vpc})
    assert result.rc == 0 and result.changed == 1, str(result)
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]}
    assert groups["default"]["IpPermissions"] == [] and groups["default"]["IpPermissionsEgress"] == []
    assert groups["web"]["IpPermissions"][0]["FromPort"] == 443
    aws.reset_calls()
    result = playbook(SG_PLAYBOOK, extra_vars={"network_vpc_id": vpc})
    assert result.rc == 0 and result.changed == 0 and aws.writes() == [], str(result)


def test_bad_input_is_refused_before_any_aws_call(playbook, aws):
    """The wiring of the input hook: every problem at once (the checks themselves: test_guardrails_filters.py)."""
    result = playbook(PLAYBOOK, extra_vars={"guardrails_email_addresses": ["ops@"], "guardrails_budget_amount": -5,
                                            "guardrails_log_retention_days": 100, "guardrails_trail_bucket": "My_Trail"})
    assert result.rc != 0, str(result)
    for message in ("guardrails_email_addresses[0] is 'ops@': not an email address",
                    "guardrails_budget_amount is -5: a budget is a positive amount",
                    "guardrails_log_retention_days is 100: CloudWatch Logs keeps events",
                    "guardrails_trail_bucket is 'My_Trail': S3 bucket names"):
        assert message in result.stdout, (message, str(result))
    assert aws.calls() == []
