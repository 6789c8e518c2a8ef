#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: dlm_lifecycle_policy
short_description: Automatic EBS snapshots with an Amazon Data Lifecycle Manager policy
version_added: 0.2.0
description:
  - Creates, updates or deletes one Data Lifecycle Manager (DLM) policy that snapshots the EBS volumes (or
    instances) carrying O(target_tags) on a schedule and keeps the newest O(retain_count) snapshots.
  - The policy is found by its O(description) (DLM policies have no name); two policies with the same
    description make the module fail rather than guess.
  - The module owns the policy's details (one schedule of O(schedule_name)). A change made elsewhere to the
    schedule, the target tags or the retention is put back on the next run; settings it does not manage
    (fast snapshot restore, cross-region copies, sharing) are dropped by an update.
  - Check mode and diff are supported; check mode calls no write API. A run that changes nothing makes one
    C(GetLifecyclePolicies) and one C(GetLifecyclePolicy) call.
  - Why a module of our own - neither amazon.aws (10) nor community.aws (10) has a Data Lifecycle Manager
    module (U(https://github.com/ansible-collections/amazon.aws/issues/879)).
  - No emulator backs this module in the collection's tests (moto has no DLM backend); it is covered by
    botocore Stubber unit tests of every call it makes.
author:
  - liftoff maintainers (@liftoff)
options:
  description:
    description: The policy's description, which identifies it. Letters, digits, spaces, C(_) and C(-), at most 500.
    type: str
    required: true
  state:
    description: V(present) creates or updates the policy, V(absent) deletes it (its snapshots stay).
    type: str
    choices: [present, absent]
    default: present
  policy_state:
    description: Whether the policy runs (V(enabled)) or is kept but paused (V(disabled)).
    type: str
    choices: [enabled, disabled]
    default: enabled
  execution_role_arn:
    description:
      - The IAM role DLM assumes to create and delete snapshots (trusting C(dlm.amazonaws.com), with the
        C(AWSDataLifecycleManagerServiceRole) managed policy or equivalent). Required with O(state=present).
    type: str
  resource_type:
    description: Snapshot each tagged V(VOLUME), or each tagged V(INSTANCE) (all its volumes, one multi-volume snapshot set).
    type: str
    choices: [VOLUME, INSTANCE]
    default: VOLUME
  target_tags:
    description: The tags a volume (or instance) must carry to be snapshotted, all of them. Required with O(state=present).
    type: dict
  schedule_name:
    description: The name of the policy's one schedule.
    type: str
    default: liftoff-daily
  interval_hours:
    description: Hours between snapshots.
    type: int
    choices: [1, 2, 3, 4, 6, 8, 12, 24]
    default: 24
  start_time:
    description: When the first snapshot of the day starts, C(HH:MM) in UTC (DLM starts it within the hour after).
    type: str
    default: "03:00"
  retain_count:
    description: How many snapshots of each volume to keep (1 to 1000); older ones are deleted by DLM.
    type: int
    default: 7
  copy_tags:
    description: Copy the volume's (or instance's) own tags to its snapshots.
    type: bool
    default: true
  tags_to_add:
    description: Tags DLM adds to every snapshot it creates.
    type: dict
    default: {}
  tags:
    description: Tags of the policy itself. Unset (the default) leaves the policy's tags alone.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove policy tags not in O(tags) (when O(tags) is set). Tags starting with C(aws:) are never removed.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Nightly snapshots of the data volumes, a week kept
  liftoff.aws.dlm_lifecycle_policy:
    description: demo-prod data volumes
    execution_role_arn: arn:aws:iam::123456789012:role/demo-prod-dlm
    target_tags:
      Project: demo
      Snapshot: daily
    retain_count: 7
    tags_to_add:
      CreatedBy: dlm
    tags:
      Project: demo

- name: Every 6 hours, 28 kept (a week)
  liftoff.aws.dlm_lifecycle_policy:
    description: demo-prod database volume
    execution_role_arn: arn:aws:iam::123456789012:role/demo-prod-dlm
    target_tags: {Role: db}
    interval_hours: 6
    start_time: "00:30"
    retain_count: 28

- name: Stop taking snapshots (the ones taken stay)
  liftoff.aws.dlm_lifecycle_policy:
    description: demo-prod data volumes
    state: absent
"""

RETURN = r"""
policy:
  description: The policy after the run (in check mode, what it would be); empty after O(state=absent).
  returned: success
  type: dict
  contains:
    policy_id:
      description: The policy's ID (unknown in check mode before it is created).
      type: str
      sample: policy-0123456789abcdef0
    policy_arn:
      description: The policy's ARN.
      type: str
      sample: arn:aws:dlm:eu-west-1:123456789012:policy/policy-0123456789abcdef0
    description:
      description: The description that identifies it.
      type: str
      sample: demo-prod data volumes
    state:
      description: C(ENABLED) or C(DISABLED).
      type: str
      sample: ENABLED
    execution_role_arn:
      description: The role DLM assumes.
      type: str
      sample: arn:aws:iam::123456789012:role/demo-prod-dlm
    resource_type:
      description: C(VOLUME) or C(INSTANCE).
      type: str
      sample: VOLUME
    target_tags:
      description: The tags that select the volumes.
      type: dict
      sample: {"Project": "demo", "Snapshot": "daily"}
    schedule:
      description: The one schedule - name, interval_hours, start_time, retain_count, copy_tags, tags_to_add.
      type: dict
      sample: {"name": "liftoff-daily", "interval_hours": 24, "start_time": "03:00", "retain_count": 7,
               "copy_tags": true, "tags_to_add": {"CreatedBy": "dlm"}}
    tags:
      description: The policy's own tags.
      type: dict
      sample: {"Project": "demo"}
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import ensure_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode

DESCRIPTION = re.compile(r"^[0-9A-Za-z _-]{1,500}$")
SCHEDULE_NAME = re.compile(r"^[0-9A-Za-z _-]{1,120}$")
START_TIME = re.compile(r"^(0[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$")


def _tag_list(tags):
    """A tag dict as DLM's Key/Value list, in key order so the request does not depend on the dict's."""
    return ansible_dict_to_boto3_tag_list({str(k): str(v) for k, v in sorted((tags or {}).items())})


@aws_error_handler("list the Data Lifecycle Manager policies")
def find_policy_ids(client, description):
    policies = client.get_lifecycle_policies(aws_retry=True).get("Policies", [])
    return [p["PolicyId"] for p in policies if p.get("Description") == description]


@describe_or_none("read Data Lifecycle Manager policy {policy_id}")
def read_policy(client, policy_id):
    return client.get_lifecycle_policy(PolicyId=policy_id, aws_retry=True)["Policy"]


def view(policy):
    """What the module manages of a policy as DLM returns it (GetLifecyclePolicy), snake_case."""
    details = policy.get("PolicyDetails") or {}
    schedules = details.get("Schedules") or [{}]
    schedule = schedules[0]
    create, retain = schedule.get("CreateRule") or {}, schedule.get("RetainRule") or {}
    times = create.get("Times") or []
    return {
        "policy_id": policy.get("PolicyId"),
        "policy_arn": policy.get("PolicyArn"),
        "description": policy.get("Description"),
        "state": policy.get("State"),
        "execution_role_arn": policy.get("ExecutionRoleArn"),
        "resource_type": (details.get("ResourceTypes") or [None])[0],
        "target_tags": boto3_tag_list_to_ansible_dict(details.get("TargetTags")),
        "schedule": {
            "name": schedule.get("Name"),
            "interval_hours": create.get("Interval") if create.get("IntervalUnit", "HOURS") == "HOURS" else None,
            "start_time": times[0] if times else None,
            "retain_count": retain.get("Count"),
            "copy_tags": bool(schedule.get("CopyTags", False)),
            "tags_to_add": boto3_tag_list_to_ansible_dict(schedule.get("TagsToAdd")),
        },
        "schedule_count": len(details.get("Schedules") or []),
        "tags": dict(policy.get("Tags") or {}),
    }


def wanted_view(params, current):
    return {
        "policy_id": current.get("policy_id"),
        "policy_arn": current.get("policy_arn"),
        "description": params["description"],
        "state": params["policy_state"].upper(),
        "execution_role_arn": params["execution_role_arn"],
        "resource_type": params["resource_type"],
        "target_tags": {str(k): str(v) for k, v in params["target_tags"].items()},
        "schedule": {
            "name": params["schedule_name"],
            "interval_hours": params["interval_hours"],
            "start_time": params["start_time"],
            "retain_count": params["retain_count"],
            "copy_tags": params["copy_tags"],
            "tags_to_add": {str(k): str(v) for k, v in (params["tags_to_add"] or {}).items()},
        },
        "schedule_count": 1,
        "tags": current.get("tags", {}),
    }


def policy_details(params):
    schedule = {
        "Name": params["schedule_name"],
        "CopyTags": params["copy_tags"],
        "CreateRule": {"Location": "CLOUD", "Interval": params["interval_hours"], "IntervalUnit": "HOURS",
                       "Times": [params["start_time"]]},
        "RetainRule": {"Count": params["retain_count"]},
    }
    if params["tags_to_add"]:
        schedule["TagsToAdd"] = _tag_list(params["tags_to_add"])
    return {
        "PolicyType": "EBS_SNAPSHOT_MANAGEMENT",
        "ResourceTypes": [params["resource_type"]],
        "ResourceLocations": ["CLOUD"],
        "TargetTags": _tag_list(params["target_tags"]),
        "Schedules": [schedule],
    }


@aws_error_handler("create the Data Lifecycle Manager policy {params[description]}")
def create_policy(module, client, params, tags):
    kwargs = dict(ExecutionRoleArn=params["execution_role_arn"], Description=params["description"],
                  State=params["policy_state"].upper(), PolicyDetails=policy_details(params))
    if tags:
        kwargs["Tags"] = tags
    created = unless_check_mode(module, client.create_lifecycle_policy, **kwargs)
    return (created or {}).get("PolicyId")


@aws_error_handler("update Data Lifecycle Manager policy {policy_id}")
def update_policy(module, client, policy_id, params):
    unless_check_mode(module, client.update_lifecycle_policy, PolicyId=policy_id,
                      ExecutionRoleArn=params["execution_role_arn"], State=params["policy_state"].upper(),
                      Description=params["description"], PolicyDetails=policy_details(params))


@aws_error_handler("tag Data Lifecycle Manager policy {arn}")
def set_tags(client, arn, tags):
    client.tag_resource(ResourceArn=arn, Tags=tags, aws_retry=True)


@aws_error_handler("untag Data Lifecycle Manager policy {arn}")
def unset_tags(client, arn, keys):
    client.untag_resource(ResourceArn=arn, TagKeys=keys, aws_retry=True)


@delete_or_gone("delete Data Lifecycle Manager policy {policy_id}")
def delete_policy(module, client, policy_id):
    unless_check_mode(module, client.delete_lifecycle_policy, PolicyId=policy_id)


def check_params(module):
    params = module.params
    problems = []
    if not DESCRIPTION.match(params["description"] or ""):
        problems.append("description %r: DLM takes 1 to 500 letters, digits, spaces, _ and -" % params["description"])
    if params["state"] == "present":
        if not params["execution_role_arn"]:
            problems.append("execution_role_arn is required with state present (the role DLM assumes)")
        elif not params["execution_role_arn"].startswith("arn:aws"):
            problems.append("execution_role_arn %r is not an IAM role ARN" % params["execution_role_arn"])
        if not params["target_tags"]:
            problems.append("target_tags is required with state present: without them no volume is selected")
        if not SCHEDULE_NAME.match(params["schedule_name"] or ""):
            problems.append("schedule_name %r: 1 to 120 letters, digits, spaces, _ and -" % params["schedule_name"])
        if not START_TIME.match(params["start_time"] or ""):
            problems.append("start_time %r: HH:MM in UTC, like 03:00" % params["start_time"])
        if not 1 <= params["retain_count"] <= 1000:
            problems.append("retain_count is %d: DLM keeps 1 to 1000 snapshots a volume" % params["retain_count"])
    if problems:
        module.fail_json(msg="; ".join(problems))


def _one_policy(module, client):
    ids = find_policy_ids(client, module.params["description"])
    if len(ids) > 1:
        message = ("%d Data Lifecycle Manager policies have the description %r (%s): the module cannot tell which is "
                   "its own; delete or rename the others")
        module.fail_json(msg=message % (len(ids), module.params["description"], ", ".join(ids)))
    return read_policy(client, ids[0]) if ids else None


def ensure_present(module, client):
    check_params(module)
    params = module.params
    found = _one_policy(module, client)
    before = view(found) if found else {}
    wanted = wanted_view(params, before)
    changed = False
    if not found:
        tags = {str(k): str(v) for k, v in (params["tags"] or {}).items()}
        wanted["policy_id"] = create_policy(module, client, params, tags)
        wanted["tags"] = tags
        return result(module, True, before, wanted, policy=wanted)
    managed = ("state", "execution_role_arn", "resource_type", "target_tags", "schedule", "schedule_count")
    if any(before[key] != wanted[key] for key in managed):
        update_policy(module, client, before["policy_id"], params)
        changed = True
    arn = before["policy_arn"]
    tags_changed, wanted["tags"] = ensure_tags(module, before["tags"], params["tags"], params["purge_tags"],
                                               lambda tags: set_tags(client, arn, tags),
                                               lambda keys: unset_tags(client, arn, keys))
    changed = changed or tags_changed
    return result(module, changed, before, wanted, policy=wanted)


def ensure_absent(module, client):
    check_params(module)
    found = _one_policy(module, client)
    if not found:
        return result(module, False, {}, {}, policy={})
    before = view(found)
    changed = delete_policy(module, client, before["policy_id"])
    return result(module, changed, before, {}, policy={})


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            description=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            policy_state=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
            execution_role_arn=dict(type="str"),
            resource_type=dict(type="str", choices=["VOLUME", "INSTANCE"], default="VOLUME"),
            target_tags=dict(type="dict"),
            schedule_name=dict(type="str", default="liftoff-daily"),
            interval_hours=dict(type="int", choices=[1, 2, 3, 4, 6, 8, 12, 24], default=24),
            start_time=dict(type="str", default="03:00"),
            retain_count=dict(type="int", default=7),
            copy_tags=dict(type="bool", default=True),
            tags_to_add=dict(type="dict", default={}),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    # DLM throttles with ThrottlingException and has passing InternalServerExceptions: both are retried too.
    run_state(module, ensure_present, ensure_absent,
              aws_client(module, "dlm", retry_codes=["ThrottlingException", "InternalServerException"]))


if __name__ == "__main__":
    main()
