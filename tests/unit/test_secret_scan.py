"""liftoff.aws.secret_scan: each format AWS and its tools write is found, by file and line, never echoed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings

from ansible_collections.liftoff.aws.plugins.lookup import secret_scan

SOURCE = Path(__file__).parent / "fixtures" / "secrets"
# AWS's documented example secrets, put into the fixtures only at test time: the committed files hold
# placeholders, so the repo's own preflight scan never sees a key.
SECRETS = ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("secrets")
    for source in SOURCE.iterdir():
        text = source.read_text().replace("@EXAMPLE_SECRET_2@", SECRETS[1]).replace("@EXAMPLE_SECRET@", SECRETS[0])
        (out / source.name).write_text(text)
    return out


@pytest.mark.parametrize("name, line", [
    ("cli_create_access_key.json", 4),   # aws iam create-access-key output
    ("iam_role_key_file.json", 3),       # the iam role's access key file ("SecretAccessKey")
    ("aws_credentials.ini", 3),          # ~/.aws/credentials
    ("aws_config.ini", 8),               # keys in ~/.aws/config
    ("rootkey_csv.txt", 1),              # root key CSV (AWSAccessKeyId= / AWSSecretKey=)
    ("access_keys_csv.txt", 2),          # console accessKeys.csv
    ("dot_env.txt", 1),                  # .env
    ("group_vars.yml", 3),               # Ansible vars with aws_secret_key:
    ("private_key_pem.txt", 1),          # PEM private key
])
def test_each_format_is_found_by_file_and_line(fixtures, name, line):
    findings = secret_scan.scan(str(fixtures), [name])
    assert (name, line) in {(f["file"], f["line"]) for f in findings}, findings
    assert not any(s in str(findings) for s in SECRETS)


def test_normal_vars_are_not_flagged(fixtures):
    assert secret_scan.scan(str(fixtures), ["normal_group_vars.yml"]) == []


def test_a_baseline_accepts_its_findings(fixtures, tmp_path):
    found = secret_scan.scan(str(fixtures), ["group_vars.yml"])
    assert found
    with transient_settings({"plugins_used": secret_scan.PLUGINS + secret_scan.ENTROPY_PLUGINS}):
        collection = SecretsCollection(root=str(fixtures))
        collection.scan_file("group_vars.yml")
        baseline = tmp_path / ".secrets.baseline"
        baseline.write_text(json.dumps({"results": collection.json()}))
    assert secret_scan.scan(str(fixtures), ["group_vars.yml"], baseline=str(baseline)) == []


def test_missing_package_fails_naming_it(fixtures, monkeypatch):
    monkeypatch.setattr(secret_scan, "SecretsCollection", None)
    with pytest.raises(secret_scan.AnsibleLookupError, match="detect-secrets"):
        secret_scan.scan(str(fixtures), ["group_vars.yml"])


def test_this_repository_passes_its_own_scan():
    """What `make sandbox`'s preflight runs on this work tree: a new finding must be fixed or accepted in
    .secrets.baseline (detect-secrets scan --baseline .secrets.baseline), or the sandbox refuses to start."""
    root = Path(__file__).resolve().parents[2]
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git work tree")
    files = [f for f in listed.stdout.splitlines() if f != ".secrets.baseline"]
    assert secret_scan.scan(str(root), files, baseline=str(root / ".secrets.baseline")) == []
