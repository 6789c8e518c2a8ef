#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_deployment_group
short_description: An in-place CodeDeploy deployment group for EC2 and on-premises servers, with check mode and diff
version_added: 0.7.0
description:
  - Makes, updates or deletes one deployment group of a CodeDeploy application (EC2/on-premises platform,
    in-place deployments) - which servers a deployment goes to (EC2 tag filters, auto scaling groups, on-premises
    tag filters), how (deployment configuration, load balancer target groups to take each server out of while it
    is updated), and what stops it (alarms, automatic rollback).
  - A no-op run makes two reads (C(GetDeploymentGroup), C(ListTagsForResource)) and no write when O(account_id) is
    given. A change is one C(UpdateDeploymentGroup) with the whole wanted configuration; settings this module has
    no option for (triggers, blue/green) are left as they are.
  - When a group names an auto scaling group, CodeDeploy puts a lifecycle hook on it so new instances get the
    last successful revision before they serve; deleting the group removes the hook again (C(hooks_not_cleaned_up)
    lists any it could not).
  - Why a module of our own - neither amazon.aws nor community.aws (10.x) has any CodeDeploy module
    (community.aws issue 887, open since 2022).
author:
  - liftoff maintainers (@liftoff)
options:
  application_name:
    description: The CodeDeploy application the group belongs to (it must exist, except in check mode).
    type: str
    required: true
  name:
    description: The deployment group's name (1 to 100 characters).
    type: str
    required: true
  service_role_arn:
    description:
      - The role CodeDeploy acts as (it needs the AWS managed policy AWSCodeDeployRole, or its equivalent).
      - Required with O(state=present).
    type: str
  deployment_config_name:
    description: How many servers at a time (C(CodeDeployDefault.OneAtATime), C(.HalfAtATime), C(.AllAtOnce) or your own).
    type: str
    default: CodeDeployDefault.OneAtATime
  ec2_tag_filters:
    description: EC2 instances with any of these tags are in the group.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: The tag key.
        type: str
      value:
        description: The tag value.
        type: str
      type:
        description: What must match.
        type: str
        choices: [KEY_ONLY, VALUE_ONLY, KEY_AND_VALUE]
        default: KEY_AND_VALUE
  on_premises_tag_filters:
    description: Registered on-premises instances (a droplet during the move) with any of these tags are in the group.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: The tag key.
        type: str
      value:
        description: The tag value.
        type: str
      type:
        description: What must match.
        type: str
        choices: [KEY_ONLY, VALUE_ONLY, KEY_AND_VALUE]
        default: KEY_AND_VALUE
  auto_scaling_groups:
    description: Auto scaling groups whose instances are in the group (and whose new instances get the revision).
    type: list
    elements: str
    default: []
  target_group_names:
    description:
      - Load balancer target groups. Given, each server is deregistered while it is updated and registered again
        after (traffic control); empty, deployments do not touch the load balancer.
    type: list
    elements: str
    default: []
  auto_rollback_events:
    description: Roll back to the last good revision on these events; empty turns automatic rollback off.
    type: list
    elements: str
    choices: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST]
    default: [DEPLOYMENT_FAILURE]
  alarms:
    description: CloudWatch alarm names (at most 10) that stop a deployment when they fire; empty turns it off.
    type: list
    elements: str
    default: []
  alarms_ignore_poll_failure:
    description: Go on with a deployment when CodeDeploy cannot read the alarms' state.
    type: bool
    default: false
  outdated_instances_strategy:
    description: V(UPDATE) deploys the revision again to instances that launched during a deployment.
    type: str
    choices: [UPDATE, IGNORE]
    default: UPDATE
  tags:
    description: Tags for the group. Not given, its tags stay as they are (the owner tags are still added).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  owner_tags:
    description:
      - Tags that mark the group as this run's. An existing one without them fails the run unless O(adopt);
        V(absent) deletes only a group that has them. O(tags), when given, must include them.
    type: dict
    default: {}
  adopt:
    description: Take over an existing group that lacks O(owner_tags) (they are added).
    type: bool
    default: false
  account_id:
    description: The account's ID, to build the ARN tags are read by without asking STS.
    type: str
  state:
    description: V(present) makes or updates it, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Deploy to the app's auto scaling group, one server at a time, out of the load balancer while updated
  liftoff.aws.codedeploy_deployment_group:
    application_name: demo-prod-app
    name: web
    service_role_arn: arn:aws:iam::123456789012:role/liftoff/demo/prod/demo-prod-codedeploy
    auto_scaling_groups: [demo-prod-web]
    target_group_names: [demo-prod-web]
    on_premises_tag_filters:
      - {key: Project, value: demo}
    alarms: [demo-prod-web-5xx]
    auto_rollback_events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]
    tags: {Project: demo, Environment: prod}
    owner_tags: {Project: demo, Environment: prod}
