"""Run one of our AWS modules' main() in-process against moto (mock_aws) and see what it called.

``run_module(module, args, check=False, diff=False)`` returns ``(result, calls)``: the dict the
module exited or failed with (``failed: True`` on failure) and every AWS operation it called,
in order. ``writes(calls)`` keeps the mutating ones, with the same read/write rule as the
emulator's recorder (tests.harness.emulator.READ_PREFIXES).

``run_stubbed(module, args, scripts, check=False, diff=True)`` runs main() with botocore Stubber
clients instead (for APIs moto lacks): ``scripts`` maps a service name to a function that adds the
expected calls to that service's Stubber; any other call fails, and so does an expected call not made.
"""

from __future__ import annotations

from unittest import mock

import boto3
import botocore.client
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from tests.harness.emulator import READ_PREFIXES


class _Exited(Exception):
    pass


def run_module(module, args, check=False, diff=False):
    calls = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, params):
        calls.append(operation_name)
        return original(self, operation_name, params)

    def exit_json(self, **kwargs):
        raise _Exited(kwargs)

    def fail_json(self, **kwargs):
        raise _Exited(dict(kwargs, failed=True))

    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)), \
            mock.patch.object(botocore.client.BaseClient, "_make_api_call", recording), \
            mock.patch.object(basic.AnsibleModule, "exit_json", exit_json), \
            mock.patch.object(basic.AnsibleModule, "fail_json", fail_json):
        try:
            module.main()
        except _Exited as exited:
            return exited.args[0], calls
    raise AssertionError("module neither exited nor failed")


def writes(calls):
    return [c for c in calls if not c.startswith(READ_PREFIXES)]


def run_stubbed(module, args, scripts, check=False, diff=True):
    stubs = {}
    for service, script in scripts.items():
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stubs[service] = (client, Stubber(client))
        script(stubs[service][1])

    def fake_client(self, service, retry_decorator=None, **kwargs):
        assert service in stubs, "unexpected client for %s" % service
        return RetryingBotoClientWrapper(stubs[service][0], retry_decorator)

    def exit_json(self, **kwargs):
        raise _Exited(kwargs)

    def fail_json(self, **kwargs):
        raise _Exited(dict(kwargs, failed=True))

    for _client, stub in stubs.values():
        stub.activate()
    try:
        with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)), \
                mock.patch.object(AnsibleAWSModule, "client", fake_client), mock.patch("time.sleep"), \
                mock.patch.object(basic.AnsibleModule, "exit_json", exit_json), \
                mock.patch.object(basic.AnsibleModule, "fail_json", fail_json):
            try:
                module.main()
            except _Exited as exited:
                for _client, stub in stubs.values():
                    stub.assert_no_pending_responses()
                return exited.args[0]
    finally:
        for _client, stub in stubs.values():
            stub.deactivate()
    raise AssertionError("module neither exited nor failed")
