#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_instance_profile_association
short_description: Give existing EC2 instances an IAM instance profile, or take ours away
version_added: 0.1.0
description:
  - Finds instances by O(filters) (or O(instance_ids)), skipping terminated and shutting-down ones, and
    makes sure each has the instance profile O(instance_profile) - C(AssociateIamInstanceProfile) when it
    has none, C(ReplaceIamInstanceProfileAssociation) when it has another. It touches nothing else.
  - O(state=absent) disassociates the profile only from instances that have exactly this profile;
    other profiles are left alone.
  - Check mode and diff are supported; check mode calls no write API.
  - Why a module of our own - amazon.aws.ec2_instance (10.1) can change the profile of existing instances,
    but it also starts stopped instances (its V(present) means running), may change other attributes it
    manages, and its profile change ignores check mode (it associates for real in a dry run).
author:
  - liftoff maintainers (@liftoff)
options:
  instance_profile:
    description: Name or ARN of the instance profile.
    type: str
    required: true
  filters:
    description:
      - EC2 C(DescribeInstances) filters selecting the instances, for example C(tag:Role=app) as a dict.
      - Terminated and shutting-down instances are always skipped.
    type: dict
  instance_ids:
    description: Instance IDs instead of (or in addition to) O(filters).
    type: list
    elements: str
  state:
    description: V(present) associates or replaces, V(absent) disassociates this profile.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: App servers that already run get the app instance profile
  liftoff.aws.iam_instance_profile_association:
    instance_profile: demo-prod-app
    filters:
      "tag:Project": demo
      "tag:Role": app
"""

RETURN = r"""
instances:
  description: One entry per selected instance, with the profile ARN before and after.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance.
      type: str
    before:
      description: Profile ARN before (null when none).
      type: str
    after:
      description: Profile ARN after (null when none).
      type: str
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError

    ERRORS = (ClientError, BotoCoreError)
except ImportError:
    ERRORS = ()  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

LIVE_STATES = ["pending", "running", "stopping", "stopped"]


def profile_arn(module, wanted):
    """The ARN of the profile, or None when it does not exist (yet)."""
    if wanted.startswith("arn:"):
        return wanted
    iam = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
    try:
        return iam.get_instance_profile(InstanceProfileName=wanted, aws_retry=True)["InstanceProfile"]["Arn"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    except ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read instance profile {wanted}")


def find_instances(client, module):
    filters = dict(module.params["filters"] or {})
    filters["instance-state-name"] = LIVE_STATES
    params = {"Filters": ansible_dict_to_boto3_filter_list(filters)}
    if module.params["instance_ids"]:
        params["InstanceIds"] = module.params["instance_ids"]
    try:
        pages = client.get_paginator("describe_instances").paginate(**params).build_full_result()
    except ERRORS as e:
        module.fail_json_aws(e, msg="Could not list instances")
    return sorted(i["InstanceId"] for r in pages.get("Reservations", []) for i in r["Instances"])


def current_associations(client, module, instance_ids):
    if not instance_ids:
        return {}
    try:
        pages = (
            client.get_paginator("describe_iam_instance_profile_associations")
            .paginate(Filters=[{"Name": "instance-id", "Values": instance_ids}])
            .build_full_result()
        )
    except ERRORS as e:
        module.fail_json_aws(e, msg="Could not list instance profile associations")
    return {
        a["InstanceId"]: a
        for a in pages.get("IamInstanceProfileAssociations", [])
        if a.get("State") in ("associating", "associated")
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_profile=dict(type="str", required=True),
            filters=dict(type="dict"),
            instance_ids=dict(type="list", elements="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_one_of=[("filters", "instance_ids")],
        supports_check_mode=True,
    )
    wanted = module.params["instance_profile"]
    state = module.params["state"]
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())

    instance_ids = find_instances(client, module)
    associations = current_associations(client, module, instance_ids)
    arn = profile_arn(module, wanted)
    if arn is None and state == "present" and instance_ids and not module.check_mode:
        module.fail_json(msg=f"Instance profile {wanted} does not exist")
    target = arn or f"(known after creation) {wanted}"

    changed = False
    instances = []
    for instance_id in instance_ids:
        association = associations.get(instance_id)
        before = association["IamInstanceProfile"]["Arn"] if association else None
        after = before
        try:
            if state == "present" and before != target:
                after = target
                if not module.check_mode:
                    if association:
                        client.replace_iam_instance_profile_association(
                            AssociationId=association["AssociationId"], IamInstanceProfile={"Arn": arn}, aws_retry=True
                        )
                    else:
                        client.associate_iam_instance_profile(
                            InstanceId=instance_id, IamInstanceProfile={"Arn": arn}, aws_retry=True
                        )
            elif state == "absent" and association and arn is not None and before == arn:
                after = None
                if not module.check_mode:
                    client.disassociate_iam_instance_profile(AssociationId=association["AssociationId"], aws_retry=True)
        except ERRORS as e:
            module.fail_json_aws(e, msg=f"Could not change the instance profile of {instance_id}")
        changed |= after != before
        instances.append({"instance_id": instance_id, "before": before, "after": after})

    result = {"changed": changed, "instances": instances}
    if module._diff:
        result["diff"] = {
            "before": {i["instance_id"]: i["before"] for i in instances},
            "after": {i["instance_id"]: i["after"] for i in instances},
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
