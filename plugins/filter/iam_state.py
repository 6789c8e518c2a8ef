# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the iam role wants in IAM (iam_desired) and which of it differs from what IAM holds (iam_drift)."""

from __future__ import annotations

import json
import re

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
    sends aws:SourceAccount, and to ``source_arns`` (ArnLike aws:SourceArn) when given. A role with
    ``web_identity`` (the CI deploy role) is assumed with a CI token instead (web_identity_statement)."""
    if role.get("web_identity"):
        return [web_identity_statement(role["web_identity"])]
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


# The CI systems a deploy role can trust: issuer URL (None: from gitlab_url), the token's default audience, and
# how a token's sub claim names a branch and an environment of a repository.
CI_PROVIDERS = {
    "github": {"issuer": "https://token.actions.githubusercontent.com", "audience": "sts.amazonaws.com",
               "branch": "repo:{repository}:ref:refs/heads/{branch}",
               "environment": "repo:{repository}:environment:{environment}",
               "repository": re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")},
    "gitlab": {"issuer": None, "audience": None, "branch": "project_path:{repository}:ref_type:branch:ref:{branch}",
               "environment": None, "repository": re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")},
}
WILDCARDS = re.compile(r"[*?$\[\]{}\s]")


def ci_deploy_errors(ci):
    """Why the CI deploy settings (provider, repository, branches, environments, gitlab_url) cannot be used
    as given - each a message naming the variable; [] when they can, or when no repository is set."""
    ci = ci or {}
    if not ci.get("repository"):
        return []
    provider = CI_PROVIDERS.get(ci.get("provider"))
    if provider is None:
        return [f"iam_ci_deploy_provider is {ci.get('provider')!r}: one of {', '.join(sorted(CI_PROVIDERS))}"]
    errors = []
    repository, branches, environments = ci["repository"], ci.get("branches") or [], ci.get("environments") or []
    if not provider["repository"].match(str(repository)):
        errors.append(f"iam_ci_deploy_repository {repository!r} must be owner/name (GitLab: group/[subgroup/]project), "
                      "spelled exactly as the CI names it - no wildcard, no URL")
    if not branches and not environments:
        errors.append("iam_ci_deploy_branches and iam_ci_deploy_environments are both empty: no CI job could deploy")
    for variable, values in (("iam_ci_deploy_branches", branches), ("iam_ci_deploy_environments", environments)):
        for value in values:
            if not isinstance(value, str) or not value or WILDCARDS.search(value):
                errors.append(f"{variable}: {value!r} must be one exact name (a wildcard or space would let other "
                              "branches, pull requests or forks assume the deploy role)")
            elif value.startswith("refs/"):
                errors.append(f"{variable}: {value!r} - give the branch name only; refs/heads/ is added")
    if environments and provider["environment"] is None:
        errors.append(f"iam_ci_deploy_environments is GitHub's: a {ci['provider']} token does not name one")
    if ci.get("provider") == "gitlab" and not re.match(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?$", str(ci.get("gitlab_url", ""))):
        errors.append(f"iam_ci_deploy_gitlab_url {ci.get('gitlab_url')!r} must be https:// and the GitLab host, no path")
    return errors


def ci_deploy(ci, partition, account_id):
    """The OIDC provider and the web identity a CI deploy role trusts, from the CI settings; None without a
    repository. Fails with ci_deploy_errors' messages."""
    ci = ci or {}
    if not ci.get("repository"):
        return None
    errors = ci_deploy_errors(ci)
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    provider = CI_PROVIDERS[ci["provider"]]
    url = provider["issuer"] or str(ci["gitlab_url"]).rstrip("/")
    audience = provider["audience"] or url
    host = url[len("https://"):]
    subjects = [provider["branch"].format(repository=ci["repository"], branch=b) for b in ci.get("branches") or []]
    subjects += [provider["environment"].format(repository=ci["repository"], environment=e)
                 for e in ci.get("environments") or []]
    return {"provider": {"url": url, "client_ids": [audience],
                         "arn": f"arn:{partition}:iam::{account_id}:oidc-provider/{host}"},
            "web_identity": {"provider_arn": f"arn:{partition}:iam::{account_id}:oidc-provider/{host}",
                             "issuer_host": host, "audience": audience, "subjects": subjects}}


def web_identity_statement(web_identity):
    """Tokens of the issuer, for the audience, whose sub is one of the subjects (exact match) may assume the role."""
    host = web_identity["issuer_host"]
    return {"sid": "TrustCIToken", "effect": "Allow", "actions": ["sts:AssumeRoleWithWebIdentity"],
            "principals": {"Federated": web_identity["provider_arn"]},
            "condition": {"StringEquals": {f"{host}:aud": web_identity["audience"],
                                           f"{host}:sub": list(web_identity["subjects"])}}}


def iam_desired(inputs):
    try:
        groups, users, roles = inputs["groups"] or [], inputs["users"] or [], inputs["roles"] or []
        prefix, path, partition = inputs["prefix"], inputs["path"], inputs["partition"]
        account_id, tags = str(inputs["account_id"]), string_tags(inputs.get("tags"))
    except (KeyError, TypeError) as e:
        raise AnsibleFilterError(f"iam_desired: missing input {e}") from e
    own_arn = f"arn:{partition}:iam::{account_id}:policy{path}{prefix}-"
    ci = ci_deploy(inputs.get("ci_deploy"), partition, account_id)
    if ci:
        roles = list(roles) + [{"key": "ci-deploy", "description": "CI deployments - assumed with a CI token, no keys",
                                "web_identity": ci["web_identity"], "statements": inputs["ci_deploy"]["statements"]}]

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
        "ci_provider": ci["provider"] if ci else None,
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
        return {"iam_desired": iam_desired, "iam_drift": iam_drift, "iam_ci_deploy_errors": ci_deploy_errors}
