# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the iam role wants in IAM (iam_desired) and which of it differs from what IAM holds (iam_drift)."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.iam_policy import iam_policy
from ansible_collections.liftoff.aws.plugins.module_utils.core import policy_changed

REQUIRE_MFA_DESCRIPTION = (
    "Deny everything except setting up one's own MFA device and password, unless signed in with MFA"
)

# Service principals whose AssumeRole request carries aws:SourceAccount (AWS documents it for these), so
# the trust policy can be limited to this account (cross-service confused deputy prevention).
SOURCE_ACCOUNT_SERVICES = ("codedeploy.amazonaws.com", "lambda.amazonaws.com")
# EC2 assumes an instance profile's role without aws:SourceAccount or aws:SourceArn in the request:
# a condition on either key never matches, and no instance could use the profile.
NO_SOURCE_KEY_SERVICES = ("ec2.amazonaws.com",)


def string_tags(tags):
    return {str(k): str(v) for k, v in (tags or {}).items()}


def aws_policy_arns(names, partition):
    """AWS managed policy names (AdministratorAccess, service-role/X) as ARNs; ARNs pass unchanged."""
    return [n if n.startswith("arn:") else f"arn:{partition}:iam::aws:policy/{n}" for n in names or []]


def trust_statements(role, account_id, name):
    """The statement letting the role's service assume it, limited to this account where the service
    sends aws:SourceAccount, and to ``source_arns`` (ArnLike aws:SourceArn) when given."""
    service = role["service"]
    source_arns = role.get("source_arns") or []
    if isinstance(source_arns, str) or not all(isinstance(a, str) and a.startswith("arn:") for a in source_arns):
        raise AnsibleFilterError(f"{name}: source_arns must be a list of ARNs (patterns like "
                                 f"arn:aws:codedeploy:*:{account_id}:deploymentgroup:app/*), not {source_arns!r}")
    if source_arns and service in NO_SOURCE_KEY_SERVICES:
        raise AnsibleFilterError(f"{name}: {service} does not send aws:SourceArn when it assumes a role, so "
                                 "source_arns would lock every instance out of the role; remove source_arns")
    condition = {}
    if service in SOURCE_ACCOUNT_SERVICES:
        condition["StringEquals"] = {"aws:SourceAccount": account_id}
    if source_arns:
        condition["ArnLike"] = {"aws:SourceArn": list(source_arns)}
    statement = {"sid": "TrustService", "effect": "Allow", "actions": ["sts:AssumeRole"],
                 "principals": {"Service": service}}
    if condition:
        statement["condition"] = condition
    return [statement]


def iam_desired(inputs):
    try:
        groups, users, roles = inputs["groups"] or [], inputs["users"] or [], inputs["roles"] or []
        prefix, path, partition = inputs["prefix"], inputs["path"], inputs["partition"]
        account_id, tags = str(inputs["account_id"]), string_tags(inputs.get("tags"))
    except (KeyError, TypeError) as e:
        raise AnsibleFilterError(f"iam_desired: missing input {e}") from e
    own_arn = f"arn:{partition}:iam::{account_id}:policy{path}{prefix}-"

    policies = []
    if any(g.get("require_mfa") for g in groups):
        policies.append({
            "name": f"{prefix}-require-mfa",
            "description": REQUIRE_MFA_DESCRIPTION,
            "document": iam_policy(inputs.get("require_mfa_statements"), name="require-mfa"),
        })
    for group in groups:
        if group.get("statements"):
            policies.append({
                "name": f"{prefix}-{group['name']}",
                "description": f"Permissions of the {prefix}-{group['name']} group",
                "document": iam_policy(group["statements"], name=f"iam_groups {group['name']}"),
            })

    desired_groups = []
    for group in groups:
        managed = aws_policy_arns(group.get("managed_policies"), partition)
        if group.get("require_mfa"):
            managed.append(own_arn + "require-mfa")
        if group.get("statements"):
            managed.append(own_arn + group["name"])
        members = [u["name"] for u in users if group["name"] in (u.get("groups") or [])]
        desired_groups.append({"name": f"{prefix}-{group['name']}", "short": group["name"],
                               "managed_policies": managed, "users": members})

    desired_roles, profiles = [], []
    for role in roles:
        name = f"{prefix}-{role['key']}"
        trust = trust_statements(role, account_id, f"iam_roles {role['key']}")
        desired_roles.append({
            "name": name,
            "key": role["key"],
            "description": role.get("description"),
            "trust": iam_policy(trust, kind="trust", name=f"iam_roles {role['key']}"),
            "managed_policies": aws_policy_arns(role.get("managed_policies"), partition),
            "inline": iam_policy(role["statements"], name=f"iam_roles {role['key']}") if role.get("statements") else None,
        })
        if role.get("instance_profile"):
            profiles.append({"name": name, "key": role["key"], "role": name})

    return {
        "users": [{"name": u["name"]} for u in users],
        "groups": desired_groups,
        "policies": policies,
        "roles": desired_roles,
        "profiles": profiles,
        "path": path,
        "tags": tags,
    }


