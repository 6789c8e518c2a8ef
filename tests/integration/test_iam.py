"""Role liftoff.aws.iam against the emulator, through playbooks/iam.yml.

The amazon.aws checklist per resource - create (check, real, idempotent), modify (check, real,
idempotent), delete (check, real, idempotent) - with zero write calls on every idempotent and
check-mode run, what a user observes read back from IAM, and foreign resources that survive teardown.
"""

from __future__ import annotations

import fnmatch
import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.harness.owned import READS_PER_RESOURCE_CEILING, resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "playbooks" / "iam.yml"
PATH = "/liftoff/liftoff-demo/sandbox/"
PREFIX = "liftoff-demo-sandbox"
ACCOUNT = "123456789012"

USERS = [
    {"name": "alice", "groups": ["admins"], "mfa": True},
    {"name": "bob", "groups": ["deployers"], "access_key": True},
    # readonly requires MFA: carol has a device, as in the sandbox inventory
    {"name": "carol", "groups": ["readonly", "deployers"], "mfa": True},
]


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    return tmp_path / "secrets"


@pytest.fixture
def run(playbook, secrets):
    def _run(extra=None, users=None, **kwargs):
        extra_vars = {"iam_users": USERS if users is None else users, "iam_secret_dir": str(secrets)}
        extra_vars.update(extra or {})
        return playbook(PLAYBOOK, extra_vars=extra_vars, **kwargs)

    return _run


def app_instance(aws, role="app"):
    ec2 = aws.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "Project", "Value": "liftoff-demo"}, {"Key": "Role", "Value": role}]}],
    )["Instances"][0]["InstanceId"]


def profile_of(aws, instance_id):
    assocs = aws.client("ec2").describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}])["IamInstanceProfileAssociations"]
    return [a["IamInstanceProfile"]["Arn"].split("/")[-1] for a in assocs]


def group_members(iam, short):
    return sorted(u["UserName"] for u in iam.get_group(GroupName=f"{PREFIX}-{short}")["Users"])


def group_policies(iam, short):
    return sorted(p["PolicyName"] for p in iam.list_attached_group_policies(GroupName=f"{PREFIX}-{short}")["AttachedPolicies"])


def policy_document(iam, name):
    arn = f"arn:aws:iam::{ACCOUNT}:policy{PATH}{name}"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(doc) if isinstance(doc, str) else doc


def trust_policy(iam, key):
    doc = iam.get_role(RoleName=f"{PREFIX}-{key}")["Role"]["AssumeRolePolicyDocument"]
    return json.loads(doc) if isinstance(doc, str) else doc


def our_names(iam):
    """Everything under our path (filtered here too: moto ignores PathPrefix for groups and profiles)."""
    def under_path(items, key):
        return sorted(i[key] for i in items if i["Path"] == PATH)

    return {
        "users": under_path(iam.list_users()["Users"], "UserName"),
        "groups": under_path(iam.list_groups()["Groups"], "GroupName"),
        "roles": under_path(iam.list_roles()["Roles"], "RoleName"),
        "profiles": under_path(iam.list_instance_profiles()["InstanceProfiles"], "InstanceProfileName"),
        "policies": under_path(iam.list_policies(Scope="Local")["Policies"], "PolicyName"),
        "mfa": sorted(d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]
                      if f":mfa{PATH}" in d["SerialNumber"]),
    }


def test_check_mode_on_an_empty_account_writes_nothing(run, aws, secrets):
    app_instance(aws)
    aws.reset_calls()
    result = run(check=True, diff=True)
    assert result.rc == 0, result
    assert result.changed > 0, result  # it predicts the creation...
    assert aws.writes() == []          # ...without making any of it
    assert not secrets.exists()
    assert our_names(aws.client("iam"))["users"] == []


