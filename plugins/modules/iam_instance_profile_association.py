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
  - An instance profile given by ARN is looked up (C(GetInstanceProfile)) before any instance is
    changed; a profile that does not exist fails the module, as a name does.
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
  sample:
    - instance_id: i-0123456789abcdef0
      before: null
      after: arn:aws:iam::123456789012:instance-profile/demo-prod-app
  contains:
    instance_id:
      description: The instance.
      returned: always
      type: str
      sample: i-0123456789abcdef0
    before:
      description: Profile ARN before (null when none).
      returned: always
      type: str
      sample: arn:aws:iam::123456789012:instance-profile/legacy
    after:
      description: Profile ARN after (null when none).
      returned: always
      type: str
      sample: arn:aws:iam::123456789012:instance-profile/demo-prod-app
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state

LIVE_STATES = ["pending", "running", "stopping", "stopped"]


@describe_or_none("read instance profile {wanted}")
def profile_arn(iam, wanted):
    """The ARN of the profile (given by name or ARN), or None when it does not exist (yet)."""
    name = wanted.rsplit("/", 1)[-1] if wanted.startswith("arn:") else wanted
    arn = iam.get_instance_profile(InstanceProfileName=name, aws_retry=True)["InstanceProfile"]["Arn"]
    if wanted.startswith("arn:") and arn != wanted:
        return None  # same name, other path or account: not the profile the user named
    return arn


@aws_error_handler("list instances")
def find_instances(client, filters, instance_ids):
    filters = dict(filters or {})
    filters["instance-state-name"] = LIVE_STATES
    params = {"Filters": ansible_dict_to_boto3_filter_list(filters)}
    if instance_ids:
        params["InstanceIds"] = instance_ids
    reservations = paginate_all(client, "describe_instances", "Reservations", **params)
    return sorted(i["InstanceId"] for r in reservations for i in r["Instances"])


@aws_error_handler("list instance profile associations")
def current_associations(client, instance_ids):
    if not instance_ids:
        return {}
    associations = paginate_all(
        client,
        "describe_iam_instance_profile_associations",
        "IamInstanceProfileAssociations",
        Filters=[{"Name": "instance-id", "Values": instance_ids}],
    )
    return {a["InstanceId"]: a for a in associations if a.get("State") in ("associating", "associated")}


@aws_error_handler("change the instance profile of {instance_id}")
def set_profile(client, instance_id, association, arn):
    if association:
        client.replace_iam_instance_profile_association(
            AssociationId=association["AssociationId"], IamInstanceProfile={"Arn": arn}, aws_retry=True
        )
    else:
        client.associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Arn": arn}, aws_retry=True)


@aws_error_handler("change the instance profile of {instance_id}")
def remove_profile(client, instance_id, association):
    client.disassociate_iam_instance_profile(AssociationId=association["AssociationId"], aws_retry=True)


def _outcome(module, instances):
    changed = any(i["before"] != i["after"] for i in instances)
    return result(
        module,
        changed,
        {i["instance_id"]: i["before"] for i in instances},
        {i["instance_id"]: i["after"] for i in instances},
        instances=instances,
    )


def _selected(client, module):
    instance_ids = find_instances(client, module.params["filters"], module.params["instance_ids"])
    return instance_ids, current_associations(client, instance_ids)


def _before(association):
    return association["IamInstanceProfile"]["Arn"] if association else None


def ensure_present(module, client):
    wanted = module.params["instance_profile"]
    instance_ids, associations = _selected(client, module)
    # An ARN every instance already has needs no look-up (a no-op run stays at two reads); a name, or
    # an ARN about to be attached, is checked to exist before anything changes.
    if wanted.startswith("arn:") and all(_before(associations.get(i)) == wanted for i in instance_ids):
        arn = wanted
    else:
        arn = profile_arn(aws_client(module, "iam"), wanted)
    if arn is None and instance_ids and not module.check_mode:
        module.fail_json(msg=f"Instance profile {wanted} does not exist")
    target = arn or f"{KNOWN_AFTER_CREATION} {wanted}"

    instances = []
    for instance_id in instance_ids:
        association = associations.get(instance_id)
        before = _before(association)
        if before != target and not module.check_mode:
            set_profile(client, instance_id, association, arn)
        instances.append({"instance_id": instance_id, "before": before, "after": target})
    return _outcome(module, instances)


def ensure_absent(module, client):
    wanted = module.params["instance_profile"]
    instance_ids, associations = _selected(client, module)
    arn = wanted if wanted.startswith("arn:") else profile_arn(aws_client(module, "iam"), wanted)
    instances = []
    for instance_id in instance_ids:
        association = associations.get(instance_id)
        before = after = _before(association)
        if association and arn is not None and before == arn:
            after = None
            if not module.check_mode:
                remove_profile(client, instance_id, association)
        instances.append({"instance_id": instance_id, "before": before, "after": after})
    return _outcome(module, instances)


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
    run_state(module, ensure_present, ensure_absent, aws_client(module, "ec2"))


if __name__ == "__main__":
    main()
