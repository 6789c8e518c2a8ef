#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_path_info
short_description: Read every user, group, role, instance profile and customer managed policy under one IAM path
version_added: 0.2.0
description:
  - Reads the account's IAM users, groups, roles and customer managed policies with
    C(GetAccountAuthorizationDetails) (one paged call), the roles' descriptions with C(ListRoles)
    and, when asked, the tags of the policies under O(path) with C(ListPolicyTags).
  - Returns the entities under O(path) with what a role needs to decide whether anything differs from
    what it wants (path, tags, group members, attached policy ARNs, trust and inline policy documents,
    the default version of each customer managed policy, instance profiles and their roles), and every
    user of the account (name, path and groups), for checks that span the account.
  - The liftoff.aws.iam role reads IAM once this way and calls the amazon.aws write modules only for
    what differs, so a run that changes nothing makes a handful of reads instead of several per entity.
  - Read-only; runs the same in check mode.
  - Why a module of our own - neither amazon.aws nor community.aws (10.x) calls
    C(GetAccountAuthorizationDetails); their C(iam_*_info) modules read one entity type and, for
    attached policies and tags, one entity at a time. No upstream issue asks for it (searched 2026-12).
author:
  - liftoff maintainers (@liftoff)
options:
  path:
    description:
      - The IAM path whose entities are returned in RV(users), RV(groups), RV(roles),
        RV(instance_profiles) and RV(policies). Must begin and end with C(/).
    type: str
    required: true
  policy_tags:
    description:
      - Also read the tags of every customer managed policy under O(path) (one C(ListPolicyTags) each;
        C(GetAccountAuthorizationDetails) does not return them).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read what lives under the project's IAM path
  liftoff.aws.iam_path_info:
    path: /liftoff/shop/prod/
  register: iam_now

- name: Users of the project and their groups
  ansible.builtin.debug:
    msg: "{{ iam_now.users | items2dict(key_name='user_name', value_name='groups') }}"
"""

RETURN = r"""
account_users:
  description: Every IAM user of the account, whatever its path.
  returned: always
  type: list
  elements: dict
  sample:
    - {user_name: alice, path: /liftoff/shop/prod/, arn: "arn:aws:iam::123456789012:user/liftoff/shop/prod/alice",
       groups: [shop-prod-admins]}
users:
  description: The users under O(path).
  returned: always
  type: list
  elements: dict
  sample:
    - user_name: alice
      path: /liftoff/shop/prod/
      arn: "arn:aws:iam::123456789012:user/liftoff/shop/prod/alice"
      groups: [shop-prod-admins]
      tags: {Project: shop}
groups:
  description: The groups under O(path), with their members and attached managed policies.
  returned: always
  type: list
  elements: dict
  sample:
    - group_name: shop-prod-admins
      path: /liftoff/shop/prod/
      arn: "arn:aws:iam::123456789012:group/liftoff/shop/prod/shop-prod-admins"
      members: [alice]
      attached_policy_arns: ["arn:aws:iam::aws:policy/AdministratorAccess"]
roles:
  description: The roles under O(path).
  returned: always
  type: list
  elements: dict
  sample:
    - role_name: shop-prod-app
      path: /liftoff/shop/prod/
      arn: "arn:aws:iam::123456789012:role/liftoff/shop/prod/shop-prod-app"
      description: App servers
      assume_role_policy_document: {Version: "2012-10-17", Statement: []}
      attached_policy_arns: ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
      inline_policies: {shop-prod-app: {Version: "2012-10-17", Statement: []}}
      instance_profiles: [shop-prod-app]
      tags: {Project: shop}
instance_profiles:
  description: The instance profiles under O(path) that hold a role (a profile without a role is not listed by C(GetAccountAuthorizationDetails)).
  returned: always
  type: list
  elements: dict
  sample:
    - instance_profile_name: shop-prod-app
      path: /liftoff/shop/prod/
      arn: "arn:aws:iam::123456789012:instance-profile/liftoff/shop/prod/shop-prod-app"
      roles: [shop-prod-app]
      tags: {Project: shop}
policies:
  description: The customer managed policies under O(path), with their default version's document.
  returned: always
  type: list
  elements: dict
  sample:
    - policy_name: shop-prod-require-mfa
      path: /liftoff/shop/prod/
      arn: "arn:aws:iam::123456789012:policy/liftoff/shop/prod/shop-prod-require-mfa"
      description: Deny everything except setting up MFA unless signed in with MFA
      default_version_id: v1
      version_count: 1
      document: {Version: "2012-10-17", Statement: []}
      tags: {Project: shop}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import load_policy
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import run

FILTER = ["User", "Group", "Role", "LocalManagedPolicy"]


