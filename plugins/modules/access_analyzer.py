#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: access_analyzer
short_description: One IAM Access Analyzer external access analyzer (account or organization), with its tags
version_added: 0.3.0
description:
  - Creates or deletes one IAM Access Analyzer analyzer of the region, and keeps its tags as given. The analyzer
    reports resources (S3 buckets, IAM roles, KMS keys, ...) whose policies grant access to a principal outside its
    zone of trust - the account (O(type=ACCOUNT)) or the organization (O(type=ORGANIZATION)).
  - The only read is C(GetAnalyzer) (C(ResourceNotFoundException) means there is none; after a create, one more
    for the status). Writes are C(CreateAnalyzer), C(TagResource), C(UntagResource) and C(DeleteAnalyzer), each
    only when something differs; a run that changes nothing makes no write call.
  - An analyzer's type cannot be changed. When the analyzer of that name has another type the module fails and says
    so; delete it first (O(state=absent)) to make one of the new type.
  - An analyzer is this module's when it carries every tag of O(owner_tags). O(state=absent) deletes only such an
    analyzer; one that someone else made is left alone and reported with RV(owned=false). O(state=present) fails
    rather than take over an analyzer without those tags, unless O(adopt=true).
  - Check mode and diff are supported; check mode calls no write API.
  - Cost - free. AWS charges nothing for external access analyzers, the two types this module makes (V(ACCOUNT),
    V(ORGANIZATION)). Unused access analyzers, which it does not make, are billed per IAM role and user analysed
    (U(https://aws.amazon.com/iam/access-analyzer/pricing/)).
  - Why a module of our own - neither amazon.aws (10) nor community.aws (10) manages analyzers; community.aws has
    only M(community.aws.accessanalyzer_validate_policy_info), which validates a policy document. No upstream issue
    asking for one was found.
  - moto (5.2.5) has no Access Analyzer backend, so all of the collection's unit tests of this module use botocore
    Stubber.
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description: The analyzer's name (unique in the account and region).
    type: str
    required: true
  state:
    description: V(present) creates the analyzer or updates its tags, V(absent) deletes it (only when it is this module's).
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The zone of trust. V(ORGANIZATION) needs the organization's management account or a delegated administrator
        for Access Analyzer. Cannot be changed once the analyzer exists.
    type: str
    choices: [ACCOUNT, ORGANIZATION]
    default: ACCOUNT
  tags:
    description:
      - The analyzer's tags. Must include O(owner_tags). Not given - the tags are left as they are (except that
        O(owner_tags) are added when missing).
    type: dict
  purge_tags:
    description: Remove the analyzer's tags that O(tags) does not list (C(aws:) tags are never removed).
    type: bool
    default: true
  owner_tags:
    description:
      - Tags that mark the analyzer as this module's (all must match). Empty - any analyzer of that name counts as
        this module's.
    type: dict
    default: {}
  adopt:
    description:
      - With O(state=present), take over an analyzer of that name that lacks O(owner_tags) (it is then given O(tags)).
        Without it such an analyzer makes the module fail. O(state=absent) never deletes an analyzer that lacks
        O(owner_tags).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: An analyzer with the account as zone of trust
  liftoff.aws.access_analyzer:
    region: eu-west-1
    name: demo-prod-account
    tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    owner_tags: {Project: demo, ManagedBy: liftoff}

- name: One for the whole organization (from the management or delegated administrator account)
  liftoff.aws.access_analyzer:
    region: eu-west-1
    name: demo-organization
    type: ORGANIZATION
    owner_tags: {Project: demo, ManagedBy: liftoff}

- name: Delete it, only if it is ours
  liftoff.aws.access_analyzer:
    region: eu-west-1
    name: demo-prod-account
    owner_tags: {Project: demo, ManagedBy: liftoff}
    state: absent
"""

RETURN = r"""
arn:
  description:
    - The analyzer's ARN; V((known after creation)) when check mode would create it; V(null) when there is none (or
      no longer one).
  returned: always
  type: str
  sample: arn:aws:access-analyzer:eu-west-1:123456789012:analyzer/demo-prod-account
name:
  description: The analyzer's name.
  returned: always
  type: str
  sample: demo-prod-account
type:
  description: C(ACCOUNT) or C(ORGANIZATION) (another type for an analyzer made elsewhere); V(null) when there is none.
  returned: always
  type: str
  sample: ACCOUNT
status:
  description:
    - C(ACTIVE), C(CREATING), C(DISABLED) or C(FAILED); after a create, as read right after it (one more
      C(GetAnalyzer)). V((known after creation)) when check mode would create it; V(null) when there is none.
  returned: always
  type: str
  sample: ACTIVE
tags:
  description: The analyzer's tags ({} when there is none).
  returned: always
  type: dict
  sample: {Project: demo, Environment: prod, ManagedBy: liftoff}
owned:
  description:
    - Whether the analyzer carries every tag of O(owner_tags). V(false) after O(state=absent) means it was left alone.
      V(true) when there is no analyzer.
  returned: always
  type: bool
  sample: true
msg:
  description: Why the analyzer was left alone.
  returned: when O(state=absent) found an analyzer without O(owner_tags)
  type: str
  sample: "IAM Access Analyzer analyzer demo-prod-account lacks the tags {\"ManagedBy\": \"liftoff\"}: left alone."
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import describe_or_none
from ansible_collections.liftoff.aws.plugins.module_utils.core import ensure_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags

RETRY_CODES = ["ThrottlingException", "InternalServerException"]


@describe_or_none("read IAM Access Analyzer analyzer {name}")
def read_analyzer(client, name):
    return client.get_analyzer(analyzerName=name, aws_retry=True)["analyzer"]


@aws_error_handler("create IAM Access Analyzer analyzer {name}")
def create_analyzer(module, client, name, kind, tags):
    request = dict(analyzerName=name, type=kind)
    if tags:
        request["tags"] = tags
    created = unless_check_mode(module, client.create_analyzer, **request)
    return created["arn"] if created else KNOWN_AFTER_CREATION


@aws_error_handler("tag IAM Access Analyzer analyzer {arn}")
def set_tags(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=tags, aws_retry=True)


@aws_error_handler("untag IAM Access Analyzer analyzer {arn}")
def unset_tags(client, arn, keys):
    client.untag_resource(resourceArn=arn, tagKeys=keys, aws_retry=True)


@delete_or_gone("delete IAM Access Analyzer analyzer {name}")
def delete_analyzer(module, client, name):
    unless_check_mode(module, client.delete_analyzer, analyzerName=name)


def view(name, analyzer):
    if not analyzer:
        return {"arn": None, "name": name, "type": None, "status": None, "tags": {}}
    return {"arn": analyzer.get("arn"), "name": analyzer.get("name", name), "type": analyzer.get("type"),
            "status": analyzer.get("status"), "tags": dict(analyzer.get("tags") or {})}


def ensure_present(module, client):
    params = module.params
    name, kind = params["name"], params["type"]
    tags, purge = wanted_tags(module, "the analyzer")
    owner_tags = owner_tags_of(module)
    analyzer = read_analyzer(client, name)
    if analyzer is None:
        new_tags = tags or {}
        arn = create_analyzer(module, client, name, kind, new_tags)
        after = {"arn": arn, "name": name, "type": kind, "status": KNOWN_AFTER_CREATION, "tags": new_tags}
        if not module.check_mode:
            # CreateAnalyzer returns only the ARN: one GetAnalyzer for the status (CREATING, then ACTIVE).
            made = read_analyzer(client, name) or {}
            after["status"] = made.get("status")
        return result(module, True, {}, after, owned=True, **after)
    before = view(name, analyzer)
    if not is_owned(before["tags"], owner_tags) and not params["adopt"]:
        module.fail_json(msg="IAM Access Analyzer analyzer %s exists without the tags %s: someone else made it, the module "
                             "will not take it over (adopt=true manages it)" % (name, json.dumps(owner_tags)),
                         arn=before["arn"], owned=False)
    if before["type"] != kind:
        module.fail_json(msg="IAM Access Analyzer analyzer %s is of type %s, not %s, and an analyzer's type cannot be "
                             "changed: delete it first (state=absent), then create it again with type=%s"
                             % (name, before["type"], kind, kind), arn=before["arn"], owned=True)
    changed, tags_after = ensure_tags(module, before["tags"], tags, purge, lambda new: set_tags(client, before["arn"], new),
                                      lambda keys: unset_tags(client, before["arn"], keys))
    after = dict(before)
    after["tags"] = tags_after
    returned = dict(after)
    returned["owned"] = True
    return result(module, changed, before, after, **returned)


def ensure_absent(module, client):
    name = module.params["name"]
    owner_tags = owner_tags_of(module)
    analyzer = read_analyzer(client, name)
    if analyzer is None:
        return result(module, False, {}, {}, owned=True, **view(name, None))
    before = view(name, analyzer)
    if not is_owned(before["tags"], owner_tags):
        message = "IAM Access Analyzer analyzer %s lacks the tags %s: left alone." % (name, json.dumps(owner_tags))
        return result(module, False, before, before, owned=False, msg=message, **before)
    changed = delete_analyzer(module, client, name)
    return result(module, changed, before, {}, owned=True, **view(name, None))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            type=dict(type="str", choices=["ACCOUNT", "ORGANIZATION"], default="ACCOUNT"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            owner_tags=dict(type="dict", default={}),
            adopt=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_state(module, ensure_present, ensure_absent, aws_client(module, "accessanalyzer", retry_codes=RETRY_CODES))


if __name__ == "__main__":
    main()
