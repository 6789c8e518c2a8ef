"""liftoff.aws.budget: in-process moto where it has the API (create, read, delete of a budget and its
notifications), botocore Stubber where it does not (UpdateBudget, DescribeSubscribersForNotification,
CreateSubscriber, DeleteSubscriber: every no-op and update path)."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.liftoff.aws.plugins.modules import budget as module_under_test
from tests.unit.module_runner import run_module, run_stubbed, writes

ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:us-east-1:123456789012:demo-prod-alerts"
ARGS = {"name": "demo-prod-monthly", "account_id": ACCOUNT, "limit_amount": 50,
        "notifications": [{"type": "actual", "threshold": 80}, {"type": "actual", "threshold": 100},
                          {"type": "forecasted", "threshold": 100}],
        "emails": ["ops@example.com"], "sns_topic_arn": TOPIC}
BUDGET = {"BudgetName": "demo-prod-monthly", "BudgetLimit": {"Amount": "50.0", "Unit": "USD"}, "TimeUnit": "MONTHLY",
          "BudgetType": "COST"}
SUBSCRIBERS = [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}, {"SubscriptionType": "SNS", "Address": TOPIC}]


def notification(kind, threshold):
    return {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN", "Threshold": float(threshold),
            "ThresholdType": "PERCENTAGE"}


NOTIFICATIONS = [notification("ACTUAL", 80), notification("ACTUAL", 100), notification("FORECASTED", 100)]


# -- moto: create, check mode, delete --------------------------------------------------------

@pytest.fixture
def aws(moto_aws):
    """In-process moto (tests/unit/conftest.py); shadows the emulator fixture of the same name."""


def test_create_with_three_alerts_to_mail_and_sns(aws):
    result, calls = run_module(module_under_test, ARGS, diff=True)
    assert result["changed"] and writes(calls) == ["CreateBudget"]
    client = boto3.client("budgets", region_name="us-east-1")
    made = client.describe_budget(AccountId=ACCOUNT, BudgetName="demo-prod-monthly")["Budget"]
    assert float(made["BudgetLimit"]["Amount"]) == 50.0 and made["TimeUnit"] == "MONTHLY" and made["BudgetType"] == "COST"
    alerts = client.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="demo-prod-monthly")["Notifications"]
    assert sorted((n["NotificationType"], n["Threshold"]) for n in alerts) == [
        ("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0)]


def test_check_mode_predicts_the_create_and_writes_nothing(aws):
    result, calls = run_module(module_under_test, ARGS, check=True, diff=True)
    assert result["changed"] and writes(calls) == [] and result["budget"]["limit_amount"] == 50.0
    client = boto3.client("budgets", region_name="us-east-1")
    assert client.describe_budgets(AccountId=ACCOUNT).get("Budgets", []) == []


def test_absent_deletes_the_budget_and_a_rerun_does_nothing(aws):
    run_module(module_under_test, ARGS)
    result, calls = run_module(module_under_test, {"name": "demo-prod-monthly", "account_id": ACCOUNT, "state": "absent"})
    assert result["changed"] and writes(calls) == ["DeleteBudget"]
    again, calls = run_module(module_under_test, {"name": "demo-prod-monthly", "account_id": ACCOUNT, "state": "absent"})
    assert not again["changed"] and writes(calls) == []


def test_absent_leaves_other_budgets(aws):
    run_module(module_under_test, ARGS)
    run_module(module_under_test, dict(ARGS, name="someone-else"))
    run_module(module_under_test, {"name": "demo-prod-monthly", "account_id": ACCOUNT, "state": "absent"})
    names = [b["BudgetName"] for b in boto3.client("budgets", region_name="us-east-1").describe_budgets(AccountId=ACCOUNT)["Budgets"]]
    assert names == ["someone-else"]


def test_the_account_defaults_to_the_caller(aws):
    result, calls = run_module(module_under_test, {k: v for k, v in ARGS.items() if k != "account_id"})
    assert result["changed"] and calls[0] == "GetCallerIdentity"


# -- Stubber: the paths moto cannot serve -----------------------------------------------------

def existing(stub, budget=None, notifications=None, subscribers=None):
    stub.add_response("describe_budget", {"Budget": budget or BUDGET}, {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly"})
    alerts = NOTIFICATIONS if notifications is None else notifications
    stub.add_response("describe_notifications_for_budget", {"Notifications": alerts},
                      {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly"})
    for alert in alerts:
        stub.add_response("describe_subscribers_for_notification", {"Subscribers": subscribers or SUBSCRIBERS},
                          {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly", "Notification": alert})


def run(args, script, check=False):
    return run_stubbed(module_under_test, args, {"budgets": script}, check=check)


def test_a_second_run_reads_and_writes_nothing():
    result = run(ARGS, existing)
    assert not result["changed"] and result["diff"]["before"] == result["diff"]["after"]


def test_a_new_limit_is_one_update_budget():
    def script(stub):
        existing(stub)
        stub.add_response("update_budget", {}, {"AccountId": ACCOUNT, "NewBudget": dict(
            BUDGET, BudgetLimit={"Amount": "75.0", "Unit": "USD"})})
    result = run(dict(ARGS, limit_amount=75), script)
    assert result["changed"] and result["diff"]["before"]["limit_amount"] == 50.0 and result["budget"]["limit_amount"] == 75.0


def test_check_mode_predicts_an_update_and_writes_nothing():
    assert run(dict(ARGS, limit_amount=75), existing, check=True)["changed"]


def test_a_changed_threshold_replaces_that_alert_only():
    args = dict(ARGS, notifications=[{"type": "actual", "threshold": 90}, {"type": "actual", "threshold": 100},
                                     {"type": "forecasted", "threshold": 100}])

    def script(stub):
        existing(stub)
        stub.add_response("delete_notification", {}, {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly",
                                                      "Notification": notification("ACTUAL", 80)})
        stub.add_response("create_notification", {}, {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly",
                                                      "Notification": notification("ACTUAL", 90), "Subscribers": SUBSCRIBERS})
    assert run(args, script)["changed"]


def test_a_new_email_is_added_to_each_alert_and_an_old_one_removed():
    old = [{"SubscriptionType": "EMAIL", "Address": "old@example.com"}, {"SubscriptionType": "SNS", "Address": TOPIC}]

    def script(stub):
        existing(stub, subscribers=old)
        for alert in sorted(NOTIFICATIONS, key=lambda n: (n["NotificationType"].lower(), n["Threshold"])):
            stub.add_response("delete_subscriber", {}, {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly",
                                                        "Notification": alert, "Subscriber": old[0]})
            stub.add_response("create_subscriber", {}, {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly",
                                                        "Notification": alert, "Subscriber": SUBSCRIBERS[0]})
    result = run(ARGS, script)
    assert result["changed"] and result["diff"]["before"]["notifications"][0]["emails"] == ["old@example.com"]


def test_an_alert_no_longer_listed_is_deleted():
    def script(stub):
        existing(stub)
        stub.add_response("delete_notification", {}, {"AccountId": ACCOUNT, "BudgetName": "demo-prod-monthly",
                                                      "Notification": notification("FORECASTED", 100)})
    assert run(dict(ARGS, notifications=ARGS["notifications"][:2]), script)["changed"]


def test_access_denied_names_the_budget_and_the_permission():
    def script(stub):
        stub.add_client_error("describe_budget", service_error_code="NotFoundException", http_status_code=404)
        stub.add_client_error("create_budget", service_error_code="AccessDeniedException", http_status_code=403)
    result = run(ARGS, script)
    assert result["failed"] and result["msg"].startswith("Could not create budget demo-prod-monthly")
    assert "lack the permission" in result["msg"]


def test_throttling_is_retried():
    def script(stub):
        stub.add_client_error("describe_budget", service_error_code="ThrottlingException", http_status_code=400)
        existing(stub)
    assert not run(ARGS, script)["changed"]


@pytest.mark.parametrize("change, message", [
    ({"limit_amount": 0}, "limit_amount is 0.0: a budget is a positive amount"),
    ({"limit_amount": None}, "a budget is a positive amount"),
    ({"emails": ["ops at example.com"]}, "'ops at example.com' is not an email address"),
    ({"emails": [], "sns_topic_arn": None}, "notifications need someone to tell"),
    ({"notifications": [{"type": "actual", "threshold": 80}, {"type": "actual", "threshold": 80}]}, "twice"),
    ({"notifications": [{"type": "actual", "threshold": -5}]}, "notifications[0].threshold is -5.0"),
    ({"sns_topic_arn": "alerts"}, "is not an SNS topic ARN"),
])
def test_bad_input_fails_before_any_call(change, message):
    result = run(dict(ARGS, **change), lambda stub: None)
    assert result["failed"] and message in result["msg"], result
