#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_account_summary_info
short_description: Read the IAM account summary (entity counts, quotas, root access keys and MFA)
version_added: 0.1.0
description:
  - Returns C(GetAccountSummary) as a snake_case dict, for example to see whether the account root user
    still has access keys (C(account_access_keys_present)) or MFA (C(account_mfa_enabled)).
  - Read-only; runs the same in check mode.
  - Why a module of our own - neither amazon.aws nor community.aws (10.x) calls C(GetAccountSummary).
author:
  - liftoff maintainers (@liftoff)
options: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Does the root user have access keys?
  liftoff.aws.iam_account_summary_info:
  register: summary

- name: Say so
  ansible.builtin.debug:
    msg: "root access keys present: {{ summary.summary.account_access_keys_present == 1 }}"
"""

RETURN = r"""
summary:
  description: The C(SummaryMap) of C(GetAccountSummary), keys in snake_case.
  returned: always
  type: dict
  sample:
    account_access_keys_present: 0
    account_mfa_enabled: 1
    users: 3
    users_quota: 5000
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import run


@aws_error_handler("read the IAM account summary")
def read_summary(module, client):
    summary = client.get_account_summary(aws_retry=True)["SummaryMap"]
    return {"changed": False, "summary": camel_dict_to_snake_dict(summary)}


def main():
    module = AnsibleAWSModule(argument_spec={}, supports_check_mode=True)
    run(module, read_summary, aws_client(module, "iam"))


if __name__ == "__main__":
    main()