def test_create_then_rerun_and_check_mode_make_no_writes(run, aws, secrets):
    instance = app_instance(aws)
    other_instance = app_instance(aws, role="db")
    result = run()
    assert result.rc == 0, result
    iam = aws.client("iam")

    assert our_names(iam) == {
        "users": ["alice", "bob", "carol"],
        "groups": [f"{PREFIX}-admins", f"{PREFIX}-deployers", f"{PREFIX}-readonly"],
        # ci-deploy: the sandbox inventory lets its GitHub repository's main branch deploy
        "roles": [f"{PREFIX}-app", f"{PREFIX}-ci-deploy", f"{PREFIX}-codedeploy", f"{PREFIX}-dlm", f"{PREFIX}-thumbnails"],
        "profiles": [f"{PREFIX}-app"],
        "policies": [f"{PREFIX}-deployers", f"{PREFIX}-require-mfa"],
        "mfa": [f"arn:aws:iam::{ACCOUNT}:mfa{PATH}alice", f"arn:aws:iam::{ACCOUNT}:mfa{PATH}carol"],
    }
    assert group_members(iam, "admins") == ["alice"]
    assert group_members(iam, "deployers") == ["bob", "carol"]
    assert group_policies(iam, "admins") == ["AdministratorAccess", f"{PREFIX}-require-mfa"]
    assert group_policies(iam, "deployers") == [f"{PREFIX}-deployers"]

    # the app instance got the profile; an instance of another role did not
    assert profile_of(aws, instance) == [f"{PREFIX}-app"]
    assert profile_of(aws, other_instance) == []

    # secrets: only in 0600 files, never in the output
    seed = secrets / "mfa" / "alice.seed"
    key_file = secrets / "access-keys" / "bob.json"
    for path in (seed, secrets / "mfa" / "alice.png", secrets / "mfa" / "carol.seed", key_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    key = json.loads(key_file.read_text())
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    assert iam.list_access_keys(UserName="carol")["AccessKeyMetadata"] == []  # no key unless asked
    for secret in (seed.read_text(), key["SecretAccessKey"]):
        assert secret not in result.stdout + result.stderr

    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["MaxPasswordAge"], policy["PasswordReusePrevention"]) == (14, 90, 24)

    # the audit table: a device that is not enabled yet is still no MFA
    assert "no_mfa            user alice" in result.stdout
    assert "no_mfa            user carol" in result.stdout

    owned = resources(aws, "iam")
    # 3 users, 3 groups, 5 roles, 3 inline role policies, 1 profile, 2 policies, 2 MFA, key, OIDC provider, password policy
    assert owned == 22

    seed_before = (seed.read_text(), seed.stat().st_mtime_ns)
    aws.reset_calls()
    again = run()
    assert again.rc == 0, again
    assert again.changed == 0, again
    calls = aws.calls()
    assert [c for c in calls if c.is_write] == []
    reads = [str(c) for c in calls if c.is_read]
    assert len(reads) / owned <= READS_PER_RESOURCE_CEILING["iam"], (len(reads), owned, sorted(reads))
    assert (seed.read_text(), seed.stat().st_mtime_ns) == seed_before  # the re-run left the seed file alone

    aws.reset_calls()
    dry = run(check=True, diff=True)
    assert dry.rc == 0, dry
    assert dry.changed == 0, dry
    assert aws.writes() == []


