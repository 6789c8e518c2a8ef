# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scan files for secrets with detect-secrets; return file, line and kind - never the secret."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: secret_scan
short_description: Find secrets in files with detect-secrets (file, line and kind; never the secret)
version_added: 0.2.0
description:
  - Scans the given files, relative to the directory in the term, with the detect-secrets library's AWS key,
    private key, keyword and high-entropy detectors, and returns one finding per secret.
  - Findings accepted in a detect-secrets baseline file (same file name and secret hash) are left out.
  - Runs on the controller. Fails, naming the package, when detect-secrets is not installed; a secret scan
    never degrades silently.
requirements:
  - detect-secrets (Python package, see requirements.txt)
options:
  _terms:
    description: The directory the file names are relative to (a git work tree's top level).
    type: list
    elements: path
    required: true
  files:
    description: File names to scan, relative to the directory. Missing and binary files are skipped.
    type: list
    elements: str
    default: []
  baseline:
    description: A detect-secrets baseline (C(.secrets.baseline)); its findings are accepted. Ignored when missing.
    type: path
  entropy:
    description: Also run the high-entropy string detectors (base64 limit 4.5, hex limit 3.0).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Secrets in two files
  ansible.builtin.debug:
    msg: "{{ query('liftoff.aws.secret_scan', '/srv/project', files=['group_vars/all.yml', 'rootkey.csv']) }}"
"""

RETURN = r"""
_list:
  description: >-
    Findings, sorted, each a dict with C(file), C(line), C(type) (the detector's name) and C(where)
    (C(file:line (type)), for messages).
  type: list
  elements: dict
"""

import json
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import transient_settings
except ImportError:
    SecretsCollection = None

MISSING = (
    "The secret scan needs the Python package detect-secrets on the controller (the Python that runs "
    "ansible-playbook): pip install -r requirements.txt (detect-secrets==1.5.0). To run without the "
    "content scan (file names are still checked), set preflight_scan_file_contents: false."
)

PLUGINS = [
    {"name": "AWSKeyDetector"},
    {"name": "PrivateKeyDetector"},
    {"name": "KeywordDetector"},
]
ENTROPY_PLUGINS = [
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "HexHighEntropyString", "limit": 3.0},
]


def accepted_in_baseline(path):
    """(file name, secret hash) pairs a detect-secrets baseline accepts."""
    if not path or not os.path.isfile(path):
        return set()
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return {(name, item["hashed_secret"]) for name, items in data.get("results", {}).items() for item in items}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise AnsibleLookupError(f"secret_scan: cannot read the baseline {path}: {e}") from e


def scan(root, files, baseline=None, entropy=True):
    if SecretsCollection is None:
        raise AnsibleLookupError(MISSING)
    accepted = accepted_in_baseline(baseline)
    config = {"plugins_used": PLUGINS + (ENTROPY_PLUGINS if entropy else [])}
    findings = set()
    with transient_settings(config):
        secrets = SecretsCollection(root=root)
        for name in files:
            if os.path.isfile(os.path.join(root, name)):
                secrets.scan_file(name)
        for name, secret in secrets:
            if (name, secret.secret_hash) not in accepted:
                findings.add((name, secret.line_number or 0, secret.type))
    return [{"file": f, "line": line, "type": kind, "where": f"{f}:{line} ({kind})"} for f, line, kind in sorted(findings)]


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        results = []
        for root in terms:
            results.extend(scan(root, self.get_option("files"), self.get_option("baseline"), self.get_option("entropy")))
        return results
