"""Role liftoff.aws.codedeploy and playbooks/deploy.yml against the emulator: bad input refused before any call, check
mode that writes nothing, the revision bucket, application and deployment group read back, a re-run with zero writes
and at most two reads per managed resource, a deploy that uploads a bundle with appspec.yml at its top and creates
one deployment (none on a re-run of the same version), and a teardown that keeps the bucket without force.

The emulator never runs a deployment (it stays Created): the wait, success, failure and rollback paths are the
codedeploy_deployment module's Stubber tests."""

from __future__ import annotations

import io
import zipfile

from tests.harness.owned import READS_PER_RESOURCE_GOAL, codedeploy_resources, reads_per_resource
from tests.harness.paths import REPO_ROOT

SERVICES = REPO_ROOT / "playbooks" / "services.yml"
DEPLOY = REPO_ROOT / "playbooks" / "deploy.yml"
APP_DIR = REPO_ROOT / "examples" / "app"
APP, GROUP = "liftoff-demo-sandbox-app", "web"
BUCKET = "liftoff-demo-sandbox-codedeploy-revisions"
TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
# No compute step in this test: no auto scaling group or target group to name. Only the codedeploy role of step 7
# runs (the thumbnails role has its own test).
CODEDEPLOY = ["codedeploy"]
ALONE = {"codedeploy_auto_scaling_groups": [], "codedeploy_target_group_names": []}


def _applications(codedeploy):
    return codedeploy.list_applications()["applications"]


def test_codedeploy_lifecycle_and_deploy(playbook, aws, tmp_path):
    codedeploy, s3 = aws.client("codedeploy"), aws.client("s3")

    # -- bad input: refused by name, before any AWS call ------------------------------------------------
    aws.reset_calls()
    bad = dict(ALONE, codedeploy_on_premises_tag_filters=[], codedeploy_revision_bucket="Revisions_Bucket",
               codedeploy_auto_rollback_events=["DEPLOYMENT_STOP_ON_ALARM"])
    result = playbook(SERVICES, tags=CODEDEPLOY, extra_vars=bad)
    assert result.rc != 0
    for message in ("the deployment group would have no servers: give codedeploy_ec2_tag_filters",
                    "codedeploy_revision_bucket is 'Revisions_Bucket': S3 bucket names",
                    "codedeploy_auto_rollback_events has DEPLOYMENT_STOP_ON_ALARM but codedeploy_alarms is empty"):
        assert message in result.stdout, str(result)
    assert aws.calls() == []

    # -- check mode on an empty account ----------------------------------------------------------------
    aws.reset_calls()
    result = playbook(SERVICES, tags=CODEDEPLOY, check=True, diff=True, extra_vars=ALONE)
    assert result.rc == 0 and result.changed == 3, str(result)
    assert aws.writes() == [] and _applications(codedeploy) == []

    # -- create, read back ------------------------------------------------------------------------------
    result = playbook(SERVICES, tags=CODEDEPLOY, extra_vars=ALONE)
    assert result.rc == 0 and result.changed == 3, str(result)
    assert _applications(codedeploy) == [APP]
    group = codedeploy.get_deployment_group(applicationName=APP, deploymentGroupName=GROUP)["deploymentGroupInfo"]
    assert group["serviceRoleArn"] == ("arn:aws:iam::123456789012:role/liftoff/liftoff-demo/sandbox/"
                                       "liftoff-demo-sandbox-codedeploy")
    assert group["onPremisesInstanceTagFilters"] == [
        {"Key": "LiftoffDeploymentGroup", "Value": f"{APP}/{GROUP}", "Type": "KEY_AND_VALUE"}]
    assert group["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    assert group["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"]

    # -- re-run: no write, at most two reads per managed resource ---------------------------------------
    aws.reset_calls()
    result = playbook(SERVICES, tags=CODEDEPLOY, extra_vars=ALONE)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert aws.writes() == []
    # (the run's reads, before the count below reads the emulator too; the account lookup is preflight's in site.yml)
    reads = len([c for c in aws.reads() if c.operation not in ("GetCallerIdentity", "ListAccountAliases")])
    owned = codedeploy_resources(aws, "liftoff-demo-sandbox", TAGS)
    assert reads_per_resource(reads, owned) <= READS_PER_RESOURCE_GOAL, (reads, owned)

    # -- deploy: a folder without appspec.yml is refused before any call ---------------------------------
    aws.reset_calls()
    result = playbook(DEPLOY, extra_vars=dict(ALONE, deploy_app_dir=str(tmp_path)))
    assert result.rc != 0 and "has none" in result.stdout and aws.calls() == [], str(result)

    # -- deploy the example app: bundle uploaded with appspec.yml at the top, one deployment -------------
    deploy = dict(ALONE, deploy_app_dir=str(APP_DIR), deploy_version="abc123", deploy_wait=False)
    aws.reset_calls()
    result = playbook(DEPLOY, check=True, extra_vars=deploy)
    assert result.rc == 0 and aws.writes() == [], str(result)
    result = playbook(DEPLOY, extra_vars=deploy)
    assert result.rc == 0, str(result)
    bundle = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=BUCKET, Key="revisions/abc123.zip")["Body"].read()))
    assert {"appspec.yml", "scripts/restart_nginx.sh", "site/index.html"} <= set(bundle.namelist())
    (deployment_id,) = codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"]
    revision = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["revision"]
    assert revision["s3Location"] == {"bucket": BUCKET, "key": "revisions/abc123.zip", "bundleType": "zip"}
    assert f"Deployment {deployment_id} of s3://{BUCKET}/revisions/abc123.zip" in result.stdout

    # the same version again: no upload, no second deployment (the first is still under way here)
    aws.reset_calls()
    result = playbook(DEPLOY, extra_vars=deploy)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert aws.writes() == []
    assert len(codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"]) == 1

    # -- teardown: the bucket stays without force; then everything goes, and a second teardown writes nothing
    result = playbook(SERVICES, tags=CODEDEPLOY, extra_vars=dict(ALONE, codedeploy_state="absent"))
    assert result.rc == 0, str(result)
    assert _applications(codedeploy) == [] and BUCKET in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    result = playbook(SERVICES, tags=CODEDEPLOY, extra_vars=dict(ALONE, codedeploy_state="absent", codedeploy_force=True))
    assert result.rc == 0, str(result)
    assert BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    aws.reset_calls()
    result = playbook(SERVICES, tags=CODEDEPLOY, extra_vars=dict(ALONE, codedeploy_state="absent", codedeploy_force=True))
    assert result.rc == 0 and result.changed == 0 and aws.writes() == [], str(result)