def test_policies_are_what_the_issue_asks_for(run, aws):
    assert run().rc == 0
    iam = aws.client("iam")

    mfa = policy_document(iam, f"{PREFIX}-require-mfa")
    deny = [s for s in mfa["Statement"] if s["Effect"] == "Deny"]
    assert len(deny) == 1
    assert deny[0]["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert deny[0]["Resource"] == ["*"] and "Action" not in deny[0]
    # without MFA a user can still set up their own MFA device and password
    for action in ("iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ChangePassword", "sts:GetSessionToken"):
        assert action in deny[0]["NotAction"]
    assert "iam:DeactivateMFADevice" not in deny[0]["NotAction"]

    deployers = policy_document(iam, f"{PREFIX}-deployers")
    resources = {r for s in deployers["Statement"] for r in s["Resource"]}
    s3 = {r for r in resources if r.startswith("arn:aws:s3")}
    assert s3 == {f"arn:aws:s3:::{PREFIX}-codedeploy-revisions", f"arn:aws:s3:::{PREFIX}-codedeploy-revisions/*"}

    app = iam.get_role_policy(RoleName=f"{PREFIX}-app", PolicyName=f"{PREFIX}-app")["PolicyDocument"]
    app = json.loads(app) if isinstance(app, str) else app
    assert [sorted(s["Action"]) for s in app["Statement"]] == [["s3:GetObject", "s3:PutObject"],
                                                               ["s3:GetObject", "s3:GetObjectVersion"]]
    assert sorted(app["Statement"][0]["Resource"]) == [f"arn:aws:s3:::{PREFIX}-site/*", f"arn:aws:s3:::{PREFIX}-uploads/*"]
    # the CodeDeploy agent reads revisions with the instance profile, and nothing else of that bucket
    assert app["Statement"][1]["Resource"] in (f"arn:aws:s3:::{PREFIX}-codedeploy-revisions/*",
                                               [f"arn:aws:s3:::{PREFIX}-codedeploy-revisions/*"])
    attached = sorted(p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=f"{PREFIX}-app")["AttachedPolicies"])
    assert attached == ["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"]
    trust = iam.get_role(RoleName=f"{PREFIX}-app")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert "Condition" not in trust["Statement"][0]  # EC2 sends no aws:SourceAccount for an instance profile
    for key, service in (("codedeploy", "codedeploy.amazonaws.com"), ("thumbnails", "lambda.amazonaws.com")):
        [statement] = trust_policy(iam, key)["Statement"]
        assert statement["Principal"] == {"Service": service}
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, key
    # DLM's role (the one the ec2_host role's snapshot policy acts as): AWS documents no source key for it.
    [statement] = trust_policy(iam, "dlm")["Statement"]
    assert statement["Principal"] == {"Service": "dlm.amazonaws.com"} and "Condition" not in statement
    dlm = iam.list_attached_role_policies(RoleName=f"{PREFIX}-dlm")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in dlm] == ["arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"]

    codedeploy = iam.list_attached_role_policies(RoleName=f"{PREFIX}-codedeploy")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in codedeploy] == ["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"]

    thumbs = iam.get_role_policy(RoleName=f"{PREFIX}-thumbnails", PolicyName=f"{PREFIX}-thumbnails")["PolicyDocument"]
    thumbs = json.loads(thumbs) if isinstance(thumbs, str) else thumbs
    by_sid = {s["Sid"]: s for s in thumbs["Statement"]}
    assert by_sid["ReadUploads"]["Resource"] == [f"arn:aws:s3:::{PREFIX}-uploads/*"]
    assert by_sid["ListUploads"]["Resource"] in (f"arn:aws:s3:::{PREFIX}-uploads", [f"arn:aws:s3:::{PREFIX}-uploads"])
    assert by_sid["WriteThumbnails"]["Resource"] == [f"arn:aws:s3:::{PREFIX}-thumbnails/*"]


def test_modify_check_then_real_then_idempotent(run, aws):
    assert run().rc == 0
    iam = aws.client("iam")
    users = [USERS[0], USERS[1], {"name": "carol", "groups": ["readonly"], "mfa": True}, {"name": "dave", "groups": ["deployers"]}]
    extra = {"iam_password_min_length": 16}

    aws.reset_calls()
    dry = run(extra, users=users, check=True, diff=True)
    assert dry.rc == 0, dry
    assert dry.changed > 0, dry
    assert aws.writes() == []
    assert group_members(iam, "deployers") == ["bob", "carol"]

    real = run(extra, users=users)
    assert real.rc == 0, real
    assert group_members(iam, "deployers") == ["bob", "dave"]
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 16

    aws.reset_calls()
    again = run(extra, users=users)
    assert again.rc == 0 and again.changed == 0, again
    assert aws.writes() == []


