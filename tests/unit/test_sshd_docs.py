"""The sshd role's argument_specs, defaults and README table describe the same variables."""

from __future__ import annotations

import re

import yaml

from tests.harness.paths import REPO_ROOT

ROLE = REPO_ROOT / "roles" / "sshd"
SPECS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
README = (ROLE / "README.md").read_text()
OS_VARS = {"sshd_service_name", "sshd_socket_name", "sshd_binary", "sshd_config_dir", "sshd_moduli_file"}


def test_every_default_is_specified_and_every_option_has_a_default_or_os_value():
    assert set(DEFAULTS) <= set(SPECS)
    assert set(SPECS) - set(DEFAULTS) == OS_VARS


def test_spec_defaults_match_the_defaults_file():
    for name, value in DEFAULTS.items():
        if isinstance(value, str) and "{{" in value:
            continue
        assert SPECS[name].get("default") == value, name


def test_os_vars_files_define_every_os_variable():
    for family in ("Debian.yml", "RedHat.yml"):
        assert set(yaml.safe_load((ROLE / "vars" / family).read_text())) == OS_VARS, family


def test_readme_table_lists_every_option():
    documented = set(re.findall(r"^\| `(sshd_[a-z0-9_]+)` \|", README, flags=re.MULTILINE))
    assert documented == set(SPECS)
