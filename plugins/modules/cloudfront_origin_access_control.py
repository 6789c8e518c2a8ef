#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudfront_origin_access_control
short_description: A CloudFront origin access control (OAC), by name, with check mode and diff
version_added: 0.6.0
description:
  - Makes, updates or deletes one CloudFront origin access control - what lets a distribution sign its requests to a
    private S3 bucket (SigV4), so the bucket's policy can grant read access to that distribution alone
    (C(AWS:SourceArn)) instead of to an origin access identity or the public.
  - The control is found by O(name) (CloudFront keeps names unique in an account). A no-op run makes one read
    (C(ListOriginAccessControls), one call per hundred controls) and no write; an update or a delete reads the
    control's ETag first.
  - V(absent) deletes the control; CloudFront refuses while a distribution still uses it, and the module then fails
    naming the control.
  - Why a module of our own - community.aws (10.x) manages only the legacy origin access identities
    (community.aws.cloudfront_origin_access_identity), and its cloudfront_distribution has no origin access control
    option (its code never names one). No upstream issue asks for it yet.
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description: The control's name (at most 64 characters), unique in the account.
    type: str
    required: true
  description:
    description: Its description (at most 256 characters).
    type: str
    default: ""
  origin_type:
    description: The kind of origin it signs for.
    type: str
    choices: [s3, mediastore, lambda, mediapackagev2]
    default: s3
  signing_behavior:
    description:
      - V(always) signs every origin request (the secure default), V(never) none, V(no-override) signs unless the
        viewer sent its own C(Authorization) header.
    type: str
    choices: [always, never, no-override]
    default: always
  state:
    description: V(present) makes or updates it, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The site's origin access control
  liftoff.aws.cloudfront_origin_access_control:
    name: demo-prod-site
    description: CloudFront reads the demo-prod-site bucket
  register: oac

- name: Gone again (after the distribution that used it)
  liftoff.aws.cloudfront_origin_access_control:
    name: demo-prod-site
    state: absent
"""

RETURN = r"""
origin_access_control:
  description: The control after the run (empty when absent; no C(id) yet in check mode for a new one).
  returned: always
  type: dict
  sample:
    id: E2QWRUHAPOMQZL
    name: demo-prod-site
    description: CloudFront reads the demo-prod-site bucket
    origin_type: s3
    signing_behavior: always
    signing_protocol: sigv4
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state


def _view(item):
    if not item:
        return {}
    return {"id": item.get("Id", KNOWN_AFTER_CREATION), "name": item["Name"], "description": item.get("Description", ""),
            "origin_type": item["OriginAccessControlOriginType"], "signing_behavior": item["SigningBehavior"],
            "signing_protocol": item["SigningProtocol"]}


@aws_error_handler("list the origin access controls")
def find(client, name):
    marker = ""
    while True:
        params = {"Marker": marker} if marker else {}
        page = client.list_origin_access_controls(aws_retry=True, **params)["OriginAccessControlList"]
        for item in page.get("Items") or []:
            if item["Name"] == name:
                return item
        marker = page.get("NextMarker") or ""
        if not page.get("IsTruncated") or not marker:
            return None


def desired_config(params):
    return {"Name": params["name"], "Description": params["description"], "SigningProtocol": "sigv4",
            "SigningBehavior": params["signing_behavior"], "OriginAccessControlOriginType": params["origin_type"]}


@aws_error_handler("create origin access control {config[Name]}")
def create(client, config):
    answer = client.create_origin_access_control(aws_retry=True, OriginAccessControlConfig=config)
    return dict(answer["OriginAccessControl"]["OriginAccessControlConfig"], Id=answer["OriginAccessControl"]["Id"])


@aws_error_handler("update origin access control {control_id}")
def update(client, control_id, config):
    etag = client.get_origin_access_control(aws_retry=True, Id=control_id)["ETag"]
    client.update_origin_access_control(aws_retry=True, Id=control_id, IfMatch=etag, OriginAccessControlConfig=config)


@delete_or_gone("delete origin access control {control_id} (a distribution that still uses it keeps it)",
                codes=("NoSuchOriginAccessControl",))
def delete(client, control_id):
    etag = client.get_origin_access_control(aws_retry=True, Id=control_id)["ETag"]
    client.delete_origin_access_control(aws_retry=True, Id=control_id, IfMatch=etag)


def ensure_present(module, client):
    config = desired_config(module.params)
    current = find(client, config["Name"])
    wanted = dict(config, Id=current["Id"]) if current else dict(config)
    changed = current is None or _view(current) != _view(wanted)
    if changed and not module.check_mode:
        if current is None:
            wanted = create(client, config)
        else:
            update(client, current["Id"], config)
    return result(module, changed, _view(current), _view(wanted), origin_access_control=_view(wanted))


def ensure_absent(module, client):
    current = find(client, module.params["name"])
    if current is not None and not module.check_mode:
        delete(client, current["Id"])
    return result(module, current is not None, _view(current), {}, origin_access_control={})


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        origin_type=dict(type="str", choices=["s3", "mediastore", "lambda", "mediapackagev2"], default="s3"),
        signing_behavior=dict(type="str", choices=["always", "never", "no-override"], default="always"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not 1 <= len(module.params["name"]) <= 64:
        module.fail_json(msg="name is %d characters: an origin access control's name has 1 to 64"
                         % len(module.params["name"]))
    if len(module.params["description"]) > 256:
        module.fail_json(msg="description is %d characters: at most 256" % len(module.params["description"]))
    run_state(module, ensure_present, ensure_absent, aws_client(module, "cloudfront"))


if __name__ == "__main__":
    main()
