"""A small, documented patch layer over moto, applied inside our moto_server process.

Each patch makes the emulator behave as AWS documents, where moto 5.2.x does not.
Every patch has a test in tests/unit/test_moto_patches.py that cites the AWS behaviour.
Roles are never bent to moto; when moto is wrong, it is corrected here or the path
is covered with botocore Stubber tests instead.
"""

from __future__ import annotations

import os

# Access key IDs that the emulator treats as the account root user's keys.
ROOT_KEYS_ENV = "LIFTOFF_MOTO_ROOT_ACCESS_KEYS"


def _root_access_keys() -> set[str]:
    return {k.strip() for k in os.environ.get(ROOT_KEYS_ENV, "").split(",") if k.strip()}


def patch_root_caller_identity() -> None:
    """Root credentials: STS GetCallerIdentity with the root user's access keys.

    AWS documents (STS API reference, GetCallerIdentity, and the IAM user guide,
    "AWS account root user") that a call signed with the root user's access keys
    returns Arn ``arn:aws:iam::<account>:root`` and UserId ``<account>``.
    moto has no notion of root access keys: every unknown key is reported as
    ``arn:aws:sts::<account>:user/moto``. We let the test bed name key IDs that
    stand for root keys (``LIFTOFF_MOTO_ROOT_ACCESS_KEYS``) and answer for them as AWS does.
    """
    from moto.sts.models import STSBackend

    original = STSBackend.get_caller_identity
    if getattr(original, "_liftoff_patched", False):
        return

    def get_caller_identity(self, access_key_id, region):  # type: ignore[no-untyped-def]
        if access_key_id in _root_access_keys():
            partition = "aws-cn" if region.startswith("cn-") else (
                "aws-us-gov" if region.startswith("us-gov-") else "aws")
            return self.account_id, f"arn:{partition}:iam::{self.account_id}:root", self.account_id
        return original(self, access_key_id, region)

    get_caller_identity._liftoff_patched = True  # type: ignore[attr-defined]
    STSBackend.get_caller_identity = get_caller_identity  # type: ignore[method-assign]


PATCHES = [patch_root_caller_identity]


def apply_all() -> None:
    for patch in PATCHES:
        patch()
