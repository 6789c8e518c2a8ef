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
