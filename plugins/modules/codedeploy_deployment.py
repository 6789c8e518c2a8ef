#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: codedeploy_deployment
short_description: Deploy an application revision from S3 with CodeDeploy, once, and wait for the result
version_added: 0.7.0
description:
  - Deploys one application revision stored in S3 (O(revision)) to a CodeDeploy deployment group of the EC2/on-premises
    compute platform, and by default waits until the deployment has succeeded (O(wait)).
  - A deployment is an action, not a resource, so "already done" means - the group's most recent deployment is of this
    very revision (bucket, key, bundle type, and O(revision.version) / O(revision.etag) when given) and did not fail.
    When it succeeded, the run changes nothing; when it is still under way (C(Created), C(Queued), C(InProgress),
    C(Baking), C(Ready)), no second deployment is made - the run waits for that one (with O(wait)) and reports it
    unchanged. A latest deployment of another revision, or one that C(Failed) or was C(Stopped), makes a new
    deployment; so does O(force).
  - Only the revision counts. O(description), O(deployment_config_name), O(file_exists_behavior) and
    O(ignore_application_stop_failures) are passed to a new deployment but a deployment that differs only in them is
    not made again.
  - A no-op run makes two reads (C(ListDeployments) of the group, newest first, and C(GetDeployment) of the newest)
    and no write. Check mode makes the same reads, creates nothing and does not wait.
  - A deployment that fails or is stopped while the module waits fails the run with the deployment's id, its status,
    CodeDeploy's error code and message, and the instance counts. One still running after O(wait_timeout) fails the
    run too, but keeps running in AWS - a later run with the same revision waits for it instead of deploying again.
  - Why a module of our own - neither amazon.aws nor community.aws has a module that manages CodeDeploy; the request
    for one (U(https://github.com/ansible-collections/community.aws/issues/887)) has been open since January 2022.
author:
  - liftoff maintainers (@liftoff)
options:
  application_name:
    description: The CodeDeploy application (1 to 100 characters).
    type: str
    required: true
  deployment_group_name:
    description: The application's deployment group to deploy to (1 to 100 characters).
    type: str
    required: true
  revision:
    description: The application revision, an archive in S3 with an C(appspec.yml) at its root.
    type: dict
    required: true
    suboptions:
      bucket:
        description: The S3 bucket's name (not an C(s3://) URL), like C(demo-prod-codedeploy-revisions).
        type: str
        required: true
      key:
        description: The archive's object key, like C(app/1.4.2.zip).
        type: str
        required: true
      bundle_type:
        description: The archive's format.
        type: str
        choices: [zip, tar, tgz]
        default: zip
      version:
        description:
          - The S3 object version to deploy (in a versioned bucket). Omitted - the latest version when the deployment
            is made, and a latest deployment of any version of the key counts as this revision.
        type: str
      etag:
        description:
          - The object's ETag; CodeDeploy refuses the deployment when the object's ETag differs. Omitted - not
            checked, and not compared with the latest deployment's.
        type: str
  description:
    description: The new deployment's description.
    type: str
  deployment_config_name:
    description:
      - The deployment configuration, like C(CodeDeployDefault.OneAtATime) or C(CodeDeployDefault.AllAtOnce).
        Omitted - the deployment group's.
    type: str
  file_exists_behavior:
    description:
      - What the agent does with a file already on the instance that the revision also has and an earlier deployment
        did not put there - V(DISALLOW) fails the deployment, V(OVERWRITE) replaces it, V(RETAIN) keeps it.
        Omitted - CodeDeploy's default (V(DISALLOW)).
    type: str
    choices: [DISALLOW, OVERWRITE, RETAIN]
  ignore_application_stop_failures:
    description: Carry on with an instance's deployment when its C(ApplicationStop) lifecycle event fails.
    type: bool
    default: false
  force:
    description: Deploy even when the group's latest deployment already is this very revision.
    type: bool
    default: false
  wait:
    description: Wait until the deployment has succeeded (and fail when it fails or is stopped).
    type: bool
    default: true
  wait_timeout:
    description: How long to wait, in seconds (more than 0).
    type: int
    default: 1800
  wait_delay:
    description: Seconds between two polls of the deployment's status (at least 1).
    type: int
    default: 15
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Deploy release 1.4.2 to the prod web servers and wait until every instance has it
  liftoff.aws.codedeploy_deployment:
    region: eu-west-1
    application_name: demo-prod-app
    deployment_group_name: demo-prod-web
    revision:
      bucket: demo-prod-codedeploy-revisions
      key: app/1.4.2.zip
    description: Release 1.4.2
    deployment_config_name: CodeDeployDefault.OneAtATime
    file_exists_behavior: OVERWRITE
    wait_timeout: 2700
  register: deploy

- name: Start the same deployment again (after the instances were rebuilt by hand) without waiting
  liftoff.aws.codedeploy_deployment:
    region: eu-west-1
    application_name: demo-prod-app
    deployment_group_name: demo-prod-web
    revision:
      bucket: demo-prod-codedeploy-revisions
      key: app/1.4.2.zip
      version: 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY
    force: true
    wait: false
"""

RETURN = r"""
deployment:
  description:
    - The deployment the run made, waited for or found already done (the group's latest one). In check mode, for a
      deployment the run would make, its C(deployment_id), C(status) and C(create_time) are C((known after creation)).
    - C(revision) has the shape of the O(revision) option; C(deployment_overview) counts the deployment's instances
      by their status; C(error_information) (C(code), C(message)) is there only when CodeDeploy reports an error.
  returned: always
  type: dict
  sample:
    deployment_id: d-7QB5OVSRF
    status: Succeeded
    application_name: demo-prod-app
    deployment_group_name: demo-prod-web
    description: Release 1.4.2
    revision:
      bucket: demo-prod-codedeploy-revisions
      key: app/1.4.2.zip
      bundle_type: zip
    deployment_config_name: CodeDeployDefault.OneAtATime
    create_time: "2025-05-12T09:14:03.512000+00:00"
    complete_time: "2025-05-12T09:21:47.208000+00:00"
    deployment_overview:
      pending: 0
      in_progress: 0
      succeeded: 4
      failed: 0
      skipped: 0
      ready: 0
    creator: user
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run
from ansible_collections.liftoff.aws.plugins.module_utils.core import to_result

# A deployment in one of these is still under way: a run with its revision waits for it rather than deploy again.
UNDER_WAY = ("Created", "Queued", "InProgress", "Baking", "Ready")
# The statuses a deployment ends in.
ENDED = ("Succeeded", "Failed", "Stopped")
OVERVIEW = ("Succeeded", "Failed", "Skipped", "Pending", "InProgress", "Ready")


def wanted_revision(params):
    """The revision option as CodeDeploy's RevisionLocation."""
    option = params["revision"]
    location = {"bucket": option["bucket"], "key": option["key"], "bundleType": option["bundle_type"]}
    if option.get("version"):
        location["version"] = option["version"]
    if option.get("etag"):
        location["eTag"] = option["etag"]
    return {"revisionType": "S3", "s3Location": location}


def _etag(value):
    return str(value or "").strip('"')


def same_revision(revision, wanted):
    """Is ``revision`` (a deployment's) the wanted S3 revision? Version and ETag count only when wanted names them."""
    if (revision or {}).get("revisionType") != "S3":
        return False
    have, want = revision.get("s3Location") or {}, wanted["s3Location"]
    if any(have.get(k) != want[k] for k in ("bucket", "key", "bundleType")):
        return False
    if "version" in want and have.get("version") != want["version"]:
        return False
    return "eTag" not in want or _etag(have.get("eTag")) == _etag(want["eTag"])


def revision_view(revision):
    """A RevisionLocation in the shape of the revision option ({} for none)."""
    if not revision:
        return {}
    if revision.get("revisionType") != "S3":
        return {"revision_type": revision.get("revisionType")}
    location = revision.get("s3Location") or {}
    view = {"bucket": location.get("bucket"), "key": location.get("key"), "bundle_type": location.get("bundleType")}
    if location.get("version"):
        view["version"] = location["version"]
    if location.get("eTag"):
        view["etag"] = location["eTag"]
    return view


def deployment_view(info):
    """GetDeployment's deploymentInfo as the module returns it."""
    if not info:
        return {}
    picked = {k: info.get(k) for k in ("deploymentId", "status", "applicationName", "deploymentGroupName", "description",
                                       "deploymentConfigName", "createTime", "completeTime", "creator")}
    picked["deploymentOverview"] = info.get("deploymentOverview") or {}
    if info.get("errorInformation"):
        picked["errorInformation"] = info["errorInformation"]
    view = to_result(picked)
    view["revision"] = revision_view(info.get("revision"))
    return view


def planned_view(params, revision):
    """What check mode returns for a deployment the run would make."""
    return {"deployment_id": KNOWN_AFTER_CREATION, "status": KNOWN_AFTER_CREATION,
            "application_name": params["application_name"], "deployment_group_name": params["deployment_group_name"],
            "description": params["description"], "revision": revision_view(revision),
            "deployment_config_name": params["deployment_config_name"] or KNOWN_AFTER_CREATION,
            "create_time": KNOWN_AFTER_CREATION, "complete_time": None, "deployment_overview": {}, "creator": "user"}


@aws_error_handler("list the deployments of deployment group {group} of application {application}")
def latest_deployment_id(client, application, group):
    """The id of the group's newest deployment (ListDeployments lists newest first), or None."""
    page = client.list_deployments(aws_retry=True, applicationName=application, deploymentGroupName=group)
    ids = page.get("deployments") or []
    return ids[0] if ids else None


@aws_error_handler("get deployment {deployment_id}")
def get_deployment(client, deployment_id):
    return client.get_deployment(aws_retry=True, deploymentId=deployment_id)["deploymentInfo"]


@aws_error_handler("create a deployment of s3://{revision[s3Location][bucket]}/{revision[s3Location][key]} "
                   "to deployment group {params[deployment_group_name]} of application {params[application_name]}")
def create_deployment(client, params, revision):
    request = {"applicationName": params["application_name"], "deploymentGroupName": params["deployment_group_name"],
               "revision": revision, "ignoreApplicationStopFailures": params["ignore_application_stop_failures"]}
    for option, name in (("description", "description"), ("deployment_config_name", "deploymentConfigName"),
                         ("file_exists_behavior", "fileExistsBehavior")):
        if params[option]:
            request[name] = params[option]
    return client.create_deployment(aws_retry=True, **request)["deploymentId"]


def _overview(info):
    counts = info.get("deploymentOverview") or {}
    return "instances: " + ", ".join("%s %s" % (counts.get(k, 0), k) for k in OVERVIEW)


def _failed_message(info):
    error = info.get("errorInformation") or {}
    reason = "%s: %s" % (error.get("code", "no error code"), error.get("message", "no error message"))
    return "Deployment %s to deployment group %s of application %s ended %s - %s (%s)" % (
        info["deploymentId"], info.get("deploymentGroupName"), info.get("applicationName"), info["status"], reason,
        _overview(info))


def wait_for(module, client, info, changed):
    """Poll the deployment every wait_delay seconds until it ends; fail unless it succeeded or within wait_timeout."""
    params = module.params
    deadline = time.monotonic() + params["wait_timeout"]
    while info["status"] not in ENDED:
        left = deadline - time.monotonic()
        if left <= 0:
            module.fail_json(
                msg="Timed out after %d s (wait_timeout) waiting for deployment %s, last status %s (%s); the deployment "
                    "keeps running in AWS, and a re-run with the same revision waits for it instead of deploying again"
                    % (params["wait_timeout"], info["deploymentId"], info["status"], _overview(info)),
                changed=changed, deployment=deployment_view(info))
        time.sleep(min(params["wait_delay"], left))
        info = get_deployment(client, info["deploymentId"])
    if info["status"] != "Succeeded":
        module.fail_json(msg=_failed_message(info), changed=changed, deployment=deployment_view(info))
    return info


def ensure_deployed(module, client):
    params = module.params
    revision = wanted_revision(params)
    latest_id = latest_deployment_id(client, params["application_name"], params["deployment_group_name"])
    latest = get_deployment(client, latest_id) if latest_id else None
    before = revision_view((latest or {}).get("revision"))
    done = (latest is not None and not params["force"] and same_revision(latest.get("revision"), revision)
            and latest["status"] not in ("Failed", "Stopped"))
    if done:
        if params["wait"] and not module.check_mode:
            latest = wait_for(module, client, latest, changed=False)
        return result(module, False, before, before, deployment=deployment_view(latest))
    after = revision_view(revision)
    if module.check_mode:
        return result(module, True, before, after, deployment=planned_view(params, revision))
    info = get_deployment(client, create_deployment(client, params, revision))
    if params["wait"]:
        info = wait_for(module, client, info, changed=True)
    return result(module, True, before, after, deployment=deployment_view(info))


def validate(module):
    params = module.params
    for option in ("application_name", "deployment_group_name"):
        if not 1 <= len(params[option]) <= 100:
            module.fail_json(msg="%s is %d characters: CodeDeploy takes 1 to 100" % (option, len(params[option])))
    for option in ("bucket", "key"):
        if not params["revision"][option].strip():
            module.fail_json(msg="revision.%s is empty: the revision is the S3 object s3://<bucket>/<key>" % option)
    if params["revision"]["bucket"].startswith("s3://"):
        module.fail_json(msg="revision.bucket is %s: give the bucket's name alone (the key goes in revision.key)"
                         % params["revision"]["bucket"])
    if params["wait_timeout"] <= 0:
        module.fail_json(msg="wait_timeout is %d: it must be more than 0 seconds" % params["wait_timeout"])
    if params["wait_delay"] < 1:
        module.fail_json(msg="wait_delay is %d: polls must be at least 1 second apart" % params["wait_delay"])


def main():
    argument_spec = dict(
        application_name=dict(type="str", required=True),
        deployment_group_name=dict(type="str", required=True),
        revision=dict(type="dict", required=True, options=dict(
            bucket=dict(type="str", required=True),
            key=dict(type="str", required=True, no_log=False),
            bundle_type=dict(type="str", choices=["zip", "tar", "tgz"], default="zip"),
            version=dict(type="str"),
            etag=dict(type="str"),
        )),
        description=dict(type="str"),
        deployment_config_name=dict(type="str"),
        file_exists_behavior=dict(type="str", choices=["DISALLOW", "OVERWRITE", "RETAIN"]),
        ignore_application_stop_failures=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        wait_delay=dict(type="int", default=15),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    run(module, ensure_deployed, aws_client(module, "codedeploy", retry_codes=("ThrottlingException",)))


if __name__ == "__main__":
    main()
