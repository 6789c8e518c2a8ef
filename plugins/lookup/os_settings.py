# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host role's support gate and OS settings, in one place for every host role."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: os_settings
short_description: Refuse an OS a role does not support, else return the role's settings for it
version_added: 0.2.0
description:
  - The one support gate and the one OS-settings idiom of the collection's host roles.
  - "The gate: the role's C(meta/main.yml) C(galaxy_info.platforms) is the list of what it supports.
    The host's C(distribution) must be one of the platform names (C(Amazon Linux) is the C(Amazon)
    distribution) and one of its versions must be C(all), the release code name
    (C(distribution_release), like C(bookworm)) or the major version (C(distribution_major_version),
    like C(2023)). Otherwise the lookup fails, naming the host's OS, the role and what it supports."
  - "The settings: C(vars/<os_family>.yml), then C(vars/<distribution>.yml), then
    C(vars/<distribution>_<major version>.yml), each that exists, merged key by key, the more specific
    file winning. The role sets the result as C(__<role>_os) and its defaults read it
    (C(<role>_packages: \"{{ __<role>_os.<role>_packages | default([]) }}\")), so a value the user sets
    anywhere (inventory, play, role parameter, extra vars) always wins."
  - Runs on the controller and reads only the role's own files. Fails when a supported OS has no settings file.
options:
  _terms:
    description: The role's path (C(role_path)).
    type: list
    elements: path
    required: true
  facts:
    description: The host's facts (C(ansible_facts)); C(distribution), C(distribution_release),
      C(distribution_major_version), C(distribution_version) and C(os_family) are read.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse an unsupported OS, then load the OS settings
  ansible.builtin.set_fact:
    __sshd_os: "{{ lookup('liftoff.aws.os_settings', role_path, facts=ansible_facts) }}"
"""

RETURN = r"""
_raw:
  description: The merged settings of the host's OS, variable name to value.
  type: dict
  sample: {"sshd_service_name": "ssh", "sshd_binary": "/usr/sbin/sshd"}
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.collections import is_sequence
from ansible.plugins.lookup import LookupBase

try:
    import yaml
except ImportError:  # ansible-core requires PyYAML; this keeps the import error readable
    yaml = None

# Galaxy platform names that differ from the distribution fact, and release code names as people write them.
DISTRIBUTION = {"Amazon Linux": "Amazon"}
RELEASES = {"bookworm": "12", "trixie": "13", "focal": "20.04", "jammy": "22.04", "noble": "24.04"}


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def supported_platforms(meta):
    """(distribution fact, versions) pairs from a role's meta/main.yml content."""
    platforms = ((meta or {}).get("galaxy_info") or {}).get("platforms") or []
    found = []
    for platform in platforms:
        name = str(platform.get("name", ""))
        versions = [str(v) for v in platform.get("versions") or []]
        found.append((DISTRIBUTION.get(name, name), versions))
    return found


def describe(platforms):
    shown = []
    for name, versions in platforms:
        words = ["all" if v == "all" else "%s (%s)" % (RELEASES[v], v) if v in RELEASES else v for v in versions]
        shown.append("%s %s" % ("Amazon Linux" if name == "Amazon" else name, ", ".join(words)))
    return "; ".join(shown)


def is_supported(platforms, facts):
    wanted = {str(facts.get(key, "")) for key in ("distribution_release", "distribution_major_version")}
    return any(name == facts.get("distribution") and ("all" in versions or wanted & set(versions))
               for name, versions in platforms)


def os_settings(role_path, facts):
    role = os.path.basename(os.path.normpath(role_path))
    for key in ("distribution", "os_family", "distribution_major_version"):
        if not facts.get(key):
            raise AnsibleLookupError("os_settings needs the host's facts (%s is missing): gather at least the "
                                     "min subset before the role reads its OS settings" % key)
    platforms = supported_platforms(_read(os.path.join(role_path, "meta", "main.yml")))
    if not is_supported(platforms, facts):
        raise AnsibleLookupError("%s %s is not supported by liftoff.aws.%s (supported: %s)." % (
            facts["distribution"], facts.get("distribution_version", facts["distribution_major_version"]), role,
            describe(platforms)))
    settings, found = {}, []
    for name in (facts["os_family"], facts["distribution"],
                 "%s_%s" % (facts["distribution"], facts["distribution_major_version"])):
        path = os.path.join(role_path, "vars", "%s.yml" % name)
        if name not in found and os.path.isfile(path):
            settings.update(_read(path))
            found.append(name)
    if not found:
        raise AnsibleLookupError("liftoff.aws.%s supports %s %s but has no vars/%s.yml or vars/%s.yml (a bug in the "
                                 "role)" % (role, facts["distribution"], facts["distribution_major_version"],
                                            facts["os_family"], facts["distribution"]))
    return settings


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        facts = self.get_option("facts")
        if yaml is None:
            raise AnsibleLookupError("os_settings needs PyYAML on the controller")
        if not is_sequence(terms) or len(terms) != 1:
            raise AnsibleLookupError("os_settings takes one term, the role's path (role_path)")
        return [os_settings(terms[0], facts)]
