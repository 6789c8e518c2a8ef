#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_application
short_description: A CodeDeploy application, with tags, owner tags, check mode and diff
version_added: 0.7.0
description:
  - Makes, tags or deletes one CodeDeploy application - the name that deployment groups and revisions hang from.
  - A no-op run makes two reads (C(GetApplication), C(ListTagsForResource)) and no write when O(account_id) is
    given; without it, one C(GetCallerIdentity) more (CodeDeploy tags by ARN, and its reads return none).
  - An application's compute platform cannot change; the module fails instead of replacing it.
  - V(absent) deletes the application, and with it every deployment group it has (CodeDeploy does that). With
    O(owner_tags) set, an application without them is left alone, with a warning.
  - Why a module of our own - neither amazon.aws nor community.aws (10.x) has any CodeDeploy module
    (community.aws issue 887, open since 2022).
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description: The application's name (1 to 100 characters).
    type: str
    required: true
  compute_platform:
    description: What it deploys to; V(Server) is EC2 instances and on-premises servers.
    type: str
    choices: [Server, Lambda, ECS]
    default: Server
  tags:
    description: Tags for the application. Not given, its tags stay as they are (the owner tags are still added).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  owner_tags:
    description:
      - Tags that mark the application as this run's. An existing one without them fails the run unless O(adopt);
        V(absent) deletes only an application that has them. O(tags), when given, must include them.
    type: dict
    default: {}
  adopt:
    description: Take over an existing application that lacks O(owner_tags) (they are added).
    type: bool
    default: false
  account_id:
    description: The account's ID, to build the ARN tags are read by without asking STS.
    type: str
  state:
    description: V(present) makes or tags it, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The app's CodeDeploy application
  liftoff.aws.codedeploy_application:
    name: demo-prod-app
    tags: {Project: demo, Environment: prod}
    owner_tags: {Project: demo, Environment: prod}

- name: Gone again, with its deployment groups
  liftoff.aws.codedeploy_application:
    name: demo-prod-app
    owner_tags: {Project: demo, Environment: prod}
    state: absent
"""

RETURN = r"""
application:
  description: The application after the run (empty when absent; no C(application_id) yet in check mode).
  returned: always
  type: dict
  sample:
    application_id: 7c1f0e62-0b9f-4f5e-9d51-7a8f8f0b1c2d
    application_name: demo-prod-app
    compute_platform: Server
    arn: arn:aws:codedeploy:eu-west-1:123456789012:application:demo-prod-app
    tags: {Project: demo, Environment: prod}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import MISSING_CODES
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import TAG_OPTIONS
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import account_of
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import arn
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import may_delete
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import refuse_unowned
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import sync_tags
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import tag_list
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags


@describe_or_none("read application {name}", codes=MISSING_CODES)
def find(client, name):
    return client.get_application(aws_retry=True, applicationName=name)["application"]


@aws_error_handler("create application {name}")
def create(client, name, platform, tags):
    params = {"applicationName": name, "computePlatform": platform}
    if tags:
        params["tags"] = tag_list(tags)
    return client.create_application(aws_retry=True, **params)["applicationId"]


@delete_or_gone("delete application {name}", codes=MISSING_CODES)
def delete(client, name):
    client.delete_application(aws_retry=True, applicationName=name)


def _view(name, application_id, platform, resource_arn, tags):
    return {"application_id": application_id, "application_name": name, "compute_platform": platform,
            "arn": resource_arn, "tags": tags}


def ensure_present(module, client):
    name, platform = module.params["name"], module.params["compute_platform"]
    desired, purge = wanted_tags(module, "the application")
    resource_arn = arn(module, account_of(module), "application:" + name)
    current = find(client, name)
    if current is None:
        after_tags = dict(desired or {})
        application_id = KNOWN_AFTER_CREATION
        if not module.check_mode:
            application_id = create(client, name, platform, after_tags)
        after = _view(name, application_id, platform, resource_arn, after_tags)
        return result(module, True, {}, after, application=after)

    if current.get("computePlatform", "Server") != platform:
        module.fail_json(msg="application %s deploys to %s, not %s: CodeDeploy cannot change that; delete it "
                             "first or use another name" % (name, current.get("computePlatform"), platform))
    current_tags = tags_of(client, resource_arn)
    refuse_unowned(module, current_tags, "CodeDeploy application %s" % name)
    changed, after_tags = sync_tags(module, client, resource_arn, current_tags, desired, purge)
    before = _view(name, current["applicationId"], platform, resource_arn, current_tags)
    after = _view(name, current["applicationId"], platform, resource_arn, after_tags)
    return result(module, changed, before, after, application=after)


def ensure_absent(module, client):
    name = module.params["name"]
    current = find(client, name)
    if current is None:
        return result(module, False, {}, {}, application={})
    resource_arn = arn(module, account_of(module), "application:" + name)
    current_tags = tags_of(client, resource_arn)
    before = _view(name, current["applicationId"], current.get("computePlatform"), resource_arn, current_tags)
    if not may_delete(module, current_tags, "CodeDeploy application %s" % name):
        return result(module, False, before, before, application=before)
    if not module.check_mode:
        delete(client, name)
    return result(module, True, before, {}, application={})


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        compute_platform=dict(type="str", choices=["Server", "Lambda", "ECS"], default="Server"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        **TAG_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not 1 <= len(module.params["name"]) <= 100:
        module.fail_json(msg="name is %d characters: a CodeDeploy application's name has 1 to 100"
                         % len(module.params["name"]))
    run_state(module, ensure_present, ensure_absent, aws_client(module, "codedeploy"))


if __name__ == "__main__":
    main()
