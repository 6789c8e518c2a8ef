# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn IAM listings into audit findings: users without MFA, old access keys, root access keys."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: iam_audit_findings
short_description: IAM audit findings from user, MFA, access key and account summary listings
version_added: 0.1.0
description:
  - Takes the registered results of amazon.aws.iam_mfa_device_info and amazon.aws.iam_access_key_info
    (looped over users) and liftoff.aws.iam_account_summary_info, and returns one finding per problem,
    sorted - users without an MFA device, active access keys older than O(max_age_days), access keys
    of the account root user, and dangerous input accepted through a named override (O(overrides)).
positional: _input, key_results, summary
options:
  _input:
    description: C(results) of iam_mfa_device_info looped over users (each with C(item.user_name)).
    type: list
    elements: dict
    required: true
  key_results:
    description: C(results) of iam_access_key_info looped over users.
    type: list
    elements: dict
    required: true
  summary:
    description: C(summary) returned by liftoff.aws.iam_account_summary_info.
    type: dict
    required: true
  max_age_days:
    description: Active access keys older than this many days are findings.
    type: int
    default: 90
  now:
    description: The time to measure against (ISO 8601); defaults to now. For tests.
    type: str
  overrides:
    description:
      - The input hook's warnings (C(warnings) of liftoff.aws.input_report), one finding C(override) each, so
        an accepted full-administrator statement stays visible in every audit.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Findings
  ansible.builtin.debug:
    msg: "{{ mfa.results | liftoff.aws.iam_audit_findings(keys.results, summary.summary, max_age_days=90) }}"
"""

RETURN = r"""
_value:
  description:
    - Findings, each a dict with C(finding) (no_mfa, old_access_key, root_access_keys, override), C(subject), and
      C(line) (both as one table row).
  type: list
  elements: dict
"""

from datetime import datetime, timedelta, timezone

from ansible.errors import AnsibleFilterError


def _parse(stamp):
    value = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def iam_audit_findings(mfa_results, key_results, summary, max_age_days=90, now=None, overrides=None):
    try:
        moment = _parse(now) if now else datetime.now(timezone.utc)
        cutoff = moment - timedelta(days=int(max_age_days))
        findings = []
        for result in mfa_results:
            if not result.get("mfa_devices"):
                findings.append({"finding": "no_mfa", "subject": f"user {result['item']['user_name']}"})
        for result in key_results:
            for key in result.get("access_keys") or []:
                if key.get("status") == "Active" and _parse(key["create_date"]) < cutoff:
                    age = (moment - _parse(key["create_date"])).days
                    findings.append({
                        "finding": "old_access_key",
                        "subject": f"user {key['user_name']} key {key['access_key_id']} ({age} days old)",
                    })
        if int((summary or {}).get("account_access_keys_present", 0)):
            findings.append({"finding": "root_access_keys", "subject": "the account root user has access keys"})
        for warning in overrides or []:
            findings.append({"finding": "override", "subject": str(warning)})
    except (KeyError, TypeError, ValueError) as e:
        raise AnsibleFilterError(f"iam_audit_findings: unexpected input ({e})") from e
    for finding in findings:
        finding["line"] = f"{finding['finding']:<18}{finding['subject']}"
    return sorted(findings, key=lambda f: (f["finding"], f["subject"]))


class FilterModule:
    def filters(self):
        return {"iam_audit_findings": iam_audit_findings}
