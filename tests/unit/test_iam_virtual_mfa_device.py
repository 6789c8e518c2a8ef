"""liftoff.aws.iam_virtual_mfa_device, run in-process against moto (mock_aws).

What a user relies on: the secret lands only in 0600 files and never in the result, a re-run
changes nothing and calls no write API, check mode writes nothing, enabling needs the two codes,
absent deactivates and deletes, and a failed secret write leaves no orphan device behind.
"""

from __future__ import annotations

import json
import stat
from unittest import mock

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import iam_virtual_mfa_device as mod
from tests.unit.module_runner import run_module, writes


@pytest.fixture
def iam(moto_aws):
    return boto3.client("iam", region_name="eu-west-1")


@pytest.fixture
def run(iam):
    """run(args, check=False, diff=False) -> (result dict, [operation names called])."""

    def _run(args, check=False, diff=False):
        return run_module(mod, args, check=check, diff=diff)

    return _run


def devices(iam):
    return iam.list_virtual_mfa_devices()["VirtualMFADevices"]


def test_create_writes_secret_only_to_0600_files(run, iam, tmp_path):
    seed, qr = tmp_path / "mfa" / "alice.seed", tmp_path / "mfa" / "alice.png"
    result, calls = run({"name": "alice", "path": "/liftoff/demo/", "seed_path": str(seed), "qr_code_path": str(qr)})
    assert result["changed"] is True, result
    serial = result["virtual_mfa_device"]["serial_number"]
    assert serial == "arn:aws:iam::123456789012:mfa/liftoff/demo/alice"
    assert [d["SerialNumber"] for d in devices(iam)] == [serial]
    assert writes(calls) == ["CreateVirtualMFADevice"]
    for path in (seed, qr):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(seed.parent.stat().st_mode) == 0o700
    secret = seed.read_bytes()
    assert len(secret) >= 16 and secret.isupper()
    assert len(qr.read_bytes()) > 0
    # the seed appears nowhere in what Ansible would print or log
    assert secret.decode() not in json.dumps(result)
    assert result["seed_path"] == str(seed)


def test_second_run_changes_nothing_and_writes_nothing(run, iam, tmp_path):
    seed = tmp_path / "alice.seed"
    args = {"name": "alice", "path": "/liftoff/demo/", "seed_path": str(seed)}
    run(args)
    first_secret = seed.read_bytes()
    result, calls = run(args)
    assert result["changed"] is False, result
    assert writes(calls) == []
    assert seed.read_bytes() == first_secret  # the seed of the existing device is not overwritten
    assert result["seed_path"] is None
    assert len(devices(iam)) == 1


def test_same_name_on_another_path_is_another_device(run, iam, tmp_path):
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice", Path="/")  # someone else's
    result, _calls = run({"name": "alice", "path": "/liftoff/demo/", "seed_path": str(tmp_path / "s")})
    assert result["changed"] is True
    assert len(devices(iam)) == 2


def test_check_mode_predicts_creation_and_changes_nothing(run, iam, tmp_path):
    seed = tmp_path / "alice.seed"
    result, calls = run({"name": "alice", "path": "/liftoff/demo/", "seed_path": str(seed)}, check=True, diff=True)
    assert result["changed"] is True
    assert writes(calls) == []
    assert devices(iam) == []
    assert not seed.exists()
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["serial_number"].endswith("mfa/liftoff/demo/alice")


def test_present_requires_somewhere_to_put_the_secret(run, iam):
    result, calls = run({"name": "alice"})
    assert result.get("failed"), result
    assert "seed_path" in result["msg"] and "qr_code_path" in result["msg"]
    assert calls == []


def test_unwritable_seed_path_fails_before_creating(run, iam, tmp_path):
    (tmp_path / "not-a-dir").write_text("")
    result, calls = run({"name": "alice", "seed_path": str(tmp_path / "not-a-dir" / "mfa" / "alice.seed")})
    assert result.get("failed") and "not a writable directory" in result["msg"], result
    assert writes(calls) == []
    assert devices(iam) == []


