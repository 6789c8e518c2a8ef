"""The guardrails role's filters: the policies it writes, the alarms it builds, what teardown may delete, the
input checks and the report."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.liftoff.aws.plugins.filter import guardrails as g
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report
from tests.harness.paths import REPO_ROOT

TRAIL = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/shop-prod-audit"
SPEC = yaml.safe_load((REPO_ROOT / "roles/guardrails/meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
CHECKS = yaml.safe_load((REPO_ROOT / "roles/guardrails/vars/main.yml").read_text())["__guardrails_trail_alarms"]


def _statements(policy, sid):
    return [s for s in policy["Statement"] if s.get("Sid") == sid]


def test_the_bucket_refuses_plain_http_for_everyone():
    policy = g.guardrails_bucket_policy("shop-prod-trail-123456789012", TRAIL)
    deny = _statements(policy, "DenyInsecureTransport")[0]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Resource"] == ["arn:aws:s3:::shop-prod-trail-123456789012", "arn:aws:s3:::shop-prod-trail-123456789012/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_cloudtrail_may_write_only_for_this_trail_and_only_under_the_accounts_prefix():
    policy = g.guardrails_bucket_policy("b", TRAIL)
    write = _statements(policy, "CloudTrailWrite")[0]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and write["Action"] == "s3:PutObject"
    assert write["Resource"] == "arn:aws:s3:::b/AWSLogs/123456789012/*"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL
    assert _statements(policy, "CloudTrailAclCheck")[0]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL}}
    allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert all(s["Principal"] == {"Service": "cloudtrail.amazonaws.com"} for s in allowed)


def test_the_policies_follow_the_trails_partition():
    china = "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/t"
    assert _statements(g.guardrails_bucket_policy("b", china), "CloudTrailWrite")[0]["Resource"].startswith("arn:aws-cn:s3:::b/")


def test_only_cloudtrail_for_this_trail_may_assume_the_log_role():
    statement = g.guardrails_trail_trust_policy(TRAIL)["Statement"]
    assert statement == [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                          "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceArn": TRAIL}}}]


def test_the_log_role_writes_streams_of_its_group_only():
    group = "arn:aws:logs:eu-west-1:123456789012:log-group:/liftoff/shop-prod/cloudtrail"
    statement = g.guardrails_trail_logs_policy(group)["Statement"][0]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == group + ":log-stream:*"


def test_one_alarm_per_check_on_its_own_metric_any_match_fires():
    alarms = g.guardrails_alarms(CHECKS, "guardrails-shop-prod-", "Liftoff/Guardrails", ["arn:topic", ""], 0)
    assert [a["name"] for a in alarms] == ["guardrails-shop-prod-" + c["key"] for c in CHECKS]
    first = alarms[0]
    assert first["metric_name"] == first["name"] and first["namespace"] == "Liftoff/Guardrails"
    assert (first["statistic"], first["period"], first["threshold"], first["comparison"]) == (
        "Sum", 300, 1.0, "GreaterThanOrEqualToThreshold")
    assert first["treat_missing_data"] == "notBreaching"  # no event = no data = not an alarm
    assert first["alarm_actions"] == ["arn:topic"]  # empty ARNs dropped
    assert first["description"] == CHECKS[0]["description"]


def test_the_vcpu_alarm_only_when_asked():
    alarms = g.guardrails_alarms([], "p-", "N", ["arn:topic"], 64)
    assert len(alarms) == 1
    vcpus = alarms[0]
    assert (vcpus["name"], vcpus["namespace"], vcpus["metric_name"]) == ("p-ec2-vcpus-high", "AWS/Usage", "ResourceCount")
    assert vcpus["dimensions"] == {"Service": "EC2", "Type": "Resource", "Resource": "vCPU", "Class": "Standard/OnDemand"}
    assert (vcpus["statistic"], vcpus["threshold"], vcpus["comparison"]) == ("Maximum", 64.0, "GreaterThanThreshold")
    assert vcpus["ok_actions"] == ["arn:topic"]
    assert g.guardrails_alarms([], "p-", "N", ["arn:topic"], 0) == []


def test_the_alarms_fit_the_alarm_set_modules_options():
    from ansible_collections.liftoff.aws.plugins.modules import cloudwatch_alarm_set as module
    options = yaml.safe_load(module.DOCUMENTATION)["options"]["alarms"]["suboptions"]
    for alarm in g.guardrails_alarms(CHECKS, "p-", "N", ["arn:t"], 8):
        assert set(alarm) <= set(options), set(alarm) - set(options)
        assert alarm["statistic"] in options["statistic"]["choices"]


def test_teardown_deletes_only_what_carries_every_owner_tag():
    owner = {"Project": "shop", "LiftoffRole": "guardrails"}
    found = {"trail": {"Project": "shop", "LiftoffRole": "guardrails", "Other": "x"},
             "bucket": [{"Key": "Project", "Value": "shop"}, {"Key": "LiftoffRole", "Value": "guardrails"}],
             "topic": {"Project": "shop"}, "log_group": {}, "role": None}
    assert g.guardrails_owned(found, owner) == {"owned": ["bucket", "trail"], "foreign": ["log_group", "topic"]}


def _report(**values):
    values.setdefault("guardrails_email_addresses", ["ops@example.com"])
    return input_report(values, "guardrails", SPEC)


def test_good_inputs_pass():
    assert _report(guardrails_budget_amount=50, guardrails_log_retention_days=90, guardrails_name_prefix="shop-prod",
                   guardrails_region="eu-west-1", guardrails_account_regions=["eu-west-1", "us-east-1"]) == {
        "errors": [], "warnings": []}


@pytest.mark.parametrize("values, message", [
    ({"guardrails_email_addresses": ["ops@"]}, "guardrails_email_addresses[0] is 'ops@': not an email address"),
    ({"guardrails_email_addresses": ["ops example.com"]}, "guardrails_email_addresses[0] is 'ops example.com'"),
    ({"guardrails_budget_amount": -1}, "guardrails_budget_amount is -1: a budget is a positive amount"),
    ({"guardrails_budget_amount": "lots"}, "guardrails_budget_amount is 'lots'"),
    ({"guardrails_log_retention_days": 100}, "guardrails_log_retention_days is 100: CloudWatch Logs keeps events"),
    ({"guardrails_log_retention_days": 1096}, "1096, 2192, 2557, 2922 and 3288 are refused"),
    ({"guardrails_trail_bucket": "My_Trail"}, "guardrails_trail_bucket is 'My_Trail': S3 bucket names"),
    ({"guardrails_trail_bucket": "192.168.1.1"}, "not shaped like an IP address"),
    ({"guardrails_trail_bucket": "a..b"}, "guardrails_trail_bucket is 'a..b'"),
    ({"guardrails_name_prefix": "x" * 45}, "the trail bucket <prefix>-trail-<account id> would break S3's naming rules"),
    ({"guardrails_name_prefix": "Shop-Prod"}, "guardrails_name_prefix is 'Shop-Prod'"),
    ({"guardrails_imds_hop_limit": 0}, "the instance metadata hop limit is 1 to 64"),
    ({"guardrails_max_vcpus": -2}, "guardrails_max_vcpus is -2: a whole number, 0 or more"),
    ({"guardrails_region": "eu-west-9"}, "guardrails_region is 'eu-west-9', which is not an AWS region"),
    ({"guardrails_account_regions": ["eu-west-1", "mars-1"]}, "guardrails_account_regions[1] is 'mars-1'"),
    ({"guardrails_account_regions": []}, "guardrails_account_regions is empty"),
])
def test_bad_inputs_are_refused_by_name(values, message):
    errors = _report(**values)["errors"]
    assert any(message in error for error in errors), errors


def test_a_long_prefix_with_its_own_bucket_name_is_fine_until_the_role_name_breaks():
    assert _report(guardrails_name_prefix="x" * 45, guardrails_trail_bucket="my-trail")["errors"] == []
    errors = _report(guardrails_name_prefix="x" * 49, guardrails_trail_bucket="my-trail")["errors"]
    assert errors and "<prefix>-cloudtrail-logs must fit in 64" in errors[0]


def test_a_skipped_check_must_exist():
    keys = [c["key"] for c in CHECKS]
    assert _report(guardrails_trail_alarms_skip=[keys[0]], __guardrails_check_keys=keys)["errors"] == []
    errors = _report(guardrails_trail_alarms_skip=["root-usage"], __guardrails_check_keys=keys)["errors"]
    assert errors and "guardrails_trail_alarms_skip names 'root-usage'" in errors[0]


def test_no_address_is_a_warning_not_an_error():
    report = input_report({"guardrails_email_addresses": []}, "guardrails", SPEC)
    assert report["errors"] == [] and "will tell nobody" in report["warnings"][0]


def test_a_string_for_the_address_list_is_refused_by_type():
    errors = input_report({"guardrails_email_addresses": "ops@example.com"}, "guardrails", SPEC)["errors"]
    assert errors and "guardrails_email_addresses" in errors[0]


def test_the_report_says_what_is_on_and_where_alerts_go():
    lines = g.guardrails_report({
        "trail": "shop-prod-audit", "bucket": "b", "log_group": "/g", "retention_days": 90, "topic": "arn:topic",
        "emails": ["ops@example.com"], "notify_topics": [], "checks": ["root-use"], "skipped_checks": ["x"],
        "budget": "50 USD", "max_vcpus": 0, "regions": ["eu-west-1"], "ebs_encryption": True, "imds_v2": "True",
        "s3_block_public_access": False, "default_security_group": True, "access_analyzer": False, "guardduty": False})
    text = "\n".join(lines)
    assert "audit trail           on  shop-prod-audit -> s3://b and /g (90 days)" in text
    assert "1 checks (skipped: x) -> topic arn:topic -> ops@example.com" in text
    assert "vCPU alarm            off" in text
    assert "monthly budget        on  50 USD, mails ops@example.com" in text
    assert "IMDSv2 required       on " in text and "S3 Block Public Acc.  off" in text
    assert "GuardDuty             off (billed per GB analysed" in text


def test_the_report_says_nobody_when_no_one_is_told():
    text = "\n".join(g.guardrails_report({"emails": [], "notify_topics": [], "checks": []}))
    assert "nobody (no email set)" in text and "trail alarms          off" in text
