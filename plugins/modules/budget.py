#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: budget
short_description: An AWS Budgets cost budget with its alert notifications
version_added: 0.2.0
description:
  - Creates, updates or deletes one cost budget (AWS Budgets) and keeps its notifications and their
    subscribers (email addresses, an SNS topic) exactly as given.
  - A notification is identified by its type (actual or forecasted spend), comparison, threshold and
    threshold type; one that differs is deleted and created again, one that is not listed is deleted.
  - Check mode and diff are supported; check mode calls no write API. A run that changes nothing reads the
    budget, its notifications and each notification's subscribers, and writes nothing.
  - Why a module of our own - neither amazon.aws (10) nor community.aws (10) has an AWS Budgets module.
  - In the collection's tests, moto backs create, read and delete of a budget and its notifications; it has no
    C(UpdateBudget), C(DescribeSubscribersForNotification), C(CreateSubscriber) or C(DeleteSubscriber), so
    updates, no-op runs and subscriber changes are covered by botocore Stubber unit tests.
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description: The budget's name (unique in the account).
    type: str
    required: true
  state:
    description: V(present) creates or updates the budget, V(absent) deletes it with its notifications.
    type: str
    choices: [present, absent]
    default: present
  account_id:
    description: The account the budget belongs to. Default - the caller's account (one C(sts:GetCallerIdentity) call).
    type: str
  limit_amount:
    description: The budgeted spend per O(time_unit), more than 0. Required with O(state=present).
    type: float
  currency:
    description: The currency of O(limit_amount) (AWS accepts the account's billing currency, usually C(USD)).
    type: str
    default: USD
  time_unit:
    description: The budget's period.
    type: str
    choices: [DAILY, MONTHLY, QUARTERLY, ANNUALLY]
    default: MONTHLY
  notifications:
    description: The alerts. Each goes to every subscriber (O(emails) and O(sns_topic_arn)).
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: V(actual) spend so far, or V(forecasted) spend at the end of the period.
        type: str
        choices: [actual, forecasted]
        required: true
      threshold:
        description: The threshold, in percent of O(limit_amount) (or in O(currency) with O(notifications[].threshold_type=absolute_value)).
        type: float
        required: true
      comparison:
        description: When the alert fires.
        type: str
        choices: [greater_than, less_than, equal_to]
        default: greater_than
      threshold_type:
        description: V(percentage) of the limit, or an V(absolute_value).
        type: str
        choices: [percentage, absolute_value]
        default: percentage
  emails:
    description: Email addresses every notification is sent to.
    type: list
    elements: str
    default: []
  sns_topic_arn:
    description: An SNS topic every notification is published to (its policy must let C(budgets.amazonaws.com) publish).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: 50 USD a month, mail at 80 % and 100 % actual and 100 % forecast
  liftoff.aws.budget:
    name: demo-prod-monthly
    limit_amount: 50
    notifications:
      - {type: actual, threshold: 80}
      - {type: actual, threshold: 100}
      - {type: forecasted, threshold: 100}
    emails: [ops@example.com]
    sns_topic_arn: arn:aws:sns:us-east-1:123456789012:demo-prod-alerts

- name: Remove it
  liftoff.aws.budget:
    name: demo-prod-monthly
    state: absent
"""

RETURN = r"""
budget:
  description: The budget after the run (in check mode, what it would be); empty after O(state=absent).
  returned: success
  type: dict
  contains:
    name:
      description: The budget's name.
      type: str
      sample: demo-prod-monthly
    limit_amount:
      description: The budgeted spend.
      type: float
      sample: 50.0
    currency:
      description: Its currency.
      type: str
      sample: USD
    time_unit:
      description: The period.
      type: str
      sample: MONTHLY
    notifications:
      description: Each alert - type, comparison, threshold, threshold_type and its subscribers (emails, sns_topic_arn).
      type: list
      elements: dict
      sample: [{"type": "actual", "comparison": "greater_than", "threshold": 80.0, "threshold_type": "percentage",
                "emails": ["ops@example.com"], "sns_topic_arn": null}]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode

RETRY_CODES = ["ThrottlingException", "InternalErrorException"]


def notification_key(notification):
    """(type, comparison, threshold, threshold_type) of a notification in the module's snake_case form."""
    return (notification["type"], notification["comparison"], float(notification["threshold"]), notification["threshold_type"])


def to_aws_notification(notification):
    return {"NotificationType": notification["type"].upper(), "ComparisonOperator": notification["comparison"].upper(),
            "Threshold": float(notification["threshold"]), "ThresholdType": notification["threshold_type"].upper()}


def from_aws_notification(notification):
    return {"type": notification["NotificationType"].lower(), "comparison": notification["ComparisonOperator"].lower(),
            "threshold": float(notification["Threshold"]),
            "threshold_type": notification.get("ThresholdType", "PERCENTAGE").lower()}


def subscribers_of(emails, sns_topic_arn):
    found = [{"SubscriptionType": "EMAIL", "Address": address} for address in sorted(set(emails or []))]
    if sns_topic_arn:
        found.append({"SubscriptionType": "SNS", "Address": sns_topic_arn})
    return found


def _subscriber_view(subscribers):
    return {"emails": sorted(s["Address"] for s in subscribers if s["SubscriptionType"] == "EMAIL"),
            "sns_topic_arn": next((s["Address"] for s in subscribers if s["SubscriptionType"] == "SNS"), None)}


@aws_error_handler("find the caller's account")
def caller_account(module):
    return aws_client(module, "sts").get_caller_identity(aws_retry=True)["Account"]


@describe_or_none("read budget {name}")
def read_budget(client, account, name):
    return client.describe_budget(AccountId=account, BudgetName=name, aws_retry=True)["Budget"]


@aws_error_handler("read the notifications of budget {name}")
def read_notifications(client, account, name):
    notifications = paginate_all(client, "describe_notifications_for_budget", "Notifications", AccountId=account, BudgetName=name)
    found = []
    for notification in notifications:
        subscribers = paginate_all(client, "describe_subscribers_for_notification", "Subscribers", AccountId=account,
                                   BudgetName=name, Notification=notification)
        found.append(dict(from_aws_notification(notification), **_subscriber_view(subscribers)))
    return sorted(found, key=notification_key)


def budget_view(budget, notifications):
    limit = budget.get("BudgetLimit") or {}
    return {"name": budget["BudgetName"], "limit_amount": float(limit.get("Amount", 0)), "currency": limit.get("Unit"),
            "time_unit": budget.get("TimeUnit"), "notifications": notifications}


def wanted_view(params):
    subscribers = {"emails": sorted(set(params["emails"])), "sns_topic_arn": params["sns_topic_arn"]}
    notifications = [dict(n, threshold=float(n["threshold"]), **subscribers) for n in params["notifications"]]
    return {"name": params["name"], "limit_amount": float(params["limit_amount"]), "currency": params["currency"],
            "time_unit": params["time_unit"], "notifications": sorted(notifications, key=notification_key)}


def aws_budget(params):
    return {"BudgetName": params["name"], "BudgetType": "COST", "TimeUnit": params["time_unit"],
            "BudgetLimit": {"Amount": repr(float(params["limit_amount"])), "Unit": params["currency"]}}


@aws_error_handler("create budget {params[name]}")
def create_budget(module, client, account, params):
    subscribers = subscribers_of(params["emails"], params["sns_topic_arn"])
    unless_check_mode(module, client.create_budget, AccountId=account, Budget=aws_budget(params),
                      NotificationsWithSubscribers=[{"Notification": to_aws_notification(n), "Subscribers": subscribers}
                                                    for n in params["notifications"]])


@aws_error_handler("update budget {params[name]}")
def update_budget(module, client, account, params):
    unless_check_mode(module, client.update_budget, AccountId=account, NewBudget=aws_budget(params))


@aws_error_handler("add a notification to budget {name}")
def create_notification(module, client, account, name, notification, subscribers):
    unless_check_mode(module, client.create_notification, AccountId=account, BudgetName=name,
                      Notification=to_aws_notification(notification), Subscribers=subscribers)


@aws_error_handler("remove a notification of budget {name}")
def delete_notification(module, client, account, name, notification):
    unless_check_mode(module, client.delete_notification, AccountId=account, BudgetName=name,
                      Notification=to_aws_notification(notification))


@aws_error_handler("add a subscriber to a notification of budget {name}")
def create_subscriber(module, client, account, name, notification, subscriber):
    unless_check_mode(module, client.create_subscriber, AccountId=account, BudgetName=name,
                      Notification=to_aws_notification(notification), Subscriber=subscriber)


@aws_error_handler("remove a subscriber of a notification of budget {name}")
def delete_subscriber(module, client, account, name, notification, subscriber):
    unless_check_mode(module, client.delete_subscriber, AccountId=account, BudgetName=name,
                      Notification=to_aws_notification(notification), Subscriber=subscriber)


@delete_or_gone("delete budget {name}")
def delete_budget(module, client, account, name):
    unless_check_mode(module, client.delete_budget, AccountId=account, BudgetName=name)


def check_params(module):
    params = module.params
    problems = []
    if params["state"] == "present":
        if params["limit_amount"] is None or not params["limit_amount"] > 0:
            problems.append("limit_amount is %s: a budget is a positive amount" % params["limit_amount"])
        keys = [notification_key(n) for n in params["notifications"]]
        if len(set(keys)) != len(keys):
            problems.append("notifications lists the same alert (type, comparison, threshold) twice")
        for index, notification in enumerate(params["notifications"]):
            if not notification["threshold"] > 0:
                problems.append("notifications[%d].threshold is %s: use a positive number" % (index, notification["threshold"]))
        for address in params["emails"]:
            if address.count("@") != 1 or " " in address or "." not in address.split("@")[-1]:
                problems.append("emails: %r is not an email address" % address)
        if params["notifications"] and not (params["emails"] or params["sns_topic_arn"]):
            problems.append("notifications need someone to tell: give emails or sns_topic_arn")
        if params["sns_topic_arn"] and not params["sns_topic_arn"].startswith("arn:aws"):
            problems.append("sns_topic_arn %r is not an SNS topic ARN" % params["sns_topic_arn"])
    if problems:
        module.fail_json(msg="; ".join(problems))


def ensure_present(module, client):
    check_params(module)
    params = module.params
    account = params["account_id"] or caller_account(module)
    name = params["name"]
    wanted = wanted_view(params)
    budget = read_budget(client, account, name)
    if budget is None:
        create_budget(module, client, account, params)
        return result(module, True, {}, wanted, budget=wanted)
    before = budget_view(budget, read_notifications(client, account, name))
    changed = False
    if any(before[key] != wanted[key] for key in ("limit_amount", "currency", "time_unit")):
        update_budget(module, client, account, params)
        changed = True
    current = {notification_key(n): n for n in before["notifications"]}
    subscribers = subscribers_of(params["emails"], params["sns_topic_arn"])
    for key, notification in current.items():
        if key not in {notification_key(n) for n in wanted["notifications"]}:
            delete_notification(module, client, account, name, notification)
            changed = True
    for notification in wanted["notifications"]:
        have = current.get(notification_key(notification))
        if have is None:
            create_notification(module, client, account, name, notification, subscribers)
            changed = True
            continue
        had = subscribers_of(have["emails"], have["sns_topic_arn"])
        for subscriber in had:
            if subscriber not in subscribers:
                delete_subscriber(module, client, account, name, notification, subscriber)
                changed = True
        for subscriber in subscribers:
            if subscriber not in had:
                create_subscriber(module, client, account, name, notification, subscriber)
                changed = True
    return result(module, changed, before, wanted, budget=wanted)


def ensure_absent(module, client):
    params = module.params
    account = params["account_id"] or caller_account(module)
    budget = read_budget(client, account, params["name"])
    if budget is None:
        return result(module, False, {}, {}, budget={})
    before = budget_view(budget, [])
    changed = delete_budget(module, client, account, params["name"])
    return result(module, changed, before, {}, budget={})


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            account_id=dict(type="str"),
            limit_amount=dict(type="float"),
            currency=dict(type="str", default="USD"),
            time_unit=dict(type="str", choices=["DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY"], default="MONTHLY"),
            notifications=dict(type="list", elements="dict", default=[], options=dict(
                type=dict(type="str", choices=["actual", "forecasted"], required=True),
                threshold=dict(type="float", required=True),
                comparison=dict(type="str", choices=["greater_than", "less_than", "equal_to"], default="greater_than"),
                threshold_type=dict(type="str", choices=["percentage", "absolute_value"], default="percentage"),
            )),
            emails=dict(type="list", elements="str", default=[]),
            sns_topic_arn=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    run_state(module, ensure_present, ensure_absent, aws_client(module, "budgets", retry_codes=RETRY_CODES))


if __name__ == "__main__":
    main()
