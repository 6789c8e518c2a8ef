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

import contextlib
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


def _exit_json(self, **kwargs):
    raise _Exited(kwargs)


def _fail_json(self, **kwargs):
    raise _Exited(dict(kwargs, failed=True))


def _main(module, args, check, diff, *patches):
    """The dict ``module.main()`` exits or fails with, given args, with ``patches`` (mock.patch objects) on."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json))
        for patch in patches:
            stack.enter_context(patch)
        try:
            module.main()
        except _Exited as exited:
            return exited.args[0]
    raise AssertionError("module neither exited nor failed")


def run_module(module, args, check=False, diff=False):
    calls = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, params):
        calls.append(operation_name)
        return original(self, operation_name, params)

    outcome = _main(module, args, check, diff, mock.patch.object(botocore.client.BaseClient, "_make_api_call", recording))
    return outcome, calls


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

    with contextlib.ExitStack() as stack:
        for _client, stub in stubs.values():
            stack.enter_context(stub)
        outcome = _main(module, args, check, diff, mock.patch.object(AnsibleAWSModule, "client", fake_client),
                        mock.patch("time.sleep"))
        for _client, stub in stubs.values():
            stub.assert_no_pending_responses()
    return outcome