def test_failed_secret_write_deletes_the_new_device(run, iam, tmp_path):
    with mock.patch.object(mod, "write_private", side_effect=OSError("disk full")):
        result, calls = run({"name": "alice", "seed_path": str(tmp_path / "alice.seed")})
    assert result.get("failed"), result
    assert "deleted again" in result["msg"]
    assert writes(calls) == ["CreateVirtualMFADevice", "DeleteVirtualMFADevice"]
    assert devices(iam) == []


def test_enabling_needs_both_codes_and_is_explicit(run, iam, tmp_path):
    iam.create_user(UserName="alice")
    seed = str(tmp_path / "alice.seed")
    base = {"name": "alice", "seed_path": seed, "user_name": "alice"}
    result, _calls = run(dict(base, authentication_code_1="123456"))
    assert result.get("failed") and "authentication_code_2" in result["msg"], result
    result, _calls = run({"name": "alice", "seed_path": seed,
                          "authentication_code_1": "123456", "authentication_code_2": "654321"})
    assert result.get("failed") and "user_name" in result["msg"], result

    run({"name": "alice", "seed_path": seed})  # create only
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []

    result, calls = run(dict(base, authentication_code_1="123456", authentication_code_2="654321"), check=True)
    assert result["changed"] is True and writes(calls) == []
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []

    result, calls = run(dict(base, authentication_code_1="123456", authentication_code_2="654321"))
    assert result["changed"] is True, result
    assert writes(calls) == ["EnableMFADevice"]
    assert result["virtual_mfa_device"]["user_name"] == "alice"
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [
        "arn:aws:iam::123456789012:mfa/alice"]

    result, calls = run(dict(base, authentication_code_1="111111", authentication_code_2="222222"))
    assert result["changed"] is False and writes(calls) == []


def test_codes_must_be_six_digits(run, iam, tmp_path):
    result, calls = run({"name": "a", "seed_path": str(tmp_path / "s"), "user_name": "a",
                         "authentication_code_1": "12345", "authentication_code_2": "abcdef"})
    assert result.get("failed") and "six digits" in result["msg"]
    assert calls == []


def test_device_of_another_user_is_not_reassigned(run, iam, tmp_path):
    iam.create_user(UserName="bob")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="bob", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    result, calls = run({"name": "alice", "seed_path": str(tmp_path / "s"), "user_name": "alice",
                         "authentication_code_1": "123456", "authentication_code_2": "654321"})
    assert result.get("failed") and "enabled for user bob" in result["msg"], result
    assert writes(calls) == []


def test_absent_deactivates_and_deletes_then_is_idempotent(run, iam, tmp_path):
    iam.create_user(UserName="alice")
    seed = str(tmp_path / "s")
    run({"name": "alice", "path": "/liftoff/demo/", "seed_path": seed, "user_name": "alice",
         "authentication_code_1": "123456", "authentication_code_2": "654321"})
    args = {"name": "alice", "path": "/liftoff/demo/", "state": "absent"}

    result, calls = run(args, check=True, diff=True)
    assert result["changed"] is True and writes(calls) == []
    assert result["diff"]["after"] == {} and result["diff"]["before"]["user_name"] == "alice"
    assert len(devices(iam)) == 1

    result, calls = run(args)
    assert result["changed"] is True
    assert writes(calls) == ["DeactivateMFADevice", "DeleteVirtualMFADevice"]
    assert devices(iam) == []
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []

    result, calls = run(args)
    assert result["changed"] is False and writes(calls) == []


def test_absent_leaves_devices_on_other_paths(run, iam):
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice", Path="/")
    result, _calls = run({"name": "alice", "path": "/liftoff/demo/", "state": "absent"})
    assert result["changed"] is False
    assert len(devices(iam)) == 1


def test_bad_path_is_refused_before_any_call(run, iam):
    result, calls = run({"name": "alice", "path": "liftoff", "seed_path": "/tmp/x"})
    assert result.get("failed") and "begin and end with '/'" in result["msg"]
    assert calls == []
