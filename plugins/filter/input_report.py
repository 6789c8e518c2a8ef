# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One role's raw inputs checked against its argument spec and against what AWS and safety demand."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: input_report
short_description: Check a role's raw variables by type, against AWS's rules and for unsafe values
version_added: 0.1.0
description:
  - Each role's input hook (C(tasks/validate.yml)) passes its raw variables and its argument spec
    options here in one call, before any write of the run. Returns the errors and the warnings.
  - "Types: a string or a number where a list is expected is refused by name (never split into
    characters); a YAML boolean where a string is expected (unquoted C(no)/C(yes)) is read as the word
    when the option's choices are yes/no, and refused with a hint to quote it otherwise; list elements and
    the options of dict elements are checked the same way."
  - "AWS rules: regions and availability zones against a shipped list (extendable with
    O(extra_regions)), project and environment names against S3 bucket naming, IAM user, group and
    role names, password policy ranges named by the role variable."
  - "Unsafe but valid: SSH from 0.0.0.0/0 or ::/0 (in the admin sources or a shared rule covering the
    SSH port), and an Allow statement with action C(*) on resource C(*), are refused unless the role's
    named override is set; with the override they are returned as warnings."
  - "The role's own rules, for V(sshd) and V(iptables): port ranges, numeric limits, MaxStartups, allow
    lists and listen addresses, C(sshd_extra_options) keywords, the drop-in name; the shared rule list,
    C(iptables_extra_rules), admin sources, rate limits, the log prefix length and the revert timer.
    Every problem is returned at once, so one assert in the role's hook refuses them all."
  - Role-specific checks run for V(liftoff) (shared settings), V(preflight), V(iam), V(network),
    V(iptables), V(sshd), V(ec2_host) (host names, instance type C(family.size), AMI ID, subnet and group IDs,
    the data device never the root one, volume sizes, snapshot time and retention, the public key),
    V(alarms), V(data_volume) and V(autoscaling) (load balancer name length, sizes, health check path,
    the certificate's region, the pinned template version), V(dns) (the zone's name, record names inside it, TTLs,
    the zone file parsed), V(s3_site) (bucket names, days, the distribution ARNs, the content folder, Cache-Control
    rules), V(cdn) (the site's names inside the zone and not the dns role's, the certificate covering them, the price
    class, waits, paths), V(codedeploy) (application and group names, the revision bucket, a group with no servers,
    incomplete tag filters, alarms and rollback on alarm), V(thumbnails) (the buckets, never the same one twice, the
    thumbnail box, limits, Lambda's memory, timeout and log retention, layer ARNs); other roles get the type checks only. A role other than V(liftoff)
    given C(liftoff_project), C(liftoff_env) or C(liftoff_region) gets the shared checks too.
  - The role checks run only when the type checks found nothing (they assume the types are right).
positional: _input, role, spec
options:
  _input:
    description: The role's variables, name to raw value.
    type: dict
    required: true
  role:
    description: The role name (V(liftoff) for the shared settings).
    type: str
    required: true
  spec:
    description: The role's C(argument_specs.main.options); empty for the shared settings.
    type: dict
    default: {}
  extra_regions:
    description: Regions newer than the shipped list, region name to a list of availability zone letters.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check the inputs
  vars:
    __report: "{{ {'network_region': 'eu-west-9'} | liftoff.aws.input_report('network', {}) }}"
  ansible.builtin.assert:
    that: __report.errors | length == 0
    fail_msg: "{{ __report.errors | join('; ') }}"
"""

RETURN = r"""
_value:
  description: C(errors) (refusals, each naming the variable) and C(warnings) (overrides in use).
  type: dict
"""

import ipaddress
import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.liftoff.aws.plugins.filter.alarms_inputs import alarms_checks
from ansible_collections.liftoff.aws.plugins.filter.autoscaling import autoscaling_checks
from ansible_collections.liftoff.aws.plugins.filter.cdn import cdn_checks
from ansible_collections.liftoff.aws.plugins.filter.data_volume_inputs import data_volume_checks
from ansible_collections.liftoff.aws.plugins.filter.dns import dns_checks
from ansible_collections.liftoff.aws.plugins.filter.firewall_rules import firewall_rules_errors
from ansible_collections.liftoff.aws.plugins.filter.guardrails import guardrails_checks
from ansible_collections.liftoff.aws.plugins.filter.iptables_extra import iptables_extra_rules_errors
from ansible_collections.liftoff.aws.plugins.filter.os_baseline import os_baseline_checks
from ansible_collections.liftoff.aws.plugins.filter.s3_site import s3_site_checks
from ansible_collections.liftoff.aws.plugins.filter.sshd_options import sshd_extra_options_errors
from ansible_collections.liftoff.aws.plugins.module_utils.codedeploy import group_problems

# The commercial, GovCloud and China regions and their availability zone letters (Dec 2026).
# A region AWS opens later: liftoff_extra_regions: {region: [a, b, c]}.
AWS_REGIONS = {
    "us-east-1": "abcdef", "us-east-2": "abc", "us-west-1": "abc", "us-west-2": "abcd",
    "af-south-1": "abc", "ap-east-1": "abc", "ap-east-2": "abc", "ap-south-1": "abc", "ap-south-2": "abc",
    "ap-southeast-1": "abc", "ap-southeast-2": "abc", "ap-southeast-3": "abc", "ap-southeast-4": "abc",
    "ap-southeast-5": "abc", "ap-southeast-6": "abc", "ap-southeast-7": "abc",
    "ap-northeast-1": "abcd", "ap-northeast-2": "abcd", "ap-northeast-3": "abc",
    "ca-central-1": "abd", "ca-west-1": "abc",
    "eu-central-1": "abc", "eu-central-2": "abc", "eu-west-1": "abc", "eu-west-2": "abc", "eu-west-3": "abc",
    "eu-south-1": "abc", "eu-south-2": "abc", "eu-north-1": "abc",
    "il-central-1": "abc", "me-south-1": "abc", "me-central-1": "abc", "mx-central-1": "abc", "sa-east-1": "abc",
    "us-gov-east-1": "abc", "us-gov-west-1": "abc", "cn-north-1": "abd", "cn-northwest-1": "abc",
}

IAM_NAME = re.compile(r"^[\w+=,.@-]+$")
S3_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# The longest bucket suffix the roles add to <project>-<env> (iam_codedeploy_bucket).
BUCKET_SUFFIX = len("-codedeploy-revisions")
WORLD = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
TYPE_WORDS = {"list": "a list", "dict": "a dict", "str": "a string", "int": "a whole number", "bool": "true or false"}


def _describe(value):
    if isinstance(value, bool):
        return "the boolean %s" % str(value).lower()
    if isinstance(value, str):
        return "the string %r" % value
    if isinstance(value, Mapping):
        return "a dict"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "%s %r" % (type(value).__name__.replace("_AnsibleTagged", "").lower(), value)


def _is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()) is not None


def _type_errors(name, value, spec):
    """Errors for one value against one option spec (recursing into list elements and dict options)."""
    kind = spec.get("type", "str")
    if value is None:
        return []
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            return ["%s is %s, not a list: write a list, even for one item, like %s: [%s]"
                    % (name, json.dumps(value) if not isinstance(value, Mapping) else "a dict",
                       name.rsplit(".", 1)[-1].split("[")[0], value if not isinstance(value, Mapping) else "...")]
        errors = []
        element = {"type": spec.get("elements", "raw")}
        if spec.get("options"):
            element["options"] = spec["options"]
        for index, item in enumerate(value):
            label = item.get("name", item.get("key")) if isinstance(item, Mapping) else None
            errors.extend(_type_errors("%s[%d]%s" % (name, index, " (%s)" % label if isinstance(label, str) else ""),
                                       item, element))
        return errors
    if kind == "dict":
        if not isinstance(value, Mapping):
            return ["%s must be a dict, got %s" % (name, _describe(value))]
        errors = []
        for key, sub in (spec.get("options") or {}).items():
            if key in value:
                errors.extend(_type_errors("%s.%s" % (name, key), value[key], sub))
        return errors
    if kind == "str":
        choices = [str(c).lower() for c in spec.get("choices") or []]
        if isinstance(value, bool) and ("yes" if value else "no") in choices:
            return []  # unquoted yes/no where the choices are yes/no: the role reads it as the word meant
        if isinstance(value, bool):
            words = "yes" if value else "no"
            return ["%s is %s, not a string: YAML reads an unquoted %s (or yes/no/on/off/true/false) as a "
                    "boolean; write it in quotes, like %s: \"%s\"" % (name, _describe(value), words, name.split("[")[0], words)]
        if isinstance(value, (list, tuple, Mapping)):
            return ["%s must be a string, got %s" % (name, _describe(value))]
        return []
    if kind == "int":
        if not _is_int(value):
            return ["%s must be a whole number, got %s" % (name, _describe(value))]
        return []
    if kind == "bool":
        if isinstance(value, (list, tuple, Mapping)):
            return ["%s must be true or false, got %s" % (name, _describe(value))]
    return []


def _networks(sources):
    found = []
    for source in sources if isinstance(sources, (list, tuple)) else []:
        try:
            found.append(ipaddress.ip_network(str(source).strip(), strict=False))
        except ValueError:
            continue  # the role's own checks name malformed sources
    return found


def _world(sources):
    return [str(n) for n in _networks(sources) if n in WORLD]


def _rules_opening_world_ssh(rules, ports):
    """(rule name, world sources) of shared rules whose TCP port range covers an SSH port."""
    found = []
    for index, rule in enumerate(rules if isinstance(rules, (list, tuple)) else []):
        if not isinstance(rule, Mapping) or not _is_int(rule.get("port")):
            continue
        if str(rule.get("protocol", "tcp")).lower() not in ("tcp", "all", "-1"):
            continue
        low = int(rule["port"])
        high = int(rule["port_end"]) if _is_int(rule.get("port_end")) else low
        if any(low <= port <= high for port in ports) and _world(rule.get("sources")):
            found.append("%s[%d] (%s)" % ("%s", index, rule.get("name", "?")))
    return found


def _region_errors(name, region, regions):
    if not isinstance(region, str) or not region:
        return []  # emptiness is the role's own check
    if region not in regions:
        return ["%s is %r, which is not an AWS region this release knows (%s). If AWS opened it recently, add it "
                "with its zone letters: liftoff_extra_regions: {%s: [a, b, c]}"
                % (name, region, ", ".join(sorted(regions)), region)]
    return []


def _az_errors(name, azs, region, regions):
    if not isinstance(azs, (list, tuple)) or region not in regions:
        return []
    errors = []
    valid = ["%s%s" % (region, letter) for letter in regions[region]]
    for index, az in enumerate(azs):
        if str(az) not in valid:
            errors.append("%s[%d] is %r, not an availability zone of %s (%s)"
                          % (name, index, az, region, ", ".join(valid)))
    return errors


def _bucket_errors(name, bucket):
    if not isinstance(bucket, str):
        return []
    if not 3 <= len(bucket) <= 63 or not S3_LABEL.match(bucket) or bucket.startswith("xn--"):
        return ["%s is %r: S3 bucket names are 3 to 63 characters of lowercase letters, digits and hyphens, "
                "starting and ending with a letter or digit (it is built from liftoff_project and liftoff_env)"
                % (name, bucket)]
    return []


def _number(value):
    """What Jinja's int filter makes of a value: the number, or 0 when it is not one."""
    return int(value) if _is_int(value) else 0


def _port(value):
    return _is_int(value) and str(value).strip().isdigit() and 1 <= int(value) <= 65535


def _true(value):
    return boolean(value, strict=False)


RATE = re.compile(r"^[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def _int(values, name, default=0):
    value = values.get(name, default)
    return int(value) if _is_int(value) else None


def _shared(values, regions, errors, warnings):
    project, env = values.get("liftoff_project"), values.get("liftoff_env")
    for name, value in (("liftoff_project", project), ("liftoff_env", env)):
        if value is None:
            continue
        if not isinstance(value, str) or not S3_LABEL.match(value):
            errors.append("%s is %r: it becomes part of S3 bucket names, so use lowercase letters, digits and "
                          "hyphens only, starting and ending with a letter or digit (like %r)"
                          % (name, value, re.sub(r"[^a-z0-9-]+", "-", str(value).lower()).strip("-") or "myapp"))
    if isinstance(project, str) and isinstance(env, str) and len(project) + len(env) + 1 + BUCKET_SUFFIX > 63:
        errors.append("liftoff_project and liftoff_env are %d characters together: bucket names like "
                      "<project>-<env>-codedeploy-revisions must fit in 63, so keep them under %d"
                      % (len(project) + len(env), 63 - 1 - BUCKET_SUFFIX))
    if values.get("liftoff_region"):
        errors.extend(_region_errors("liftoff_region", values["liftoff_region"], regions))


def _preflight(values, regions, errors, warnings):
    errors.extend(_region_errors("preflight_region", values.get("preflight_region"), regions))
    account = values.get("preflight_expected_account_id")
    if isinstance(account, int) and not isinstance(account, bool) and len(str(account)) != 12:
        errors.append("preflight_expected_account_id is %d: an AWS account ID is 12 digits; write the account ID in "
                      "quotes, like preflight_expected_account_id: \"012345678901\" (unquoted, YAML reads it as a "
                      "number and drops the leading zeros)" % account)


def _iam(values, regions, errors, warnings):
    prefix = values.get("iam_name_prefix") or ""
    for index, user in enumerate(values.get("iam_users") or []):
        if isinstance(user, Mapping) and isinstance(user.get("name"), str):
            if not IAM_NAME.match(user["name"]) or len(user["name"]) > 64:
                errors.append("iam_users[%d].name is %r: an IAM user name is 1 to 64 letters, digits and +=,.@_- "
                              "(no spaces)" % (index, user["name"]))
    for index, group in enumerate(values.get("iam_groups") or []):
        if isinstance(group, Mapping) and isinstance(group.get("name"), str):
            full = "%s-%s" % (prefix, group["name"])
            if not IAM_NAME.match(group["name"]) or len(full) > 128:
                errors.append("iam_groups[%d].name is %r: the IAM group %r must be at most 128 letters, digits and "
                              "+=,.@_-" % (index, group["name"], full))
    for index, role in enumerate(values.get("iam_roles") or []):
        if isinstance(role, Mapping) and isinstance(role.get("key"), str):
            full = "%s-%s" % (prefix, role["key"])
            if not IAM_NAME.match(role["key"]) or len(full) > 64:
                errors.append("iam_roles[%d].key is %r: the IAM role %r must be at most 64 letters, digits and "
                              "+=,.@_- (iam_name_prefix is %d characters)" % (index, role["key"], full, len(prefix)))
    # (variable, what it means, lowest, highest, whether 0 switches the rule off): AWS's ranges, named by the
    # role variable rather than the module option.
    ranges = (("iam_password_min_length", "the minimum password length", 6, 128, False),
              ("iam_password_max_age_days", "days before a password expires (0: never)", 1, 1095, True),
              ("iam_password_reuse_prevention", "previous passwords that cannot be reused (0: reuse allowed)", 1, 24,
               True))
    if values.get("iam_password_policy_manage", True):
        for name, means, low, high, zero in ranges:
            number = _int(values, name, low)
            if number is not None and not (low <= number <= high or (zero and number == 0)):
                errors.append("%s is %s: %s must be a whole number from %d to %d%s"
                              % (name, number, means, low, high, " (or 0)" if zero else ""))
    for name in ("iam_upload_bucket", "iam_site_bucket", "iam_thumbnail_bucket", "iam_codedeploy_bucket"):
        errors.extend(_bucket_errors(name, values.get(name)))
    wide = []
    for var, key in (("iam_groups", "name"), ("iam_roles", "key")):
        for index, entry in enumerate(values.get(var) or []):
            if not isinstance(entry, Mapping):
                continue
            for sindex, stmt in enumerate(entry.get("statements") or []):
                if not isinstance(stmt, Mapping) or str(stmt.get("effect", "Allow")) != "Allow":
                    continue
                actions, resources = stmt.get("actions") or [], stmt.get("resources") or []
                actions = [actions] if isinstance(actions, str) else actions
                resources = [resources] if isinstance(resources, str) else resources
                if "*" in actions and "*" in resources:
                    wide.append("%s[%d] (%s) statements[%d]" % (var, index, entry.get(key), sindex))
    if wide:
        if values.get("iam_allow_full_admin_statements"):
            warnings.append("iam_allow_full_admin_statements is set: %s allow every action on every resource"
                            % ", ".join(wide))
        else:
            errors.append("%s allow action * on resource * (full administrator access). Name the actions and "
                          "resources, use the admins group's AdministratorAccess, or set "
                          "iam_allow_full_admin_statements: true if this is really meant" % ", ".join(wide))


def _ssh_world(role, values, sources_var, rules_var, ports, warnings, errors):
    override = "%s_allow_ssh_from_anywhere" % role
    found = []
    world = _world(values.get(sources_var))
    if world:
        found.append("%s contains %s" % (sources_var, ", ".join(world)))
    rules = _rules_opening_world_ssh(values.get(rules_var), ports)
    if rules:
        found.append("%s on the SSH port %s from anywhere" % (
            ", ".join(r % rules_var for r in rules), "/".join(str(p) for p in ports)))
    if not found:
        return
    if values.get(override):
        warnings.append("%s is set: SSH is open to the whole internet (%s)" % (override, "; ".join(found)))
    else:
        errors.append("%s: SSH would be open to the whole internet. List the CIDRs admins connect from "
                      "(liftoff_admin_sources), keep the SSH port out of the shared rules, or set %s: true "
                      "(or liftoff_allow_ssh_from_anywhere) if this is really meant" % ("; ".join(found), override))


def _network(values, regions, errors, warnings):
    region = values.get("network_region")
    errors.extend(_region_errors("network_region", region, regions))
    errors.extend(_az_errors("network_azs", values.get("network_azs"), region, regions))
    if values.get("network_state", "present") == "present":
        port = _int(values, "network_ssh_port", 22)
        _ssh_world("network", values, "network_admin_sources", "network_firewall_rules",
                   [port] if port is not None else [], warnings, errors)


# iptables_state absent deletes iptables_config_dir with everything in it: only a directory this role
# alone uses is accepted, one whose last two components are liftoff/iptables under /etc, /var or /opt
# (the distribution's own /etc/iptables is refused).
CONFIG_DIR = re.compile(r"^/(etc|var|opt)/([A-Za-z0-9_.-]+/)*liftoff/iptables/?$")


def _iptables(values, regions, errors, warnings):
    path = values.get("iptables_config_dir")
    if isinstance(path, str) and (not CONFIG_DIR.match(path) or {".", ".."} & set(path.split("/"))):
        errors.append("iptables_config_dir is %r: iptables_state absent deletes this directory with everything in "
                      "it, so it must be one only this role uses: a path under /etc, /var or /opt ending in "
                      "liftoff/iptables, like the default /etc/liftoff/iptables" % path)
    if values.get("iptables_state", "present") == "present":
        ports = [int(p) for p in [values.get("iptables_ssh_port")] + list(values.get("iptables_ssh_extra_ports") or [])
                 if _is_int(p)]
        _ssh_world("iptables", values, "iptables_admin_sources", "iptables_firewall_rules", ports, warnings, errors)
    errors.extend(firewall_rules_errors(values.get("iptables_firewall_rules"), "iptables_firewall_rules"))
    errors.extend(iptables_extra_rules_errors(values.get("iptables_extra_rules"), "iptables_extra_rules"))
    port = values.get("iptables_ssh_port")
    if "iptables_ssh_port" in values and not _port(port):
        errors.append("iptables_ssh_port is %s: a TCP port is a whole number from 1 to 65535." % json.dumps(port))
    for extra in values.get("iptables_ssh_extra_ports") or []:
        if not 1 <= _number(extra) <= 65535:
            errors.append("iptables_ssh_extra_ports contains %s: a TCP port is a whole number from 1 to 65535."
                          % json.dumps(extra))
    sources = values.get("iptables_admin_sources")
    if "iptables_admin_sources" in values and not sources and values.get("iptables_state", "present") == "present" \
            and _true(values.get("iptables_ssh_restrict", True)):
        errors.append("iptables_admin_sources is empty while iptables_ssh_restrict is true: nobody could open an SSH "
                      "connection. Set liftoff_admin_sources (or iptables_admin_sources) to the CIDRs you administer "
                      "from, or set iptables_ssh_restrict: false to allow SSH from anywhere (still rate-limited).")
    if sources:
        # The sources checked as the SSH rule they become (the port is checked above).
        rule = [{"name": "ssh", "port": _number(port) if _port(port) else 22, "sources": sources}]
        errors.extend(e.replace("iptables_admin_sources[0] (ssh): ", "iptables_admin_sources: ")
                      for e in firewall_rules_errors(rule, "iptables_admin_sources"))
    rates = ["iptables_ping_rate_limit", "iptables_log_rate_limit"]
    rates += ["iptables_ssh_rate_limit"] if values.get("iptables_ssh_rate_limit") else []
    for name in rates:
        if name in values and not RATE.match(str(values[name])):
            errors.append("%s is %s: write a rate like 10/minute (per second, minute, hour or day)."
                          % (name, json.dumps(values[name])))
    prefix = values.get("iptables_log_prefix")
    if isinstance(prefix, str) and len(prefix) > 29:
        errors.append("iptables_log_prefix %s is %d characters; the LOG target takes at most 29."
                      % (json.dumps(prefix), len(prefix)))
    if "iptables_revert_seconds" in values and _number(values["iptables_revert_seconds"]) < 30:
        errors.append("iptables_revert_seconds is %s: the host would restore its old rules before the controller could "
                      "prove the new ones (the SSH check, with retries, takes up to ~20 s). Use 30 or more."
                      % values["iptables_revert_seconds"])


# sshd's own rules, beyond types: (option, lowest value). MaxStartups is N or start:rate:full.
SSHD_MINIMUMS = (("sshd_login_grace_time", 1), ("sshd_max_auth_tries", 1), ("sshd_max_sessions", 1),
                 ("sshd_client_alive_interval", 0), ("sshd_client_alive_count_max", 1),
                 ("sshd_required_rsa_size", 2048), ("sshd_host_key_rsa_bits", 3072), ("sshd_moduli_min_bits", 2048),
                 ("sshd_guard_retries", 1), ("sshd_rollback_timeout", 30))
SSHD_MAX_STARTUPS = re.compile(r"^[0-9]+(:[0-9]+:[0-9]+)?$")
SSHD_DROPIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.conf$")


def _sshd(values, regions, errors, warnings):
    port = values.get("sshd_port")
    if "sshd_port" in values and not _port(port):
        errors.append("sshd_port is %s: a TCP port is a whole number from 1 to 65535." % json.dumps(port))
    low = [name for name, least in SSHD_MINIMUMS if name in values and _number(values[name]) < least]
    retries, timeout = _number(values.get("sshd_guard_retries", 2)), _number(values.get("sshd_rollback_timeout", 180))
    if low or timeout <= retries * 7:
        shown = {name: values.get(name) for name, least in SSHD_MINIMUMS}
        errors.append(
            "Out of range: sshd_login_grace_time, sshd_max_auth_tries, sshd_max_sessions >= 1 (got {sshd_login_grace_time}, "
            "{sshd_max_auth_tries}, {sshd_max_sessions}); sshd_client_alive_interval >= 0 ({sshd_client_alive_interval}); "
            "sshd_client_alive_count_max >= 1 ({sshd_client_alive_count_max}); sshd_required_rsa_size >= 2048 "
            "({sshd_required_rsa_size}); sshd_host_key_rsa_bits >= 3072 ({sshd_host_key_rsa_bits}); "
            "sshd_moduli_min_bits >= 2048 ({sshd_moduli_min_bits}); sshd_guard_retries >= 1 ({sshd_guard_retries}); "
            "sshd_rollback_timeout >= 30 seconds and longer than the guard's proof can take, 7 s per retry "
            "({sshd_rollback_timeout} s, {sshd_guard_retries} retries).".format(**shown))
    startups = values.get("sshd_max_startups")
    if "sshd_max_startups" in values and not SSHD_MAX_STARTUPS.match(str(startups)):
        errors.append("sshd_max_startups is %s: use N or start:rate:full, like 10:30:60." % json.dumps(startups))
    users, groups = list(values.get("sshd_allow_users") or []), list(values.get("sshd_allow_groups") or [])
    if _true(values.get("sshd_restrict_logins", False)) and not users and not groups:
        errors.append("sshd_restrict_logins is true but sshd_allow_users and sshd_allow_groups are both empty: nobody "
                      "could log in. List the users or groups allowed to log in, or set sshd_restrict_logins to false.")
    if [u for u in users if not re.match(r"^[^\s,]+$", str(u))] or [g for g in groups if not re.match(r"^[^\s,@]+$", str(g))]:
        errors.append("sshd_allow_users (%s) and sshd_allow_groups (%s) take one name or pattern per list item, without "
                      "spaces or commas (and no @host in a group)." % (json.dumps(users), json.dumps(groups)))
    addresses = [str(a) for a in values.get("sshd_listen_addresses") or []]
    if addresses and values.get("sshd_address_family", "any") == "any" \
            and not ([a for a in addresses if ":" in a] and [a for a in addresses if ":" not in a]):
        errors.append("sshd_listen_addresses is %s with sshd_address_family any: list at least one IPv4 and one IPv6 "
                      "address (or leave the list empty to listen on all of both), or set sshd_address_family to "
                      "inet / inet6 if one family is really meant." % json.dumps(addresses))
    errors.extend(sshd_extra_options_errors(values.get("sshd_extra_options"), "sshd_extra_options"))
    dropin = values.get("sshd_dropin_name")
    if "sshd_dropin_name" in values and not SSHD_DROPIN.match(str(dropin)):
        errors.append("sshd_dropin_name is %s: a plain file name ending in .conf (sshd reads sshd_config.d/*.conf), "
                      "sorting before the distribution's and cloud-init's files, like 00-liftoff.conf."
                      % json.dumps(dropin))


INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
AMI_ID = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
EBS_DEVICE = re.compile(r"^/dev/(sd|xvd)([a-z])$")
DATA_DEVICE = re.compile(r"^/dev/(sd|xvd)[f-p]$")
SSH_KEY_TYPES = ("ssh-ed25519", "ssh-rsa")
HH_MM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
IDS = {"ec2_host_subnet_ids": "subnet", "ec2_host_security_group_ids": "sg"}


def _id_errors(values, ids):
    """Each list of AWS IDs (variable name to ID prefix) holding something that is not <prefix>-<hex>."""
    errors = []
    for name, prefix in ids.items():
        bad = [i for i in values.get(name) or [] if not re.match(r"^%s-[0-9a-f]{8,17}$" % prefix, str(i))]
        if bad:
            shown = ", ".join(map(repr, bad))
            errors.append("%s holds %s: expected IDs like %s-0123456789abcdef0" % (name, shown, prefix))
    return errors


def _ec2_host(values, regions, errors, warnings):
    errors.extend(_region_errors("ec2_host_region", values.get("ec2_host_region"), regions))
    tags = values.get("ec2_host_tags", {"Project": "", "Environment": "", "ManagedBy": ""})
    if not isinstance(tags, Mapping) or not {"Project", "Environment", "ManagedBy"} <= set(tags):
        errors.append("ec2_host_tags must carry Project, Environment and ManagedBy (liftoff_tags does): teardown "
                      "finds the hosts by these tags and never touches anything else")
    names = values.get("ec2_host_names", [])
    bad = [n for n in names if not isinstance(n, str) or not HOST_NAME.match(n)]
    if bad:
        errors.append("ec2_host_names holds %s: a host name is 1 to 32 lowercase letters, digits and dashes, not "
                      "starting or ending with a dash (it becomes part of instance, volume and alarm names)"
                      % ", ".join(repr(n) for n in bad))
    dupes = sorted({n for n in names if names.count(n) > 1 and isinstance(n, str)})
    if dupes:
        errors.append("ec2_host_names lists %s more than once: each name is one instance" % ", ".join(dupes))
    itype = values.get("ec2_host_instance_type", "t3.small")
    if not isinstance(itype, str) or not INSTANCE_TYPE.match(itype):
        errors.append("ec2_host_instance_type is %r: an EC2 instance type is family.size, like t3.small or "
                      "m7g.large" % (itype,))
    image = values.get("ec2_host_image_id", "")
    if image and not AMI_ID.match(str(image)):
        errors.append("ec2_host_image_id is %r: an AMI ID is ami- and 8 or 17 hex digits (or leave it empty to use "
                      "ec2_host_image_parameter)" % (image,))
    errors.extend(_id_errors(values, IDS))
    root = str(values.get("ec2_host_root_device_name", "/dev/xvda"))
    data = str(values.get("ec2_host_data_device_name", "/dev/sdf"))
    root_match, data_match = EBS_DEVICE.match(root), EBS_DEVICE.match(data)
    if not DATA_DEVICE.match(data):
        errors.append("ec2_host_data_device_name is %r: EBS data volumes take /dev/sdf to /dev/sdp (or /dev/xvdf "
                      "to /dev/xvdp)" % data)
    elif root == data or (root_match and data_match and root_match.group(2) == data_match.group(2)):
        errors.append("ec2_host_data_device_name %r is the root volume's device (%s)" % (data, root))
    for name, low, high in (("ec2_host_root_volume_size", 1, 16384), ("ec2_host_data_volume_size", 0, 16384),
                            ("ec2_host_snapshot_retain", 1, 1000), ("ec2_host_wait_timeout", 1, 7200)):
        value = _int(values, name, low)
        if value is not None and not low <= value <= high:
            extra = " (0 = no data volume; a data volume holds at least 1 GiB)" if name == "ec2_host_data_volume_size" else ""
            errors.append("%s is %s: it must be between %d and %d%s" % (name, value, low, high, extra))
    when = str(values.get("ec2_host_snapshot_time", "03:00"))
    if not HH_MM.match(when):
        errors.append("ec2_host_snapshot_time is %r: DLM takes the first snapshot's time as HH:MM (UTC, 00:00 to "
                      "23:59)" % when)
    arn = values.get("ec2_host_dlm_role_arn", "")
    if arn and not re.match(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$", str(arn)):
        errors.append("ec2_host_dlm_role_arn is %r: expected arn:aws:iam::<account>:role/<path/name>" % (arn,))
    key = values.get("ec2_host_public_key", "")
    if values.get("ec2_host_state", "present") == "present":
        parts = str(key or "").split()
        if not parts:
            errors.append("ec2_host_public_key is empty: set liftoff_admin_public_key (or ec2_host_public_key) to "
                          "the admins' OpenSSH public key, the first way in to a new host")
        elif parts[0] not in SSH_KEY_TYPES or len(parts) < 2:
            errors.append("ec2_host_public_key starts with %r: EC2 imports ssh-ed25519 and ssh-rsa public keys "
                          "('<type> <base64> [comment]'), not a private key or another type" % parts[0][:20])


AUTOSCALING_IDS = {"autoscaling_subnet_ids": "subnet", "autoscaling_load_balancer_subnet_ids": "subnet",
                   "autoscaling_load_balancer_security_group_ids": "sg"}


def _autoscaling(values, regions, errors, warnings):
    errors.extend(_region_errors("autoscaling_region", values.get("autoscaling_region"), regions))
    autoscaling_checks(values, errors, warnings)
    if values.get("autoscaling_state", "present") == "present":
        errors.extend(_id_errors(values, AUTOSCALING_IDS))


def _guardrails(values, regions, errors, warnings):
    errors.extend(_region_errors("guardrails_region", values.get("guardrails_region"), regions))
    for index, region in enumerate(values.get("guardrails_account_regions") or []):
        errors.extend(_region_errors("guardrails_account_regions[%d]" % index, region, regions))
    guardrails_checks(values, errors, warnings)


# The codedeploy role's variables by the deployment group module's option names (for the shared checks).
CODEDEPLOY_OPTIONS = {"application_name": "codedeploy_application_name", "name": "codedeploy_deployment_group_name",
                      "service_role_arn": "codedeploy_service_role_arn", "ec2_tag_filters": "codedeploy_ec2_tag_filters",
                      "on_premises_tag_filters": "codedeploy_on_premises_tag_filters",
                      "auto_scaling_groups": "codedeploy_auto_scaling_groups", "alarms": "codedeploy_alarms",
                      "auto_rollback_events": "codedeploy_auto_rollback_events", "state": "codedeploy_state"}


def _codedeploy(values, regions, errors, warnings):
    errors.extend(_region_errors("codedeploy_region", values.get("codedeploy_region"), regions))
    errors.extend(_bucket_errors("codedeploy_revision_bucket", values.get("codedeploy_revision_bucket")))
    params = {option: values.get(variable) for option, variable in CODEDEPLOY_OPTIONS.items()}
    # an empty codedeploy_service_role_arn means the iam role's, whose ARN is known once the account is
    params["service_role_arn"] = params["service_role_arn"] or "arn:(the iam role's)"
    errors.extend(group_problems(params, names=CODEDEPLOY_OPTIONS))
    days = values.get("codedeploy_revision_noncurrent_days", 30)
    if not _is_int(days) or int(days) < 0:
        errors.append("codedeploy_revision_noncurrent_days is %r: days before an old revision is deleted must be a "
                      "whole number, 0 or more (0: kept)" % (days,))


# CloudWatch Logs' allowed retention periods, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)
LAYER_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]{1,140}:[0-9]+$")


def _whole(values, name, low, high, default, what):
    value = values.get(name, default)
    if not _is_int(value) or not low <= int(value) <= high:
        return ["%s is %r: %s must be a whole number from %d to %d" % (name, value, what, low, high)]
    return []


def _thumbnails(values, regions, errors, warnings):
    errors.extend(_region_errors("thumbnails_region", values.get("thumbnails_region"), regions))
    for name in ("thumbnails_source_bucket", "thumbnails_bucket"):
        errors.extend(_bucket_errors(name, values.get(name)))
    if values.get("thumbnails_source_bucket") and values.get("thumbnails_source_bucket") == values.get("thumbnails_bucket"):
        errors.append("thumbnails_bucket is the source bucket %r: every thumbnail written would trigger the function "
                      "again (an endless, costly loop); use a second bucket" % values["thumbnails_bucket"])
    name = values.get("thumbnails_function_name")
    if name is not None and not re.match(r"^[A-Za-z0-9_-]{1,64}$", str(name)):
        errors.append("thumbnails_function_name is %r: Lambda names are 1 to 64 letters, digits, - and _" % name)
    box = str(values.get("thumbnails_max_size", "256x256"))
    sides = box.split("x") if re.match(r"^[0-9]+(x[0-9]+)?$", box) else []
    if not sides or not all(1 <= int(side) <= 10000 for side in sides):
        errors.append("thumbnails_max_size is %r: the box a thumbnail fits in, 256 or 320x240 (1 to 10000 pixels a "
                      "side)" % box)
    errors.extend(_whole(values, "thumbnails_quality", 1, 100, 85, "the JPEG and WebP quality"))
    errors.extend(_whole(values, "thumbnails_max_pixels", 1, 10 ** 10, 50000000, "the largest image, in pixels,"))
    errors.extend(_whole(values, "thumbnails_max_bytes", 1, 10 ** 11, 26214400, "the largest upload read, in bytes,"))
    errors.extend(_whole(values, "thumbnails_memory_mb", 128, 10240, 1024, "Lambda's memory, in MB,"))
    errors.extend(_whole(values, "thumbnails_timeout_seconds", 1, 900, 60, "Lambda's timeout, in seconds,"))
    days = values.get("thumbnails_log_retention_days", 30)
    if not _is_int(days) or int(days) not in LOG_RETENTION_DAYS:
        errors.append("thumbnails_log_retention_days is %r: CloudWatch Logs keeps logs one of %s days"
                      % (days, ", ".join(map(str, LOG_RETENTION_DAYS))))
    suffixes = values.get("thumbnails_source_suffixes", [".jpg"])
    if not suffixes or len(set(suffixes)) != len(suffixes) or not all(isinstance(x, str) and x for x in suffixes):
        errors.append("thumbnails_source_suffixes is %r: one or more different, non-empty suffixes (.jpg, .png)"
                      % (suffixes,))
    layers = values.get("thumbnails_pillow_layer_arns") or []
    for index, layer in enumerate(layers):
        if not LAYER_ARN.match(str(layer)):
            errors.append("thumbnails_pillow_layer_arns[%d] is %r: not a Lambda layer version ARN "
                          "(arn:aws:lambda:<region>:<account>:layer:<name>:<version>)" % (index, layer))
    if len(layers) > 5:
        errors.append("thumbnails_pillow_layer_arns has %d layers: a function takes at most 5" % len(layers))
    version = values.get("thumbnails_pillow_version", "13.0.0")
    if not layers and not re.match(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$", str(version)):
        errors.append("thumbnails_pillow_version is %r: a Pillow release like 13.0.0 (bundled, since no layer is given)"
                      % version)


# The shared settings an AWS role passes along with its own, so a step run alone checks them too.
SHARED = ("liftoff_project", "liftoff_env", "liftoff_region")
CHECKS = {"liftoff": _shared, "preflight": _preflight, "iam": _iam, "network": _network, "iptables": _iptables,
          "sshd": _sshd, "ec2_host": _ec2_host, "alarms": alarms_checks, "data_volume": data_volume_checks,
          "autoscaling": _autoscaling, "guardrails": _guardrails,
          "os_baseline": os_baseline_checks, "dns": dns_checks, "s3_site": s3_site_checks, "cdn": cdn_checks,
          "codedeploy": _codedeploy, "thumbnails": _thumbnails}


def input_report(values, role, spec=None, extra_regions=None):
    if not isinstance(values, Mapping):
        raise AnsibleFilterError("input_report expects a dict of variables, got %s" % type(values).__name__)
    regions = {name: list(letters) for name, letters in AWS_REGIONS.items()}
    for name, letters in (extra_regions or {}).items():
        regions[str(name)] = [str(letter) for letter in (letters or [])]
    errors, warnings = [], []
    for name, option in sorted((spec or {}).items()):
        if name in values:
            errors.extend(_type_errors(name, values[name], option or {}))
    if not errors:  # the checks below assume the types are right
        if role != "liftoff" and any(name in values for name in SHARED):
            _shared(values, regions, errors, warnings)
        if role in CHECKS:
            CHECKS[role](values, regions, errors, warnings)
    return {"errors": errors, "warnings": warnings}


class FilterModule(object):
    def filters(self):
        return {"input_report": input_report}
