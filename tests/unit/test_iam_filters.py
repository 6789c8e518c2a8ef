"""Filters liftoff.aws.iam_policy and liftoff.aws.iam_audit_findings: pure data shaping, no AWS."""

from __future__ import annotations

import sys

import pytest

from tests.harness.paths import COLLECTIONS_DIR, ensure_collection_link

ensure_collection_link()
if str(COLLECTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_DIR))

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.liftoff.aws.plugins.filter.iam_audit import iam_audit_findings  # noqa: E402
from ansible_collections.liftoff.aws.plugins.filter.iam_policy import iam_policy  # noqa: E402


def test_statements_become_an_iam_document():
    doc = iam_policy([
        {"sid": "Read", "effect": "Allow", "actions": "s3:GetObject", "resources": ["arn:aws:s3:::b/*"]},
        {"effect": "Deny", "not_actions": ["iam:ChangePassword"], "resources": ["*"],
         "condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ])
    assert doc == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
        {"Effect": "Deny", "NotAction": ["iam:ChangePassword"], "Resource": ["*"],
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ]}


def test_trust_policy_needs_principals_not_resources():
    doc = iam_policy([{"effect": "Allow", "actions": ["sts:AssumeRole"], "principals": {"Service": "ec2.amazonaws.com"}}],
                     kind="trust")
    assert doc["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    with pytest.raises(AnsibleFilterError, match="needs principals"):
        iam_policy([{"effect": "Allow", "actions": ["sts:AssumeRole"]}], kind="trust")


@pytest.mark.parametrize("statement, message", [
    ({"actions": ["s3:GetObject"], "resources": ["*"]}, r"app: statement 1 has no effect"),
    ({"sid": "X", "effect": "allow", "actions": ["a:b"], "resources": ["*"]}, r"statement 1 \(X\) has effect 'allow'"),
    ({"effect": "Allow", "resources": ["*"]}, "exactly one of actions and not_actions"),
    ({"effect": "Allow", "actions": ["a:b"], "not_actions": ["c:d"], "resources": ["*"]}, "exactly one of"),
    ({"effect": "Allow", "actions": ["a:b"]}, "has no resources"),
    ({"effect": "Allow", "actions": [], "resources": ["*"]}, "actions must be a non-empty list"),
    ({"effect": "Allow", "action": ["a:b"], "resources": ["*"]}, r"unknown keys \['action'\]"),
    ({"effect": "Allow", "actions": ["a:b"], "resources": ["*"], "principals": {"AWS": "*"}}, "principals belong"),
])
def test_malformed_statements_are_refused_with_the_reason(statement, message):
    with pytest.raises(AnsibleFilterError, match=message):
        iam_policy([statement], name="app")


def test_empty_policy_is_refused():
    with pytest.raises(AnsibleFilterError, match="non-empty list"):
        iam_policy([], name="app")


def _mfa(user, devices):
    return {"item": {"user_name": user}, "mfa_devices": devices}


def _keys(*keys):
    return {"access_keys": [dict(zip(("user_name", "access_key_id", "create_date", "status"), k)) for k in keys]}


def test_audit_finds_users_without_mfa_old_active_keys_and_root_keys():
    findings = iam_audit_findings(
        [_mfa("alice", [{"serial_number": "x"}]), _mfa("bob", [])],
        [_keys(("alice", "AKIAOLD", "2026-01-01T00:00:00+00:00", "Active"),
               ("alice", "AKIAOLDOFF", "2026-01-01T00:00:00+00:00", "Inactive"),
               ("alice", "AKIANEW", "2026-11-20T00:00:00+00:00", "Active"))],
        {"account_access_keys_present": 1},
        max_age_days=90, now="2026-11-26T00:00:00+00:00",
    )
    assert [(f["finding"], f["subject"]) for f in findings] == [
        ("no_mfa", "user bob"),
        ("old_access_key", "user alice key AKIAOLD (329 days old)"),
        ("root_access_keys", "the account root user has access keys"),
    ]
    assert findings[0]["line"] == "no_mfa            user bob"


def test_audit_of_a_clean_account_is_empty():
    assert iam_audit_findings([_mfa("alice", [{"serial_number": "x"}])], [_keys()],
                              {"account_access_keys_present": 0}) == []


def test_audit_lists_the_overrides_in_use():
    warning = "iam_allow_full_admin_statements is set: iam_roles[0] (app) statements[0] allow every action on every resource"
    findings = iam_audit_findings([_mfa("alice", [{"serial_number": "x"}])], [_keys()],
                                  {"account_access_keys_present": 0}, overrides=[warning])
    assert [(f["finding"], f["subject"]) for f in findings] == [("override", warning)]
    assert findings[0]["line"].startswith("override          iam_allow_full_admin_statements is set")