def tags_of(entity):
    return boto3_tag_list_to_ansible_dict(entity.get("Tags") or [])


def attached(entity):
    return sorted(p["PolicyArn"] for p in entity.get("AttachedManagedPolicies") or [])


def shape_user(user):
    return {
        "user_name": user["UserName"],
        "path": user["Path"],
        "arn": user["Arn"],
        "groups": sorted(user.get("GroupList") or []),
        "tags": tags_of(user),
    }


def shape_group(group, members):
    return {
        "group_name": group["GroupName"],
        "path": group["Path"],
        "arn": group["Arn"],
        "members": sorted(members.get(group["GroupName"], [])),
        "attached_policy_arns": attached(group),
    }


def shape_role(role, descriptions):
    return {
        "role_name": role["RoleName"],
        "path": role["Path"],
        "arn": role["Arn"],
        "description": descriptions.get(role["RoleName"], ""),
        "assume_role_policy_document": load_policy(role.get("AssumeRolePolicyDocument")),
        "attached_policy_arns": attached(role),
        "inline_policies": {p["PolicyName"]: load_policy(p["PolicyDocument"]) for p in role.get("RolePolicyList") or []},
        "instance_profiles": sorted(p["InstanceProfileName"] for p in role.get("InstanceProfileList") or []),
        "tags": tags_of(role),
    }


def shape_profile(profile):
    return {
        "instance_profile_name": profile["InstanceProfileName"],
        "path": profile["Path"],
        "arn": profile["Arn"],
        "roles": sorted(r["RoleName"] for r in profile.get("Roles") or []),
        "tags": tags_of(profile),
    }


def shape_policy(policy):
    versions = policy.get("PolicyVersionList") or []
    default = [v for v in versions if v.get("IsDefaultVersion") or v.get("VersionId") == policy.get("DefaultVersionId")]
    # The ARN ends with the name; moto 5 leaves PolicyName out of this call's policies (AWS sends it).
    return {
        "policy_name": policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1],
        "path": policy["Path"],
        "arn": policy["Arn"],
        "description": policy.get("Description", ""),
        "default_version_id": policy.get("DefaultVersionId"),
        "version_count": len(versions),
        "document": load_policy(default[0]["Document"]) if default else None,
    }


@aws_error_handler("read the account's IAM entities (GetAccountAuthorizationDetails)")
def read_details(client):
    return paginate_all(client, "get_account_authorization_details", Filter=FILTER)


@aws_error_handler("list the roles under {path}")
def read_role_descriptions(client, path):
    roles = paginate_all(client, "list_roles", "Roles", PathPrefix=path)
    return {r["RoleName"]: r.get("Description", "") for r in roles if r["Path"] == path}


@aws_error_handler("read the tags of policy {arn}")
def read_policy_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(paginate_all(client, "list_policy_tags", "Tags", PolicyArn=arn))


def under_path(path, details):
    """The entities under ``path`` from GetAccountAuthorizationDetails, shaped for the return value."""
    all_users = details.get("UserDetailList") or []
    members = {}
    for user in all_users:
        for group in user.get("GroupList") or []:
            members.setdefault(group, []).append(user["UserName"])
    roles = [r for r in details.get("RoleDetailList") or [] if r["Path"] == path]
    profiles = {}
    for role in roles:
        for profile in role.get("InstanceProfileList") or []:
            if profile["Path"] == path:
                profiles[profile["InstanceProfileName"]] = shape_profile(profile)
    return {
        "account_users": [{k: v for k, v in shape_user(u).items() if k != "tags"} for u in all_users],
        "users": [shape_user(u) for u in all_users if u["Path"] == path],
        "groups": [shape_group(g, members) for g in details.get("GroupDetailList") or [] if g["Path"] == path],
        "roles": roles,
        "instance_profiles": sorted(profiles.values(), key=lambda p: p["instance_profile_name"]),
        "policies": [shape_policy(p) for p in details.get("Policies") or [] if p["Path"] == path],
    }


def read_path(module, client, path):
    found = under_path(path, read_details(client))
    descriptions = read_role_descriptions(client, path) if found["roles"] else {}
    found["roles"] = [shape_role(r, descriptions) for r in found["roles"]]
    if module.params["policy_tags"]:
        for policy in found["policies"]:
            policy["tags"] = read_policy_tags(client, policy["arn"])
    return dict(found, changed=False)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            path=dict(type="str", required=True),
            policy_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    if not (path.startswith("/") and path.endswith("/")):
        module.fail_json(msg=f"path must begin and end with '/', got {path!r}")
    run(module, read_path, aws_client(module, "iam"), path)


if __name__ == "__main__":
    main()