"""

RETURN = r"""
deployment_group:
  description: The group after the run (empty when absent; no C(deployment_group_id) yet in check mode).
  returned: always
  type: dict
  sample:
    deployment_group_id: 2f3c0b0e-3a8e-4b59-8a4d-1b2c3d4e5f60
    application_name: demo-prod-app
    deployment_group_name: web
    arn: arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:demo-prod-app/web
    service_role_arn: arn:aws:iam::123456789012:role/liftoff/demo/prod/demo-prod-codedeploy
    deployment_config_name: CodeDeployDefault.OneAtATime
    ec2_tag_filters: []
    on_premises_tag_filters: [{key: Project, value: demo, type: KEY_AND_VALUE}]
    auto_scaling_groups: [demo-prod-web]
    target_group_names: [demo-prod-web]
    auto_rollback_events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]
    alarms: [demo-prod-web-5xx]
    alarms_ignore_poll_failure: false
    outdated_instances_strategy: UPDATE
    tags: {Project: demo, Environment: prod}
hooks_not_cleaned_up:
  description: Auto scaling lifecycle hooks CodeDeploy could not remove when it deleted the group.
  returned: when the group was deleted
  type: list
  elements: dict
  sample: []
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import MISSING_CODES
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import TAG_OPTIONS
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import account_of
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import arn
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import group_problems
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import may_delete
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import refuse_unowned
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import sync_tags
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import tag_list
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags

TAG_FILTER = dict(key=dict(type="str", no_log=False), value=dict(type="str"),
                  type=dict(type="str", choices=["KEY_ONLY", "VALUE_ONLY", "KEY_AND_VALUE"], default="KEY_AND_VALUE"))
ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]


def _filters(items):
    """Tag filters as sorted {key, value, type} dicts (what a key-only filter lacks is an empty string)."""
    return sorted(({"key": f.get("Key") or "", "value": f.get("Value") or "", "type": f.get("Type") or "KEY_AND_VALUE"}
                   for f in items or []), key=lambda f: (f["key"], f["value"], f["type"]))


def _filters_request(items):
    """Tag filter options as CodeDeploy's TagFilter objects (a missing key or value is an empty string)."""
    return [{"Key": f["key"] or "", "Value": f["value"] or "", "Type": f["type"]} for f in items]


def request(params):
    """The CreateDeploymentGroup / UpdateDeploymentGroup fields this module manages, from its options."""
    groups = params["target_group_names"]
    events = sorted(set(params["auto_rollback_events"]))
    return {
        "serviceRoleArn": params["service_role_arn"],
        "deploymentConfigName": params["deployment_config_name"],
        "ec2TagFilters": _filters_request(params["ec2_tag_filters"]),
        "onPremisesInstanceTagFilters": _filters_request(params["on_premises_tag_filters"]),
        "autoScalingGroups": list(params["auto_scaling_groups"]),
        "deploymentStyle": {"deploymentType": "IN_PLACE",
                            "deploymentOption": "WITH_TRAFFIC_CONTROL" if groups else "WITHOUT_TRAFFIC_CONTROL"},
        "loadBalancerInfo": {"targetGroupInfoList": [{"name": g} for g in groups]},
        "autoRollbackConfiguration": {"enabled": bool(events), "events": events},
        "alarmConfiguration": {"enabled": bool(params["alarms"]), "ignorePollAlarmFailure": params["alarms_ignore_poll_failure"],
                               "alarms": [{"name": a} for a in params["alarms"]]},
        "outdatedInstancesStrategy": params["outdated_instances_strategy"],
    }


def settings(info):
    """What the module compares, in its result's words, from a deploymentGroupInfo or a request()."""
    rollback = info.get("autoRollbackConfiguration") or {}
    alarm_config = info.get("alarmConfiguration") or {}
    balancer = info.get("loadBalancerInfo") or {}
    style = info.get("deploymentStyle") or {}
    traffic = style.get("deploymentOption") == "WITH_TRAFFIC_CONTROL"
    return {
        "service_role_arn": info.get("serviceRoleArn"),
        "deployment_config_name": info.get("deploymentConfigName"),
        "ec2_tag_filters": _filters(info.get("ec2TagFilters")),
        "on_premises_tag_filters": _filters(info.get("onPremisesInstanceTagFilters")),
        # a request names the auto scaling groups; GetDeploymentGroup answers {name, hook} objects
        "auto_scaling_groups": sorted(g if isinstance(g, str) else g["name"] for g in info.get("autoScalingGroups") or []),
        "target_group_names": sorted(g["name"] for g in balancer.get("targetGroupInfoList") or []) if traffic else [],
        "auto_rollback_events": sorted(rollback.get("events") or []) if rollback.get("enabled") else [],
        "alarms": sorted(a["name"] for a in alarm_config.get("alarms") or []) if alarm_config.get("enabled") else [],
        "alarms_ignore_poll_failure": bool(alarm_config.get("ignorePollAlarmFailure")) if alarm_config.get("enabled") else False,
        "outdated_instances_strategy": info.get("outdatedInstancesStrategy") or "UPDATE",
    }