def test_a_role_trusted_without_the_condition_is_updated_once(run, aws):
    """Roles made before the aws:SourceAccount condition: the next run adds it, the one after writes nothing."""
    assert run().rc == 0
    iam = aws.client("iam")
    for key in ("codedeploy", "thumbnails"):
        old = trust_policy(iam, key)
        del old["Statement"][0]["Condition"]
        iam.update_assume_role_policy(RoleName=f"{PREFIX}-{key}", PolicyDocument=json.dumps(old))
    source_arns = [f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:deploymentgroup:{PREFIX}-web/*"]
    # the default iam_roles, with source_arns on the CodeDeploy role
    roles = [
        {"key": "app", "description": "App servers - uploads and site buckets, CloudWatch agent, SSM",
         "service": "ec2.amazonaws.com", "managed_policies": ["CloudWatchAgentServerPolicy", "AmazonSSMManagedInstanceCore"],
         "statements": "{{ iam_app_role_statements }}", "instance_profile": True},
        {"key": "codedeploy", "description": "CodeDeploy service role", "service": "codedeploy.amazonaws.com",
         "managed_policies": ["service-role/AWSCodeDeployRole"], "source_arns": source_arns},
        {"key": "thumbnails", "description": "Thumbnail Lambda - read uploads, write thumbnails, logs",
         "service": "lambda.amazonaws.com", "statements": "{{ iam_lambda_role_statements }}"},
        {"key": "dlm", "description": "Data Lifecycle Manager - snapshots of the hosts' data volumes",
         "service": "dlm.amazonaws.com", "managed_policies": ["service-role/AWSDataLifecycleManagerServiceRole"]},
    ]

    aws.reset_calls()
    dry = run({"iam_roles": roles}, check=True, diff=True)
    assert dry.rc == 0 and dry.changed > 0, dry
    assert aws.writes() == []

    aws.reset_calls()
    fixed = run({"iam_roles": roles})
    assert fixed.rc == 0 and fixed.changed > 0, fixed
    assert sorted(str(c) for c in aws.writes()) == ["iam:UpdateAssumeRolePolicy"] * 2
    assert trust_policy(iam, "codedeploy")["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": source_arns}}
    assert trust_policy(iam, "thumbnails")["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}

    aws.reset_calls()
    again = run({"iam_roles": roles})
    assert again.rc == 0 and again.changed == 0, again
    assert aws.writes() == []


def test_source_arns_on_the_ec2_role_are_refused_before_any_write(run, aws):
    roles = [{"key": "app", "service": "ec2.amazonaws.com", "instance_profile": True,
              "source_arns": [f"arn:aws:ec2:*:{ACCOUNT}:instance/*"]}]
    result = run({"iam_roles": roles})
    assert result.rc != 0, result
    assert "iam_roles app: ec2.amazonaws.com does not send aws:SourceArn" in result.stdout, result
    assert aws.writes() == []


def test_a_role_change_reaches_an_instance_with_another_profile(run, aws):
    iam, ec2 = aws.client("iam"), aws.client("ec2")
    iam.create_role(RoleName="legacy", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.create_instance_profile(InstanceProfileName="legacy")
    instance = app_instance(aws)
    ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": "legacy"})
    result = run()
    assert result.rc == 0, result
    assert profile_of(aws, instance) == [f"{PREFIX}-app"]


def test_mfa_is_enabled_only_when_codes_are_given(run, aws):
    assert run().rc == 0
    iam = aws.client("iam")
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []

    result = run({"iam_mfa_enable": {"alice": ["123456", "654321"], "carol": ["234567", "765432"]}})
    assert result.rc == 0, result
    for user in ("alice", "carol"):
        assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]] == [
            f"arn:aws:iam::{ACCOUNT}:mfa{PATH}{user}"]
        assert f"no_mfa            user {user}" not in result.stdout
    assert "123456" not in result.stdout and "234567" not in result.stdout
    assert "no_mfa            user bob" in result.stdout  # bob has an access key, no device


def test_teardown_removes_ours_and_nothing_else(run, aws, secrets):
    iam, ec2 = aws.client("iam"), aws.client("ec2")
    # someone else's things, some with names like ours
    iam.create_user(UserName="mallory")
    iam.create_user(UserName="erin", Path="/other/")
    iam.create_role(RoleName="foreign-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.create_group(GroupName="foreign-group")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")  # path /
    iam.create_instance_profile(InstanceProfileName="foreign-profile")
    db_instance = app_instance(aws, role="db")
    ec2.associate_iam_instance_profile(InstanceId=db_instance, IamInstanceProfile={"Name": "foreign-profile"})
    instance = app_instance(aws)
    # dave was ours once and has since been dropped from iam_users: still ours (our path), so absent removes him
    assert run(users=USERS + [{"name": "dave"}]).rc == 0
    assert run({"iam_mfa_enable": {"alice": ["123456", "654321"]}}).rc == 0

    aws.reset_calls()
    dry = run({"iam_state": "absent"}, check=True, diff=True)
    assert dry.rc == 0, dry
    assert dry.changed > 0
    assert aws.writes() == []
    assert our_names(iam)["users"] == ["alice", "bob", "carol", "dave"]
    assert (secrets / "mfa" / "alice.seed").exists()

    gone = run({"iam_state": "absent"})
    assert gone.rc == 0, gone
    assert our_names(iam) == {"users": [], "groups": [], "roles": [], "profiles": [], "policies": [], "mfa": []}
    assert profile_of(aws, instance) == []
    assert not (secrets / "mfa" / "alice.seed").exists()  # the seed of a deleted device is gone too
    assert not (secrets / "mfa" / "carol.seed").exists()
    assert not (secrets / "access-keys" / "bob.json").exists()
    # the foreign ones are all still there
    assert {"mallory", "erin"} <= {u["UserName"] for u in iam.list_users()["Users"]}
    assert iam.get_role(RoleName="foreign-role")
    assert iam.get_group(GroupName="foreign-group")
    assert [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]] == [
        f"arn:aws:iam::{ACCOUNT}:mfa/alice"]
    assert profile_of(aws, db_instance) == ["foreign-profile"]
    # the account-wide password policy stays unless asked
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14

    aws.reset_calls()
    again = run({"iam_state": "absent"})
    assert again.rc == 0 and again.changed == 0, again
    assert aws.writes() == []


@pytest.mark.parametrize("extra, users, message", [
    ({}, [{"name": "zed", "groups": ["admin"]}], "iam_users entry zed references unknown group(s) admin"),
    ({}, [{"name": "zed", "groups": "admins"}],
     "iam_users[0] (zed).groups is \"admins\", not a list: write a list, even for one item, like groups: [admins]"),
    ({"iam_password_min_length": 5}, USERS,
     "iam_password_min_length is 5: the minimum password length must be a whole number from 6 to 128"),
    ({"iam_password_min_length": 129}, USERS, "iam_password_min_length is 129"),
    ({"iam_password_max_age_days": 1096}, USERS,
     "iam_password_max_age_days is 1096: days before a password expires (0: never) must be a whole number from 1 to 1095 (or 0)"),
    ({"iam_password_reuse_prevention": 25}, USERS,
     "iam_password_reuse_prevention is 25: previous passwords that cannot be reused (0: reuse allowed) must be a whole number"
     " from 1 to 24 (or 0)"),
    ({"iam_password_reuse_prevention": -1}, USERS, "iam_password_reuse_prevention is -1"),
    ({"iam_deployer_statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}]}, USERS,
     "missing required arguments: effect"),
    ({"iam_app_role_statements": [{"effect": "Allow", "resources": ["*"]}]}, USERS,
     "iam_roles app: statement 1 needs exactly one of actions and not_actions"),
    ({"iam_path": "/"}, USERS, "iam_path is \"/\""),
    ({"iam_mfa_enable": {"bob": ["123456", "654321"]}}, USERS, "iam_mfa_enable"),
    ({"iam_state": "gone"}, USERS, "iam_state"),
])
def test_bad_input_fails_before_any_aws_call(run, aws, extra, users, message):
    result = run(extra, users=users)
    assert result.rc != 0, result
    assert message in result.stdout + result.stderr, result
    assert aws.calls() == []


def test_a_secret_dir_git_would_commit_is_refused_before_any_aws_call(run, aws, tmp_path):
    repo = tmp_path / "project"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    inside = repo / "secrets"
    refused = run({"iam_secret_dir": str(inside)})
    assert refused.rc != 0, refused
    assert f"{inside}/mfa is inside the git work tree {repo}" in refused.stdout, refused
    assert aws.calls() == [] and not inside.exists()

    (repo / ".gitignore").write_text("secrets/\n")  # ignored: git would not commit it, so it is accepted
    accepted = run({"iam_secret_dir": str(inside)})
    assert accepted.rc == 0, accepted
    assert (inside / "mfa" / "alice.seed").exists()
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert status.split() == ["??", ".gitignore"]  # the secrets are not committable


def test_a_same_named_user_outside_our_path_is_not_taken_over(run, aws):
    iam = aws.client("iam")
    iam.create_user(UserName="carol", Path="/contractors/")
    aws.reset_calls()
    result = run()
    assert result.rc != 0, result
    assert "IAM user(s) carol already exist outside /liftoff/liftoff-demo/sandbox/" in result.stdout, result
    assert aws.writes() == []
    assert iam.get_user(UserName="carol")["User"]["Path"] == "/contractors/"


def test_audit_can_fail_the_play(run, aws):
    result = run({"iam_audit_fail_on_findings": True})
    assert result.rc != 0, result
    assert "IAM audit: 3 finding(s)" in result.stdout, result


GITHUB = "token.actions.githubusercontent.com"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"
CI = {"iam_ci_deploy_repository": "acme/shop", "iam_ci_deploy_branches": ["main"],
      "iam_ci_deploy_environments": ["production"]}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def token_may_assume(policy, provider_arn, claims):
    """Would IAM let a web identity token with these claims assume a role with this trust policy?

    A small evaluator of what the deploy role's policy uses - Allow statements for
    sts:AssumeRoleWithWebIdentity by a Federated principal, with StringEquals / StringLike conditions on
    "<issuer>:<claim>" keys (every key must match one of its values). Any other operator counts as no match.
    """
    for statement in _as_list(policy["Statement"]):
        if statement["Effect"] != "Allow" or "sts:AssumeRoleWithWebIdentity" not in _as_list(statement["Action"]):
            continue
        if provider_arn not in _as_list(statement["Principal"].get("Federated", [])):
            continue
        matched = True
        for operator, pairs in (statement.get("Condition") or {}).items():
            for key, values in pairs.items():
                claim = claims.get(key)
                if operator == "StringEquals":
                    matched &= claim in _as_list(values)
                elif operator == "StringLike":
                    matched &= claim is not None and any(fnmatch.fnmatchcase(claim, v) for v in _as_list(values))
                else:
                    matched = False
        if matched:
            return True
    return False


def github_token(sub, aud="sts.amazonaws.com"):
    return {f"{GITHUB}:sub": sub, f"{GITHUB}:aud": aud}


def test_the_ci_deploy_role_trusts_one_repository_and_branch_and_holds_no_keys(run, aws):
    iam = aws.client("iam")
    first = run(CI)
    assert first.rc == 0, first
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [OIDC_ARN]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=OIDC_ARN)["ClientIDList"] == ["sts.amazonaws.com"]
    trust = trust_policy(iam, "ci-deploy")
    assert token_may_assume(trust, OIDC_ARN, github_token("repo:acme/shop:ref:refs/heads/main"))
    assert token_may_assume(trust, OIDC_ARN, github_token("repo:acme/shop:environment:production"))
    for sub in ("repo:acme/shop:ref:refs/heads/feature", "repo:acme/shop:pull_request",
                "repo:acme/shop:ref:refs/tags/v1.0", "repo:acme/shop-fork:ref:refs/heads/main",
                "repo:evil/shop:ref:refs/heads/main", "repo:ACME/shop:ref:refs/heads/main",
                "repo:acme/shop:environment:staging"):
        assert not token_may_assume(trust, OIDC_ARN, github_token(sub)), sub
    assert not token_may_assume(trust, OIDC_ARN, github_token("repo:acme/shop:ref:refs/heads/main", aud="other"))
    assert not token_may_assume(trust, "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
                                github_token("repo:acme/shop:ref:refs/heads/main"))
    # it may deploy and nothing else; CI gets no access key: the role has none and no user is made for it
    inline = iam.get_role_policy(RoleName=f"{PREFIX}-ci-deploy", PolicyName=f"{PREFIX}-ci-deploy")["PolicyDocument"]
    actions = {a for s in inline["Statement"] for a in _as_list(s["Action"])}
    assert "codedeploy:CreateDeployment" in actions and all(a.split(":")[0] in ("codedeploy", "s3") for a in actions)

    aws.reset_calls()
    again = run(CI)
    assert again.rc == 0 and again.changed == 0, again
    assert aws.writes() == []

    # teardown: the provider stays while another role trusts it, then goes
    iam.create_role(RoleName="other-team-deploy", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": OIDC_ARN}, "Action": "sts:AssumeRoleWithWebIdentity"}]}))
    gone = run(dict(CI, iam_state="absent"))
    assert gone.rc == 0, gone
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [OIDC_ARN]
    assert "still trust it" in gone.stdout + gone.stderr
    iam.delete_role(RoleName="other-team-deploy")
    gone = run(dict(CI, iam_state="absent"))
    assert gone.rc == 0, gone
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


@pytest.mark.parametrize("extra, message", [
    ({"iam_ci_deploy_branches": ["release/*"]}, "iam_ci_deploy_branches: 'release/*' must be one exact name"),
    ({"iam_ci_deploy_repository": "acme/*"}, "iam_ci_deploy_repository 'acme/*' must be owner/name"),
    ({"iam_ci_deploy_branches": [], "iam_ci_deploy_environments": []}, "no CI job could deploy"),
    ({"iam_ci_deploy_provider": "gitlab", "iam_ci_deploy_environments": ["production"]}, "a gitlab token does not name one"),
])
def test_ci_deploy_settings_that_would_let_others_in_are_refused_before_any_call(run, aws, extra, message):
    result = run(dict(CI, **extra))
    assert result.rc != 0 and message in result.stdout + result.stderr, result
    assert aws.calls() == []
