# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What liftoff.aws's CodeDeploy modules share: the resources' ARNs, their tags, and the owner-tag rule.

CodeDeploy's Get calls return no ARN, and its tags are read and written by ARN, so a module builds the ARN from the
account, the region and the names. The account comes from the module's ``account_id`` option when the caller knows
it (the roles pass preflight's), so a no-op run reads the resource and its tags and nothing else; without it, one
``GetCallerIdentity`` call finds it.
"""

from __future__ import annotations

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import ensure_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import partition_of

# The options every CodeDeploy module with tags takes (merged into its argument spec).
TAG_OPTIONS = dict(
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    owner_tags=dict(type="dict", default={}),
    adopt=dict(type="bool", default=False),
    account_id=dict(type="str"),
)

# Errors that mean the application (or the group, or both) is not there.
MISSING_CODES = ("ApplicationDoesNotExistException", "DeploymentGroupDoesNotExistException")


@aws_error_handler("find the account (GetCallerIdentity)")
def _caller_account(module):
    return module.client("sts").get_caller_identity()["Account"]


def account_of(module):
    """The account ID: the ``account_id`` option, else STS's answer for the credentials in use."""
    return str(module.params.get("account_id") or _caller_account(module))


def arn(module, account_id, resource):
    """``arn:<partition>:codedeploy:<region>:<account>:<resource>`` (resource: ``application:x``, ...)."""
    return f"arn:{partition_of(module.region)}:codedeploy:{module.region}:{account_id}:{resource}"


@aws_error_handler("read the tags of {resource_arn}")
def tags_of(client, resource_arn):
    answer = client.list_tags_for_resource(aws_retry=True, ResourceArn=resource_arn)
    return {t["Key"]: t.get("Value", "") for t in answer.get("Tags") or []}


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]


def refuse_unowned(module, current_tags, noun):
    """Fail when a resource found by name lacks the owner tags and ``adopt`` is false: it is someone else's."""
    owner_tags = owner_tags_of(module)
    if owner_tags and not is_owned(current_tags, owner_tags) and not module.params["adopt"]:
        module.fail_json(msg="%s exists but does not carry the owner tags %s, so it is not this run's: rename it "
                             "here, or set adopt to take it over" % (noun, owner_tags))


def may_delete(module, current_tags, noun):
    """True when absent may delete the resource: it carries the owner tags (or none are set). Warns otherwise."""
    owner_tags = owner_tags_of(module)
    if owner_tags and not is_owned(current_tags, owner_tags):
        module.warn("%s does not carry the owner tags %s: left in place" % (noun, owner_tags))
        return False
    return True


def sync_tags(module, client, resource_arn, current_tags, desired, purge):
    """ensure_tags through TagResource / UntagResource; returns (changed, tags after)."""

    @aws_error_handler("tag %s" % resource_arn)
    def set_tags(tags):
        client.tag_resource(aws_retry=True, ResourceArn=resource_arn, Tags=tag_list(tags))

    @aws_error_handler("untag %s" % resource_arn)
    def unset_tags(keys):
        client.untag_resource(aws_retry=True, ResourceArn=resource_arn, TagKeys=keys)

    return ensure_tags(module, current_tags, desired, purge, set_tags, unset_tags)


def group_problems(params, names=None):
    """What is wrong with a deployment group's settings (codedeploy_deployment_group's option names in ``params``)
    that AWS would refuse later, or that would deploy nowhere, as messages. ``names`` maps an option to the name
    the user knows it by (a role variable), for the messages."""
    names = names or {}

    def name(option):
        return names.get(option, option)

    problems = []
    for option in ("application_name", "name"):
        value = params.get(option) or ""
        if not 1 <= len(value) <= 100 or "/" in value or value.strip() != value:
            problems.append("%s is %r: CodeDeploy names are 1 to 100 characters, no slash, no leading or trailing space"
                            % (name(option), value))
    if params.get("state", "present") != "present":
        return problems
    if not str(params.get("service_role_arn") or "").startswith("arn:"):
        problems.append("%s must be the ARN of the role CodeDeploy acts as" % name("service_role_arn"))
    if not (params.get("ec2_tag_filters") or params.get("on_premises_tag_filters") or params.get("auto_scaling_groups")):
        problems.append("the deployment group would have no servers: give %s, %s or %s"
                        % (name("ec2_tag_filters"), name("on_premises_tag_filters"), name("auto_scaling_groups")))
    for option in ("ec2_tag_filters", "on_premises_tag_filters"):
        for item in params.get(option) or []:
            kind = item.get("type") or "KEY_AND_VALUE"
            needs = {"KEY_ONLY": ["key"], "VALUE_ONLY": ["value"], "KEY_AND_VALUE": ["key", "value"]}.get(kind, [])
            missing = [n for n in needs if not item.get(n)]
            if missing:
                problems.append("%s: a %s filter needs %s (%r)" % (name(option), kind, " and ".join(missing), item))
    alarms, events = params.get("alarms") or [], params.get("auto_rollback_events") or []
    if len(alarms) > 10:
        problems.append("%s names %d alarms: a deployment group takes at most 10" % (name("alarms"), len(alarms)))
    if "DEPLOYMENT_STOP_ON_ALARM" in events and not alarms:
        problems.append("%s has DEPLOYMENT_STOP_ON_ALARM but %s is empty: no alarm could stop a deployment"
                        % (name("auto_rollback_events"), name("alarms")))
    return problems