@describe_or_none("read deployment group {name} of application {application}", codes=MISSING_CODES)
def find(client, application, name):
    return client.get_deployment_group(aws_retry=True, applicationName=application, deploymentGroupName=name)[
        "deploymentGroupInfo"]


@aws_error_handler("create deployment group {name} of application {application}")
def create(client, application, name, fields, tags):
    params = dict(fields, applicationName=application, deploymentGroupName=name)
    if tags:
        params["tags"] = tag_list(tags)
    return client.create_deployment_group(aws_retry=True, **params)["deploymentGroupId"]


@aws_error_handler("update deployment group {name} of application {application}")
def update(client, application, name, fields):
    client.update_deployment_group(aws_retry=True, applicationName=application, currentDeploymentGroupName=name, **fields)


@aws_error_handler("delete deployment group {name} of application {application}")
def delete(client, application, name):
    return client.delete_deployment_group(aws_retry=True, applicationName=application,
                                          deploymentGroupName=name).get("hooksNotCleanedUp", [])


def _view(application, name, group_id, resource_arn, values, tags):
    return dict(values, deployment_group_id=group_id, application_name=application, deployment_group_name=name,
                arn=resource_arn, tags=tags)


def ensure_present(module, client):
    application, name = module.params["application_name"], module.params["name"]
    desired, purge = wanted_tags(module, "the deployment group")
    resource_arn = arn(module, account_of(module), "deploymentgroup:%s/%s" % (application, name))
    fields = request(module.params)
    wanted = settings(fields)
    current = find(client, application, name)
    if current is None:
        after_tags = dict(desired or {})
        group_id = KNOWN_AFTER_CREATION
        if not module.check_mode:
            group_id = create(client, application, name, fields, after_tags)
        after = _view(application, name, group_id, resource_arn, wanted, after_tags)
        return result(module, True, {}, after, deployment_group=after)

    current_tags = tags_of(client, resource_arn)
    refuse_unowned(module, current_tags, "deployment group %s of application %s" % (name, application))
    have = settings(current)
    if have != wanted and not module.check_mode:
        update(client, application, name, fields)
    tags_changed, after_tags = sync_tags(module, client, resource_arn, current_tags, desired, purge)
    group_id = current["deploymentGroupId"]
    before = _view(application, name, group_id, resource_arn, have, current_tags)
    after = _view(application, name, group_id, resource_arn, wanted, after_tags)
    return result(module, have != wanted or tags_changed, before, after, deployment_group=after)


def ensure_absent(module, client):
    application, name = module.params["application_name"], module.params["name"]
    current = find(client, application, name)
    if current is None:
        return result(module, False, {}, {}, deployment_group={})
    resource_arn = arn(module, account_of(module), "deploymentgroup:%s/%s" % (application, name))
    current_tags = tags_of(client, resource_arn)
    before = _view(application, name, current["deploymentGroupId"], resource_arn, settings(current), current_tags)
    if not may_delete(module, current_tags, "deployment group %s of application %s" % (name, application)):
        return result(module, False, before, before, deployment_group=before)
    hooks = [] if module.check_mode else delete(client, application, name)
    return result(module, True, before, {}, deployment_group={}, hooks_not_cleaned_up=hooks)


def main():
    argument_spec = dict(
        application_name=dict(type="str", required=True),
        name=dict(type="str", required=True),
        service_role_arn=dict(type="str"),
        deployment_config_name=dict(type="str", default="CodeDeployDefault.OneAtATime"),
        ec2_tag_filters=dict(type="list", elements="dict", default=[], options=TAG_FILTER),
        on_premises_tag_filters=dict(type="list", elements="dict", default=[], options=TAG_FILTER),
        auto_scaling_groups=dict(type="list", elements="str", default=[]),
        target_group_names=dict(type="list", elements="str", default=[]),
        auto_rollback_events=dict(type="list", elements="str", choices=ROLLBACK_EVENTS, default=["DEPLOYMENT_FAILURE"]),
        alarms=dict(type="list", elements="str", default=[]),
        alarms_ignore_poll_failure=dict(type="bool", default=False),
        outdated_instances_strategy=dict(type="str", choices=["UPDATE", "IGNORE"], default="UPDATE"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        **TAG_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = group_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    run_state(module, ensure_present, ensure_absent, aws_client(module, "codedeploy"))


if __name__ == "__main__":
    main()
