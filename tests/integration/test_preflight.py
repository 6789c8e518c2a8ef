"""Role liftoff.aws.preflight against the emulator: what a user sees, and that AWS is untouched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.owned import PREFLIGHT_READS_CEILING
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "playbooks" / "preflight.yml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A throw-away git work tree standing in for a user's copy of the repo."""
    repo = tmp_path / "project"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text(".aws/\n*.pem\n")
    return repo


def test_prints_account_region_and_endpoint(playbook, aws, project):
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc == 0, result
    assert result.recap["localhost"]["changed"] == 0, result
    assert "account:  123456789012" in result.stdout
    assert "region:   eu-west-1" in result.stdout
    assert f"endpoint: {aws.endpoint}" in result.stdout
    assert aws.writes() == []
    assert len(aws.reads()) <= PREFLIGHT_READS_CEILING, aws.reads()  # one identity lookup, reused by later steps


def test_check_mode_passes_and_changes_nothing(playbook, aws, project):
    result = playbook(PLAYBOOK, check=True, diff=True, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc == 0, result
    assert result.changed == 0, result
    assert aws.writes() == []


def test_refuses_root_credentials_and_changes_nothing(playbook, aws, project):
    result = playbook(PLAYBOOK, root=True, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc != 0, result
    assert "account root user's credentials (arn:aws:iam::123456789012:root)" in result.stdout, result
    assert aws.writes() == []
    assert "Show where the following steps will act" not in result.stdout


def test_refuses_missing_region(playbook, aws, project):
    result = playbook(PLAYBOOK, env={"AWS_REGION": "", "AWS_DEFAULT_REGION": ""},
                      extra_vars={"liftoff_region": "", "preflight_project_dir": str(project)})
    assert result.rc != 0, result
    assert "no AWS region is set" in result.stdout, result
    assert aws.calls() == []  # refused before talking to AWS at all


def test_refuses_credentials_file_git_would_commit(playbook, aws, project):
    (project / "config").mkdir()
    (project / "config" / "credentials").write_text("[default]\naws_access_key_id = AKIAEXAMPLE\n")
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc != 0, result
    assert "config/credentials" in result.stdout, result
    assert "git would commit them" in result.stdout
    assert aws.calls() == []  # refused before any AWS call


def test_accepts_the_same_file_once_git_ignored(playbook, aws, project):
    (project / "config").mkdir()
    (project / "config" / "credentials").write_text("[default]\naws_access_key_id = AKIAEXAMPLE\n")
    with open(project / ".gitignore", "a") as ignore:
        ignore.write("config/credentials\n")
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc == 0, result


def test_refuses_a_plain_text_secret_key_in_any_committable_file(playbook, aws, project):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    (project / "group_vars.yml").write_text(f"aws_secret_access_key: {secret}\n")
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc != 0, result
    assert "group_vars.yml" in result.stdout
    assert secret not in result.stdout + result.stderr  # never echo the secret itself


def test_refuses_another_account(playbook, aws, project):
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project),
                                            "preflight_expected_account_id": "210987654321"})
    assert result.rc != 0, result
    assert "belong to account 123456789012" in result.stdout


@pytest.mark.parametrize("account_id", ["123456789012", 123456789012], ids=["quoted", "unquoted-int"])
def test_expected_account_id_as_string_or_number_is_accepted(playbook, aws, project, account_id):
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project),
                                            "preflight_expected_account_id": account_id})
    assert result.rc == 0, result
    assert "account:  123456789012" in result.stdout
    assert aws.writes() == []


@pytest.mark.parametrize("account_id", ["210987654321", 210987654321], ids=["quoted", "unquoted-int"])
def test_another_account_is_refused_as_string_or_number(playbook, aws, project, account_id):
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project),
                                            "preflight_expected_account_id": account_id})
    assert result.rc != 0, result
    assert "belong to account 123456789012, but preflight_expected_account_id is 210987654321" in result.stdout, result
    assert aws.writes() == []


@pytest.mark.parametrize("account_id", ["12345", 12345, 1234567890123], ids=["short-string", "short-int", "long-int"])
def test_malformed_expected_account_id_is_refused_by_name(playbook, aws, project, account_id):
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project),
                                            "preflight_expected_account_id": account_id})
    assert result.rc != 0, result
    assert f"preflight_expected_account_id is {json.dumps(account_id)}: an AWS account ID is 12 digits" in result.stdout, result
    assert "has no len()" not in result.stdout + result.stderr
    assert aws.calls() == []


def test_sandbox_refuses_a_real_endpoint(playbook, aws, project):
    result = playbook(PLAYBOOK, env={"AWS_ENDPOINT_URL": ""}, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc != 0, result
    assert "not a loopback emulator" in result.stdout
    assert aws.calls() == []


def test_bad_input_is_rejected_with_the_variable_name(playbook, aws, project):
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project), "preflight_refuse_root": "maybe"})
    assert result.rc != 0, result
    assert "preflight_refuse_root" in result.stdout + result.stderr
    assert aws.calls() == []


def test_refuses_the_aws_cli_access_key_json_and_a_root_key_csv(playbook, aws, project):
    """What `aws iam create-access-key` prints, saved under any name, and a root-key CSV under its own name."""
    key_id, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    (project / "deploy-key.json").write_text(
        '{"AccessKey": {"UserName": "ci", "AccessKeyId": "%s", "SecretAccessKey": "%s"}}\n' % (key_id, secret))
    (project / "rootkey.csv").write_text("# empty\n")  # refused by its name alone
    result = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project)})
    assert result.rc != 0, result
    assert "deploy-key.json:1 (AWS Access Key)" in result.stdout, result
    assert "rootkey.csv" in result.stdout
    assert secret not in result.stdout + result.stderr and key_id not in result.stdout + result.stderr
    assert aws.calls() == []


def test_a_finding_accepted_in_the_baseline_passes(playbook, aws, project):
    fixture = project / "tests" / "fixture.yml"
    fixture.parent.mkdir()
    fixture.write_text("aws_access_key_id: AKIAIOSFODNN7EXAMPLE\n")
    refused = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project)})
    assert refused.rc != 0 and "tests/fixture.yml:1" in refused.stdout, refused
    subprocess.run([str(Path(sys.executable).parent / "detect-secrets"), "scan", "tests/fixture.yml"],
                   cwd=project, check=True, stdout=open(project / ".secrets.baseline", "w"))
    accepted = playbook(PLAYBOOK, extra_vars={"preflight_project_dir": str(project)})
    assert accepted.rc == 0, accepted
