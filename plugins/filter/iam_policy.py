# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build IAM policy documents from short statement lists, refusing malformed statements."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: iam_policy
short_description: Build an IAM policy document from a list of statements
version_added: 0.1.0
description:
  - Turns a list of statements written in snake_case (C(sid), C(effect), C(actions) or C(not_actions),
    C(resources) or C(not_resources), C(principals), C(condition)) into an IAM policy document (a dict,
    C(Version 2012-10-17)).
  - Fails, naming the statement and the reason, when a statement has no C(effect), an effect other than
    Allow/Deny, no actions, both C(actions) and C(not_actions), an unknown key, or (for identity policies)
    no resources. Used by the iam role to check every policy before any AWS call.
positional: _input
options:
  _input:
    description: The list of statements.
    type: list
    elements: dict
    required: true
  kind:
    description:
      - V(identity) for policies attached to users, groups and roles (resources required, no principals);
        V(trust) for a role's assume-role policy (principals required, no resources).
    type: str
    default: identity
    choices: [identity, trust]
  name:
    description: A name for the policy, used in error messages.
    type: str
    default: policy
"""

EXAMPLES = r"""
- name: Read-only access to one bucket
  ansible.builtin.debug:
    msg: "{{ [{'effect': 'Allow', 'actions': ['s3:GetObject'], 'resources': ['arn:aws:s3:::b/*']}]
             | liftoff.aws.iam_policy(name='reader') }}"
"""

RETURN = r"""
_value:
  description: The policy document.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

KEYS = {
    "sid": "Sid",
    "effect": "Effect",
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
    "principals": "Principal",
    "condition": "Condition",
}


def _as_list(value):
    if isinstance(value, str):
        return [value]
    if is_sequence(value):
        return list(value)
    return None


def iam_policy(statements, kind="identity", name="policy"):
    if kind not in ("identity", "trust"):
        raise AnsibleFilterError(f"{name}: kind must be identity or trust, not {kind!r}")
    if not is_sequence(statements) or not statements:
        raise AnsibleFilterError(f"{name}: a policy needs a non-empty list of statements")
    document = []
    for index, statement in enumerate(statements, start=1):
        if not isinstance(statement, dict):
            raise AnsibleFilterError(f"{name}: statement {index} is not a dict")
        label = f"{name}: statement {index}" + (f" ({statement['sid']})" if statement.get("sid") else "")
        unknown = sorted(set(statement) - set(KEYS))
        if unknown:
            raise AnsibleFilterError(f"{label} has unknown keys {unknown}; known: {sorted(KEYS)}")
        effect = statement.get("effect")
        if effect is None:
            raise AnsibleFilterError(f"{label} has no effect (Allow or Deny)")
        if effect not in ("Allow", "Deny"):
            raise AnsibleFilterError(f"{label} has effect {effect!r}; it must be Allow or Deny")
        if ("actions" in statement) == ("not_actions" in statement):
            raise AnsibleFilterError(f"{label} needs exactly one of actions and not_actions")
        if "resources" in statement and "not_resources" in statement:
            raise AnsibleFilterError(f"{label} has both resources and not_resources")
        has_resources = "resources" in statement or "not_resources" in statement
        if kind == "identity":
            if not has_resources:
                raise AnsibleFilterError(f"{label} has no resources")
            if "principals" in statement:
                raise AnsibleFilterError(f"{label}: principals belong in trust policies, not identity policies")
        elif "principals" not in statement:
            raise AnsibleFilterError(f"{label}: a trust policy statement needs principals")
        out = {}
        for key, aws_key in KEYS.items():
            if key not in statement:
                continue
            value = statement[key]
            if key in ("actions", "not_actions", "resources", "not_resources"):
                value = _as_list(value)
                if not value or not all(isinstance(v, str) and v for v in value):
                    raise AnsibleFilterError(f"{label}: {key} must be a non-empty list of strings")
            elif key == "condition" and not isinstance(value, dict):
                raise AnsibleFilterError(f"{label}: condition must be a dict")
            elif key == "principals" and not isinstance(value, dict):
                raise AnsibleFilterError(f"{label}: principals must be a dict like {{'Service': [...]}}")
            out[aws_key] = value
        document.append(out)
    return {"Version": "2012-10-17", "Statement": document}


class FilterModule:
    def filters(self):
        return {"iam_policy": iam_policy}
