#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_account_password_policy
short_description: Set or remove the IAM account password policy, honestly idempotent
version_added: 0.1.0
description:
  - Reads the account password policy first and calls C(UpdateAccountPasswordPolicy) or
    C(DeleteAccountPasswordPolicy) only when it differs from the request.
  - Check mode and diff are supported; check mode calls no write API.
  - Why a module of our own - amazon.aws.iam_password_policy (10.1) calls C(UpdateAccountPasswordPolicy)
    on every run, also in check mode (it declares check mode support but never consults it), and its
    V(absent) always reports a change. That breaks "a re-run makes zero write calls" and dry runs.
author:
  - liftoff maintainers (@liftoff)
options:
  state:
    description: V(present) sets the policy to exactly these values, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  minimum_password_length:
    description: Minimum number of characters (6 to 128).
    type: int
    default: 14
  require_symbols:
    description: Require at least one non-alphanumeric character.
    type: bool
    default: true
  require_numbers:
    description: Require at least one digit.
    type: bool
    default: true
  require_uppercase_characters:
    description: Require at least one uppercase letter.
    type: bool
    default: true
  require_lowercase_characters:
    description: Require at least one lowercase letter.
    type: bool
    default: true
  allow_users_to_change_password:
    description: Let IAM users change their own password.
    type: bool
    default: true
  max_password_age:
    description: Days a password is valid (1 to 1095); V(0) means passwords never expire.
    type: int
    default: 0
  password_reuse_prevention:
    description: Number of previous passwords that cannot be reused (1 to 24); V(0) allows reuse.
    type: int
    default: 0
  hard_expiry:
    description: When true, users cannot set a new password after theirs expired (an administrator must).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Strong passwords, rotated every 90 days, last 24 not reusable
  liftoff.aws.iam_account_password_policy:
    minimum_password_length: 14
    max_password_age: 90
    password_reuse_prevention: 24
"""

RETURN = r"""
password_policy:
  description: The policy after the change (empty when absent).
  returned: always
  type: dict
  sample:
    minimum_password_length: 14
    require_symbols: true
    max_password_age: 90
    password_reuse_prevention: 24
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state

FIELDS = {
    "minimum_password_length": "MinimumPasswordLength",
    "require_symbols": "RequireSymbols",
    "require_numbers": "RequireNumbers",
    "require_uppercase_characters": "RequireUppercaseCharacters",
    "require_lowercase_characters": "RequireLowercaseCharacters",
    "allow_users_to_change_password": "AllowUsersToChangePassword",
    "max_password_age": "MaxPasswordAge",
    "password_reuse_prevention": "PasswordReusePrevention",
    "hard_expiry": "HardExpiry",
}
# Returned by GetAccountPasswordPolicy but not settable (derived from MaxPasswordAge).
DERIVED = ("ExpirePasswords",)


@describe_or_none("read the account password policy")
def current_policy(client):
    policy = client.get_account_password_policy(aws_retry=True)["PasswordPolicy"]
    return {k: v for k, v in policy.items() if k not in DERIVED}


@aws_error_handler("update the account password policy")
def update_policy(client, policy):
    client.update_account_password_policy(aws_retry=True, **policy)


@delete_or_gone("delete the account password policy")
def delete_policy(client):
    client.delete_account_password_policy(aws_retry=True)


def desired_policy(params):
    policy = {aws: params[opt] for opt, aws in FIELDS.items()}
    # AWS leaves these out of the policy when they are off.
    for key in ("MaxPasswordAge", "PasswordReusePrevention"):
        if not policy[key]:
            del policy[key]
    return policy


def normalize(policy):
    if policy is None:
        return {}
    return camel_dict_to_snake_dict(policy)


def _result(module, changed, before, after):
    return result(module, changed, normalize(before), normalize(after), password_policy=normalize(after))


def ensure_present(module, client):
    before = current_policy(client)
    after = desired_policy(module.params)
    changed = before != after
    if changed and not module.check_mode:
        update_policy(client, after)
        after = current_policy(client) or after
    return _result(module, changed, before, after)


def ensure_absent(module, client):
    before = current_policy(client)
    if before is not None and not module.check_mode:
        delete_policy(client)
    return _result(module, before is not None, before, None)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        minimum_password_length=dict(type="int", default=14, no_log=False),
        require_symbols=dict(type="bool", default=True),
        require_numbers=dict(type="bool", default=True),
        require_uppercase_characters=dict(type="bool", default=True),
        require_lowercase_characters=dict(type="bool", default=True),
        allow_users_to_change_password=dict(type="bool", default=True, no_log=False),
        max_password_age=dict(type="int", default=0, no_log=False),
        password_reuse_prevention=dict(type="int", default=0, no_log=False),
        hard_expiry=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not 6 <= params["minimum_password_length"] <= 128:
        module.fail_json(msg="minimum_password_length must be between 6 and 128")
    if not 0 <= params["max_password_age"] <= 1095:
        module.fail_json(msg="max_password_age must be between 0 (never expire) and 1095 days")
    if not 0 <= params["password_reuse_prevention"] <= 24:
        module.fail_json(msg="password_reuse_prevention must be between 0 (allow reuse) and 24")
    run_state(module, ensure_present, ensure_absent, aws_client(module, "iam"))


if __name__ == "__main__":
    main()