def documents_differ(current, desired):
    """policy_changed on plain JSON values (Ansible's tagged strings do not sort against the tuples
    amazon.aws's compare_policies builds)."""
    plain = [None if d is None else json.loads(json.dumps(d)) for d in (current, desired)]
    return policy_changed(*plain)


def by_name(items, key):
    return {i[key]: i for i in items or []}


def iam_drift(desired, found):
    """Names, per kind, of what iam_desired wants that iam_path_info did not find as wanted."""
    tags, path = desired["tags"], desired["path"]
    users = by_name(found.get("users"), "user_name")
    groups = by_name(found.get("groups"), "group_name")
    policies = by_name(found.get("policies"), "policy_name")
    roles = by_name(found.get("roles"), "role_name")
    profiles = by_name(found.get("instance_profiles"), "instance_profile_name")

    def differs(current, checks):
        return current is None or current.get("path") != path or any(checks(current))

    drift = {"users": [], "groups": [], "policies": [], "roles": [], "inline": [], "profiles": []}
    for user in desired["users"]:
        if differs(users.get(user["name"]), lambda c: [c.get("tags") != tags]):
            drift["users"].append(user["name"])
    for group in desired["groups"]:
        if differs(groups.get(group["name"]), lambda c, g=group: [
                sorted(c["attached_policy_arns"]) != sorted(set(g["managed_policies"])),
                sorted(c["members"]) != sorted(set(g["users"]))]):
            drift["groups"].append(group["name"])
    for policy in desired["policies"]:
        if differs(policies.get(policy["name"]), lambda c, p=policy: [
                c.get("version_count", 1) != 1,
                documents_differ(c.get("document"), p["document"]),
                c.get("tags", tags) != tags]):
            drift["policies"].append(policy["name"])
    for role in desired["roles"]:
        current = roles.get(role["name"])
        if differs(current, lambda c, r=role: [
                r["description"] is not None and c.get("description") != r["description"],
                documents_differ(c.get("assume_role_policy_document"), r["trust"]),
                sorted(c["attached_policy_arns"]) != sorted(set(r["managed_policies"])),
                c.get("tags") != tags]):
            drift["roles"].append(role["name"])
        if role["inline"] is not None and (
                current is None or documents_differ((current.get("inline_policies") or {}).get(role["name"]), role["inline"])):
            drift["inline"].append(role["name"])
    for profile in desired["profiles"]:
        if differs(profiles.get(profile["name"]), lambda c, p=profile: [
                c.get("roles") != [p["role"]], c.get("tags") != tags]):
            drift["profiles"].append(profile["name"])
    return drift


class FilterModule:
    def filters(self):
        return {"iam_desired": iam_desired, "iam_drift": iam_drift}
