#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: guardduty_detector
short_description: The region's one GuardDuty detector - enabled, suspended or deleted, with its tags
version_added: 0.3.0
description:
  - Makes sure the region has a GuardDuty detector (there is at most one per account and region) with the given
    status, finding publishing frequency and tags, or deletes it.
  - Reads are C(ListDetectors) and C(GetDetector) (which also returns the tags). Writes are C(CreateDetector),
    C(UpdateDetector), C(TagResource), C(UntagResource) and C(DeleteDetector), each only when something differs; a
    run that changes nothing makes no write call.
  - A detector is this module's when it carries every tag of O(owner_tags). O(state=absent) deletes only such a
    detector; one that someone else enabled is left alone and reported with RV(owned=false). O(state=present) fails
    rather than take over a detector without those tags, unless O(adopt=true).
  - The detector's protection plans (features and data sources) are not managed - a new detector gets AWS's defaults
    for the region, an existing one keeps what it has.
  - Check mode and diff are supported; check mode calls no write API.
  - B(GuardDuty costs money.) AWS bills it by the volume of events it analyses (CloudTrail management events, and
    VPC flow logs and DNS query logs per GB, plus whatever protection plans are on), per account and region, after a
    30-day free trial (U(https://aws.amazon.com/guardduty/pricing/)). A suspended detector (O(enable=false)) is not
    charged, except for Malware Protection for S3 buckets
    (U(https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_suspend-disable.html)).
  - Deleting the detector (O(state=absent)) disables GuardDuty in the region and loses its findings and
    configuration for good; suspending keeps them.
  - Why a module of our own - neither amazon.aws (10) nor community.aws (10) has a GuardDuty module. The one upstream
    attempt found, an C(aws_guardduty_detector) module proposed to ansible/ansible in 2018
    (U(https://github.com/ansible/ansible/pull/40837)), was closed without being merged.
  - In the collection's tests, moto (5.2.5) backs create, list, get, update and delete of a detector. It has no
    C(TagResource) or C(UntagResource), and its C(DeleteDetector) succeeds for an unknown detector; tag changes and
    errors are covered by botocore Stubber unit tests.
author:
  - liftoff maintainers (@liftoff)
options:
  state:
    description: V(present) creates or updates the detector, V(absent) deletes it (only when it is this module's).
    type: str
    choices: [present, absent]
    default: present
  enable:
    description:
      - V(true) - the detector runs (status C(ENABLED)). V(false) - the detector is kept but suspended (status
        C(DISABLED)); it produces no findings and, with O(state=present), is created suspended when there is none.
    type: bool
    default: true
  finding_publishing_frequency:
    description: How often updated findings are exported to EventBridge (and S3, when configured).
    type: str
    choices: [FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS]
    default: SIX_HOURS
  tags:
    description:
      - The detector's tags. Must include O(owner_tags). Not given - the tags are left as they are (except that
        O(owner_tags) are added when missing).
    type: dict
  purge_tags:
    description: Remove the detector's tags that O(tags) does not list (C(aws:) tags are never removed).
    type: bool
    default: true
  owner_tags:
    description:
      - Tags that mark the detector as this module's (all must match). Empty - any detector counts as this module's.
    type: dict
    default: {}
  adopt:
    description:
      - With O(state=present), take over a detector that lacks O(owner_tags) (it is then given O(tags)). Without it
        such a detector makes the module fail. O(state=absent) never deletes a detector that lacks O(owner_tags).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: GuardDuty on in eu-west-1, findings exported every 15 minutes
  liftoff.aws.guardduty_detector:
    region: eu-west-1
    finding_publishing_frequency: FIFTEEN_MINUTES
    tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    owner_tags: {Project: demo, ManagedBy: liftoff}

- name: Suspend it (kept, no findings, no analysis billed)
  liftoff.aws.guardduty_detector:
    region: eu-west-1
    enable: false
    owner_tags: {Project: demo, ManagedBy: liftoff}

- name: Manage a detector someone enabled by hand
  liftoff.aws.guardduty_detector:
    region: eu-west-1
    tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    owner_tags: {Project: demo, ManagedBy: liftoff}
    adopt: true

- name: Delete it, only if it is ours
  liftoff.aws.guardduty_detector:
    region: eu-west-1
    owner_tags: {Project: demo, ManagedBy: liftoff}
    state: absent
  register: detector

- name: Say when it was left alone
  ansible.builtin.debug:
    msg: "{{ detector.msg }}"
  when: not detector.owned
"""

RETURN = r"""
detector_id:
  description:
    - The detector's ID; V((known after creation)) when check mode would create it; V(null) when there is none (or
      no longer one).
  returned: always
  type: str
  sample: 12abc34d567e8fa901bc2d34e56789f0
status:
  description: C(ENABLED) or C(DISABLED) (suspended); V(null) when there is no detector.
  returned: always
  type: str
  sample: ENABLED
finding_publishing_frequency:
  description: How often updated findings are exported; V(null) when there is no detector.
  returned: always
  type: str
  sample: SIX_HOURS
tags:
  description: The detector's tags ({} when there is none).
  returned: always
  type: dict
  sample: {Project: demo, Environment: prod, ManagedBy: liftoff}
owned:
  description:
    - Whether the detector carries every tag of O(owner_tags). V(false) after O(state=absent) means it was left alone.
      V(true) when there is no detector.
  returned: always
  type: bool
  sample: true
msg:
  description: Why the detector was left alone.
  returned: when O(state=absent) found a detector without O(owner_tags)
  type: str
  sample: "GuardDuty detector 12abc34d567e8fa901bc2d34e56789f0 in eu-west-1 lacks the tags {\"ManagedBy\": \"liftoff\"}: left alone."
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import ensure_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import tag_updates
from ansible_collections.liftoff.aws.plugins.module_utils.core import unless_check_mode
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags

RETRY_CODES = ["InternalServerErrorException"]
NONE = {"detector_id": None, "status": None, "finding_publishing_frequency": None, "tags": {}}


@aws_error_handler("list the GuardDuty detectors of region {region}")
def find_detector_id(module, client, region):
    ids = paginate_all(client, "list_detectors", "DetectorIds")
    if len(ids) > 1:
        module.fail_json(msg="Region %s has %d GuardDuty detectors (%s); AWS allows one: delete the extra ones first"
                         % (region, len(ids), ", ".join(ids)))
    return ids[0] if ids else None


@aws_error_handler("read GuardDuty detector {detector_id}")
def read_detector(client, detector_id):
    return client.get_detector(DetectorId=detector_id, aws_retry=True)


@aws_error_handler("create the GuardDuty detector")
def create_detector(module, client, enable, frequency, tags):
    request = dict(Enable=enable, FindingPublishingFrequency=frequency)
    if tags:
        request["Tags"] = tags
    created = unless_check_mode(module, client.create_detector, **request)
    return created["DetectorId"] if created else KNOWN_AFTER_CREATION


@aws_error_handler("update GuardDuty detector {detector_id}")
def update_detector(module, client, detector_id, enable, frequency):
    unless_check_mode(module, client.update_detector, DetectorId=detector_id, Enable=enable, FindingPublishingFrequency=frequency)


@aws_error_handler("tag GuardDuty detector {arn}")
def set_tags(client, arn, tags):
    client.tag_resource(ResourceArn=arn, Tags=tags, aws_retry=True)


@aws_error_handler("untag GuardDuty detector {arn}")
def unset_tags(client, arn, keys):
    client.untag_resource(ResourceArn=arn, TagKeys=keys, aws_retry=True)


@aws_error_handler("delete GuardDuty detector {detector_id}")
def delete_detector(module, client, detector_id):
    # Not delete_or_gone: GuardDuty says BadRequestException both for a detector that is gone and for one it will
    # not delete (an administrator's with members), and the ID was listed a moment ago.
    unless_check_mode(module, client.delete_detector, DetectorId=detector_id)


@aws_error_handler("find the account of GuardDuty detector {detector_id}")
def caller_account(module, detector_id):
    return aws_client(module, "sts").get_caller_identity(aws_retry=True)["Account"]


def detector_arn(module, client, region, detector_id, detector):
    """arn:<partition>:guardduty:<region>:<account>:detector/<id>; the account and partition come from the
    detector's service role ARN (GetDetector has no detector ARN), STS only when that is not an ARN."""
    parts = str(detector.get("ServiceRole") or "").split(":")
    if len(parts) > 4 and parts[0] == "arn" and parts[4].isdigit():
        partition, account = parts[1], parts[4]
    else:
        partition, account = client.meta.partition, caller_account(module, detector_id)
    return "arn:%s:guardduty:%s:%s:detector/%s" % (partition, region, account, detector_id)


def view(detector_id, detector):
    return {"detector_id": detector_id, "status": detector.get("Status"),
            "finding_publishing_frequency": detector.get("FindingPublishingFrequency"),
            "tags": dict(detector.get("Tags") or {})}


def ensure_present(module, client, region):
    params = module.params
    tags, purge = wanted_tags(module, "the detector")
    owner_tags = owner_tags_of(module)
    status = "ENABLED" if params["enable"] else "DISABLED"
    frequency = params["finding_publishing_frequency"]
    detector_id = find_detector_id(module, client, region)
    if detector_id is None:
        new_tags = tags or {}
        detector_id = create_detector(module, client, params["enable"], frequency, new_tags)
        after = {"detector_id": detector_id, "status": status, "finding_publishing_frequency": frequency, "tags": new_tags}
        return result(module, True, {}, after, owned=True, **after)
    detector = read_detector(client, detector_id)
    before = view(detector_id, detector)
    owned = is_owned(before["tags"], owner_tags)
    if not owned and not params["adopt"]:
        module.fail_json(msg="GuardDuty detector %s in %s exists without the tags %s: someone else enabled it, the module "
                             "will not take it over (adopt=true manages it)" % (detector_id, region, json.dumps(owner_tags)),
                         detector_id=detector_id, owned=False)
    changed = False
    if before["status"] != status or before["finding_publishing_frequency"] != frequency:
        update_detector(module, client, detector_id, params["enable"], frequency)
        changed = True
    to_set, to_unset = tag_updates(before["tags"], tags, purge)
    arn = detector_arn(module, client, region, detector_id, detector) if (to_set or to_unset) and not module.check_mode else None
    tags_changed, tags_after = ensure_tags(module, before["tags"], tags, purge, lambda new: set_tags(client, arn, new),
                                           lambda keys: unset_tags(client, arn, keys))
    after = {"detector_id": detector_id, "status": status, "finding_publishing_frequency": frequency, "tags": tags_after}
    return result(module, changed or tags_changed, before, after, owned=True, **after)


def ensure_absent(module, client, region):
    owner_tags = owner_tags_of(module)
    detector_id = find_detector_id(module, client, region)
    if detector_id is None:
        return result(module, False, {}, {}, owned=True, **NONE)
    before = view(detector_id, read_detector(client, detector_id))
    if not is_owned(before["tags"], owner_tags):
        message = "GuardDuty detector %s in %s lacks the tags %s: left alone." % (detector_id, region, json.dumps(owner_tags))
        return result(module, False, before, before, owned=False, msg=message, **before)
    delete_detector(module, client, detector_id)
    return result(module, True, before, {}, owned=True, **NONE)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            enable=dict(type="bool", default=True),
            finding_publishing_frequency=dict(type="str", choices=["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"],
                                              default="SIX_HOURS"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            owner_tags=dict(type="dict", default={}),
            adopt=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    client = aws_client(module, "guardduty", retry_codes=RETRY_CODES)
    run_state(module, ensure_present, ensure_absent, client, client.meta.region_name)


if __name__ == "__main__":
    main()
