"""plugins/module_utils/core.py with botocore Stubber: retried paginators, not-found as None, the
error message a user reads, tag and policy diffs, check-mode results."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper, AWSRetry
from ansible_collections.liftoff.aws.plugins.module_utils import core


@pytest.fixture
def iam():
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub, mock.patch("time.sleep"):
        yield RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff()), stub


def test_throttled_paginator_is_retried(iam):
    client, stub = iam
    stub.add_client_error("list_virtual_mfa_devices", service_error_code="Throttling", http_status_code=400)
    stub.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": [{"SerialNumber": "arn:aws:iam::1:mfa/a"}], "IsTruncated": True,
                                                   "Marker": "m"})
    stub.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": [{"SerialNumber": "arn:aws:iam::1:mfa/b"}], "IsTruncated": False})
    assert [d["SerialNumber"] for d in core.paginate_all(client, "list_virtual_mfa_devices", "VirtualMFADevices")] == [
        "arn:aws:iam::1:mfa/a", "arn:aws:iam::1:mfa/b"]
    stub.assert_no_pending_responses()


def test_not_found_is_none_and_other_errors_name_the_resource(iam):
    client, stub = iam

    @core.describe_or_none("read role {name}")
    def get_role(name):
        return client.get_role(RoleName=name, aws_retry=True)["Role"]

    stub.add_client_error("get_role", service_error_code="NoSuchEntity", http_status_code=404)
    assert get_role("app") is None
    stub.add_client_error("get_role", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(core.LiftoffAWSError) as error:
        get_role("app")
    assert error.value.message == "Could not read role app (the credentials in use lack the permission for this call)"


def test_tag_and_policy_diffs():
    assert core.tag_updates({"a": "1", "b": "2", "aws:x": "y"}, {"a": 1, "c": "3"}) == ({"c": "3"}, ["b"])
    assert core.tag_updates({"a": "1"}, None) == ({}, [])
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}
    same = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}'
    assert not core.policy_changed(doc, same)
    assert core.policy_changed(doc, None)


def test_result_has_diff_only_with_diff_mode():
    assert core.result(SimpleNamespace(_diff=False), 1, {"a": 1}, None, x=2) == {"changed": True, "x": 2}
    assert core.result(SimpleNamespace(_diff=True), 0, None, {"a": 1})["diff"] == {"before": {}, "after": {"a": 1}}


def test_ensure_tags_changes_only_what_differs_and_never_in_check_mode():
    calls = []

    def set_tags(tags):
        calls.append(("set", tags))

    def unset_tags(keys):
        calls.append(("unset", keys))

    current = {"Project": "shop", "Old": "x", "aws:cloudformation:stack-name": "s"}
    desired = {"Project": "shop", "Env": 1}

    changed, after = core.ensure_tags(SimpleNamespace(check_mode=True), current, desired, True, set_tags, unset_tags)
    assert changed and calls == []  # predicted, not done
    assert after == {"Project": "shop", "Env": "1", "aws:cloudformation:stack-name": "s"}

    changed, after = core.ensure_tags(SimpleNamespace(check_mode=False), current, desired, True, set_tags, unset_tags)
    assert changed and calls == [("unset", ["Old"]), ("set", {"Env": "1"})]  # aws: tags are never removed

    calls.clear()
    changed, after = core.ensure_tags(SimpleNamespace(check_mode=False), after, desired, True, set_tags, unset_tags)
    assert not changed and calls == []

    changed = core.ensure_tags(SimpleNamespace(check_mode=False), current, {"New": "y"}, False, set_tags, unset_tags)[0]
    assert changed and calls == [("set", {"New": "y"})]  # purge_tags=False keeps the others
    calls.clear()
    assert core.ensure_tags(SimpleNamespace(check_mode=False), current, None, True, set_tags, unset_tags) == (False, current)
    assert calls == []  # tags not given: left alone


def test_unless_check_mode_calls_with_retry_only_outside_check_mode():
    call = mock.Mock(return_value="done")
    assert core.unless_check_mode(SimpleNamespace(check_mode=True), call, "a", b=1) is None
    call.assert_not_called()
    assert core.unless_check_mode(SimpleNamespace(check_mode=False), call, "a", b=1) == "done"
    call.assert_called_once_with("a", aws_retry=True, b=1)
