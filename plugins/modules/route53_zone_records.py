#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route53_zone_records
short_description: A public Route 53 hosted zone (created or adopted) and a list of its record sets, in one change batch
version_added: 0.6.0
description:
  - Finds the public hosted zone named O(zone) (or creates it, tagged with O(owner_tags), when O(create_zone=true)),
    then makes the record sets of O(records) match - missing ones created, differing ones replaced (C(UPSERT)),
    all in one C(ChangeResourceRecordSets) batch (split only past Route 53's batch limits), then waits until Route 53
    reports the change C(INSYNC). Record sets the list does not name are never touched.
  - A zone is this module's when it carries every tag of O(owner_tags) - it made it. A zone of that name that
    exists without them is adopted - its records are managed, its tags left alone, and it is never deleted.
  - "Reads on a run that changes nothing: one C(ListHostedZonesByName), one C(ListTagsForResource) and
    C(ListResourceRecordSets) (one call per 300 record sets). No write call."
  - Refused before any write, naming the record - a name outside the zone, a record set listed twice, the apex
    SOA or NS (Route 53's own), a CNAME where the zone holds other types at that name (or the reverse), a name
    whose record sets use a routing policy (C(SetIdentifier)) - those are left to the tool that made them.
  - O(state=absent) deletes the listed record sets whose values are still the ones listed (one that was changed
    since is left alone and reported), then deletes the zone if it is this module's and nothing else is left in it;
    with O(force=true) the other record sets of this module's zone are deleted first. An adopted zone is never
    deleted.
  - Check mode and diff are supported; check mode calls no write API.
  - Why a module of our own - M(amazon.aws.route53) changes one record set per task and call (batches are
    U(https://github.com/ansible-collections/amazon.aws/issues/1971), open), so importing a zone of fifty records
    is fifty tasks, and it cannot refuse a CNAME conflict before the first write; M(amazon.aws.route53_zone), by its
    code, makes at least five reads a run (C(ListHostedZones) over every zone of the account, C(GetHostedZone),
    C(GetDNSSEC) twice, C(ListTagsForResource)) and tags whatever zone it finds, so an adopted zone would look like
    one it made.
author:
  - liftoff maintainers (@liftoff)
options:
  zone:
    description: The zone's domain name, like C(example.com) (a final dot is optional).
    type: str
    required: true
  hosted_zone_id:
    description: The zone's ID, when the account holds more than one public zone of that name.
    type: str
  create_zone:
    description: Create the zone, tagged with O(owner_tags), when no public zone of that name exists.
    type: bool
    default: true
  comment:
    description: The comment of a zone this module creates (an existing zone's comment is left alone).
    type: str
    default: Managed by liftoff
  owner_tags:
    description: Tags that mark a zone as made by this module (all must match). At least one.
    type: dict
    required: true
  state:
    description: V(present) makes the listed record sets match; V(absent) deletes them (see the description).
    type: str
    choices: [present, absent]
    default: present
  records:
    description: The wanted record sets (simple routing). Either O(records[].values) or O(records[].alias).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The full name, like C(www.example.com) (a final dot is optional), or C(@) for the apex.
        type: str
        required: true
      type:
        description: The record type.
        type: str
        required: true
        choices: [A, AAAA, CAA, CNAME, DS, HTTPS, MX, NAPTR, NS, PTR, SPF, SRV, SSHFP, SVCB, TLSA, TXT]
      ttl:
        description: Seconds. Not with O(records[].alias).
        type: int
        default: 300
      values:
        description: The values in Route 53's text form (TXT strings quoted, like C('"v=spf1 -all"')).
        type: list
        elements: str
      alias:
        description: An alias to an AWS resource (A or AAAA) instead of values.
        type: dict
        suboptions:
          dns_name:
            description: The target's DNS name (a CloudFront distribution, a load balancer).
            type: str
            required: true
          hosted_zone_id:
            description:
              - The target's hosted zone ID - C(Z2FDTNDATAQYW2) for CloudFront, the load balancer's
                C(CanonicalHostedZoneId) for an ALB.
            type: str
            required: true
          evaluate_target_health:
            description: Whether Route 53 checks the target's health.
            type: bool
            default: false
  max_ttl:
    description:
      - Lower every listed record set's TTL to at most this many seconds (ahead of a cutover, so a DNS change
        reaches resolvers quickly). V(0) means no cap.
    type: int
    default: 0
  force:
    description: With O(state=absent), delete every record set of this module's zone, listed or not, then the zone.
    type: bool
    default: false
  wait:
    description: Wait until Route 53 reports each change C(INSYNC) on its name servers.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for C(INSYNC) before failing.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The site's zone, with the records imported from the droplet's zone file
  liftoff.aws.route53_zone_records:
    zone: example.com
    owner_tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    records: "{{ lookup('ansible.builtin.file', 'example.com.zone') | liftoff.aws.zonefile_records('example.com') }}"

- name: The site at the apex, an alias to CloudFront
  liftoff.aws.route53_zone_records:
    zone: example.com
    owner_tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    records:
      - name: example.com
        type: A
        alias: {dns_name: d111111abcdef8.cloudfront.net, hosted_zone_id: Z2FDTNDATAQYW2}

- name: Remove the records again, and the zone if this module made it and nothing else is in it
  liftoff.aws.route53_zone_records:
    zone: example.com
    owner_tags: {Project: demo, Environment: prod, ManagedBy: liftoff}
    records: "{{ zone_records }}"
    state: absent
"""

RETURN = r"""
zone_id:
  description: The hosted zone's ID (C((known after creation)) in check mode before it exists; empty when absent).
  returned: success
  type: str
  sample: Z0123456789ABCDEFGHIJ
zone_name:
  description: The zone's name, with a final dot.
  returned: success
  type: str
  sample: example.com.
zone_owned:
  description: Whether the zone carries O(owner_tags) (this module made it).
  returned: success
  type: bool
  sample: true
zone_created:
  description: Whether this run created the zone (or would, in check mode).
  returned: success
  type: bool
  sample: false
zone_deleted:
  description: Whether this run deleted the zone (or would, in check mode).
  returned: success
  type: bool
  sample: false
zone_kept:
  description: With O(state=absent), why the zone was not deleted (empty otherwise).
  returned: success
  type: str
  sample: "2 record sets this run did not list are still in it (force deletes them): a.example.com. A, b.example.com. TXT"
name_servers:
  description: The zone's name servers (its apex NS record) - the ones to give the registrar.
  returned: success
  type: list
  elements: str
  sample: [ns-1.awsdns-01.org., ns-2.awsdns-02.com.]
created:
  description: Record sets created (C(name type)).
  returned: success
  type: list
  elements: str
  sample: ["www.example.com. CNAME"]
updated:
  description: Record sets replaced, with what differed.
  returned: success
  type: dict
  sample: {"example.com. MX": ["ttl is 3600, not 300"]}
deleted:
  description: Record sets deleted.
  returned: success
  type: list
  elements: str
  sample: ["old.example.com. A"]
left_alone:
  description: With O(state=absent), listed record sets that were changed since and so were kept, with why.
  returned: success
  type: dict
  sample: {"www.example.com. A": "its values are 192.0.2.9, not the listed 192.0.2.1"}
unchanged:
  description: How many listed record sets already matched.
  returned: success
  type: int
  sample: 12
"""

import ipaddress
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import MAX_TTL
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import RECORD_TYPES
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import fqdn
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import name_in_zone

# Types whose values hold domain names (compared without regard to case).
NAME_VALUE_TYPES = ("CNAME", "NS", "PTR", "MX", "SRV")
# Route 53's limits per ChangeResourceRecordSets call: 1000 ResourceRecord elements, 32000 characters of values
# (an UPSERT counts twice). Batches stay well inside both.
BATCH_RECORDS = 400
BATCH_CHARACTERS = 15000


def _value(rtype, value):
    value = " ".join(str(value).split())
    if rtype in NAME_VALUE_TYPES:
        return value.lower()
    if rtype in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    return value


def _alias_view(alias):
    dns_name = fqdn(alias["dns_name"])
    if dns_name.startswith("dualstack."):
        dns_name = dns_name[len("dualstack."):]
    return {"dns_name": dns_name, "hosted_zone_id": alias["hosted_zone_id"],
            "evaluate_target_health": bool(alias.get("evaluate_target_health"))}


def wanted_view(record, max_ttl):
    """A listed record set as a comparable dict: ttl and sorted values, or the alias."""
    if record.get("alias"):
        return {"alias": _alias_view(record["alias"])}
    ttl = int(record["ttl"])
    if max_ttl:
        ttl = min(ttl, max_ttl)
    return {"ttl": ttl, "values": sorted(_value(record["type"], v) for v in record["values"])}


def current_view(record_set):
    """A record set from ListResourceRecordSets in the shape of wanted_view."""
    if record_set.get("AliasTarget"):
        target = record_set["AliasTarget"]
        return {"alias": _alias_view({"dns_name": target["DNSName"], "hosted_zone_id": target["HostedZoneId"],
                                      "evaluate_target_health": target.get("EvaluateTargetHealth")})}
    return {"ttl": record_set.get("TTL"),
            "values": sorted(_value(record_set["Type"], r["Value"]) for r in record_set.get("ResourceRecords") or [])}


def differences(current, wanted):
    reasons = []
    if "alias" in wanted or "alias" in current:
        if current.get("alias") != wanted.get("alias"):
            reasons.append("alias is %s, not %s" % (current.get("alias") or "none (values)", wanted.get("alias") or "none"))
        return reasons
    if current["ttl"] != wanted["ttl"]:
        reasons.append("ttl is %s, not %s" % (current["ttl"], wanted["ttl"]))
    if current["values"] != wanted["values"]:
        reasons.append("values are %s, not %s" % (", ".join(current["values"]), ", ".join(wanted["values"])))
    return reasons


def to_record_set(name, rtype, view):
    record_set = {"Name": name, "Type": rtype}
    if "alias" in view:
        alias = view["alias"]
        record_set["AliasTarget"] = {"HostedZoneId": alias["hosted_zone_id"], "DNSName": alias["dns_name"],
                                     "EvaluateTargetHealth": alias["evaluate_target_health"]}
    else:
        record_set["TTL"] = view["ttl"]
        record_set["ResourceRecords"] = [{"Value": v} for v in view["values"]]
    return record_set


def _label(name, rtype):
    return "%s %s" % (name, rtype)


def check_params(module):
    params = module.params
    zone = fqdn(params["zone"])
    problems, wanted = [], {}
    if not owner_tags_of(module):
        problems.append("owner_tags must hold at least one tag: it is how the module knows a zone it made")
    if params["max_ttl"] < 0 or params["max_ttl"] > MAX_TTL:
        problems.append("max_ttl must be 0 (no cap) to %d seconds" % MAX_TTL)
    for record in params["records"]:
        name = name_in_zone(record["name"], zone)
        rtype = record["type"]
        if name is None:
            problems.append("record %s %s is not inside the zone %s" % (record["name"], rtype, zone))
            continue
        label = _label(name, rtype)
        if label in wanted:
            problems.append("record %s is listed twice" % label)
        if name == zone and rtype == "NS":
            problems.append("record %s: Route 53 writes the apex NS of its zone itself" % label)
        if bool(record.get("alias")) == bool(record.get("values")):
            problems.append("record %s needs either values or alias, not both or neither" % label)
            continue
        if record.get("alias") and rtype not in ("A", "AAAA"):
            problems.append("record %s: an alias record here is A or AAAA" % label)
        if not record.get("alias") and not 0 <= record["ttl"] <= MAX_TTL:
            problems.append("record %s: ttl %s is not 0 to %d seconds" % (label, record["ttl"], MAX_TTL))
        if rtype == "CNAME" and len(record.get("values") or []) > 1:
            problems.append("record %s: a CNAME has one value" % label)
        if rtype == "CNAME" and name == zone:
            problems.append("record %s: Route 53 refuses a CNAME at the zone apex (use an alias record)" % label)
        wanted[label] = (name, rtype, wanted_view(record, params["max_ttl"]))
    by_name = {}
    for name, rtype, view in wanted.values():
        by_name.setdefault(name, []).append(rtype)
    for name, types in by_name.items():
        if "CNAME" in types and len(types) > 1:
            problems.append("record %s CNAME is listed beside %s at the same name" % (name, ", ".join(sorted(types))))
    if problems:
        module.fail_json(msg="; ".join(problems))
    return zone, wanted


@aws_error_handler("find the public hosted zone {zone}")
def find_zone(module, client, zone):
    listed = client.list_hosted_zones_by_name(DNSName=zone, MaxItems="100", aws_retry=True)
    zones = [z for z in listed.get("HostedZones", [])
             if fqdn(z["Name"]) == zone and not (z.get("Config") or {}).get("PrivateZone")]
    wanted_id = module.params["hosted_zone_id"]
    if wanted_id:
        zones = [z for z in zones if z["Id"].split("/")[-1] == wanted_id.split("/")[-1]]
    if len(zones) > 1:
        module.fail_json(msg="the account holds %d public zones named %s (%s): set hosted_zone_id"
                         % (len(zones), zone, ", ".join(z["Id"].split("/")[-1] for z in zones)))
    return zones[0]["Id"].split("/")[-1] if zones else None


@aws_error_handler("read the tags of hosted zone {zone_id}")
def zone_tags(client, zone_id):
    tag_set = client.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id, aws_retry=True)
    return boto3_tag_list_to_ansible_dict(tag_set.get("ResourceTagSet", {}).get("Tags") or [])


@aws_error_handler("list the record sets of hosted zone {zone_id}")
def zone_record_sets(client, zone_id):
    return paginate_all(client, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone_id)


@aws_error_handler("create hosted zone {zone}")
def create_zone(module, client, zone):
    created = client.create_hosted_zone(
        Name=zone, CallerReference="liftoff-%s-%d" % (zone, int(time.time() * 1000)),
        HostedZoneConfig={"Comment": module.params["comment"], "PrivateZone": False}, aws_retry=True)
    zone_id = created["HostedZone"]["Id"].split("/")[-1]
    tags = [{"Key": k, "Value": v} for k, v in sorted(owner_tags_of(module).items())]
    client.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id, AddTags=tags, aws_retry=True)
    return zone_id, created.get("DelegationSet", {}).get("NameServers", [])


@aws_error_handler("delete hosted zone {zone_id}")
def delete_zone(client, zone_id):
    return client.delete_hosted_zone(Id=zone_id, aws_retry=True)["ChangeInfo"]["Id"]


def _batches(changes):
    batch, characters, weight = [], 0, 0
    for change in changes:
        record_set = change["ResourceRecordSet"]
        records = len(record_set.get("ResourceRecords") or [None]) * (2 if change["Action"] == "UPSERT" else 1)
        size = sum(len(r["Value"]) for r in record_set.get("ResourceRecords") or [])
        if batch and (weight + records > BATCH_RECORDS or characters + size > BATCH_CHARACTERS):
            yield batch
            batch, characters, weight = [], 0, 0
        batch.append(change)
        characters += size
        weight += records
    if batch:
        yield batch


@aws_error_handler("change the record sets of hosted zone {zone_id}")
def submit(client, zone_id, changes):
    ids = []
    for batch in _batches(changes):
        reply = client.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Comment": "liftoff.aws.route53_zone_records", "Changes": batch},
            aws_retry=True)
        ids.append(reply["ChangeInfo"]["Id"])
    return ids


@aws_error_handler("wait for Route 53 change {change_ids}")
def wait_insync(module, client, change_ids):
    if not module.params["wait"]:
        return
    deadline = time.time() + module.params["wait_timeout"]
    for change_id in change_ids:
        while client.get_change(Id=change_id, aws_retry=True)["ChangeInfo"]["Status"] != "INSYNC":
            if time.time() > deadline:
                module.fail_json(msg="Route 53 change %s was not INSYNC after %s seconds (wait_timeout); the change "
                                     "was accepted and will still apply" % (change_id, module.params["wait_timeout"]))
            time.sleep(5)


def _by_key(record_sets):
    """{(name, type): record set} for simple-routing sets, and the names that carry a routing policy."""
    simple, routed = {}, set()
    for record_set in record_sets:
        key = (fqdn(record_set["Name"]), record_set["Type"])
        if record_set.get("SetIdentifier"):
            routed.add(key)
        else:
            simple[key] = record_set
    return simple, routed


def _name_servers(simple, zone):
    apex = simple.get((zone, "NS"))
    return sorted(r["Value"] for r in (apex or {}).get("ResourceRecords") or [])


def conflicts(wanted, simple, routed):
    problems = []
    types_at = {}
    for name, rtype in list(simple) + list(routed):
        types_at.setdefault(name, set()).add(rtype)
    wanted_types = {}
    for name, rtype, view in wanted.values():
        wanted_types.setdefault(name, set()).add(rtype)
    for name, rtype, view in wanted.values():
        label = _label(name, rtype)
        if (name, rtype) in routed:
            problems.append("%s has record sets with a routing policy (SetIdentifier): not managed here" % label)
        present = types_at.get(name, set())
        if rtype == "CNAME" and present - {"CNAME"}:
            problems.append("%s: the zone holds %s at that name, which a CNAME cannot sit beside"
                            % (label, ", ".join(sorted(present - {"CNAME"}))))
        if rtype != "CNAME" and "CNAME" in present:
            problems.append("%s: the zone holds a CNAME at that name, which nothing can sit beside" % label)
    return problems


def ensure_present(module, client):
    zone, wanted = check_params(module)
    zone_id = find_zone(module, client, zone)
    created_zone, owned, simple, routed, name_servers = False, False, {}, set(), []
    if zone_id is None:
        if not module.params["create_zone"]:
            module.fail_json(msg="there is no public hosted zone %s, and create_zone is false" % zone)
        created_zone, owned = True, True
        if module.check_mode:
            zone_id = KNOWN_AFTER_CREATION
        else:
            zone_id, name_servers = create_zone(module, client, zone)
    else:
        owned = is_owned(zone_tags(client, zone_id), owner_tags_of(module))
        simple, routed = _by_key(zone_record_sets(client, zone_id))
        name_servers = _name_servers(simple, zone)
        problems = conflicts(wanted, simple, routed)
        if problems:
            module.fail_json(msg="; ".join(problems), zone_id=zone_id)
    created, updated, changes, before, after = [], {}, [], {}, {}
    for label, (name, rtype, view) in sorted(wanted.items()):
        current = simple.get((name, rtype))
        if current is None:
            created.append(label)
        else:
            reasons = differences(current_view(current), view)
            if not reasons:
                continue
            updated[label] = reasons
            before[label] = current_view(current)
        after[label] = view
        changes.append({"Action": "UPSERT", "ResourceRecordSet": to_record_set(name, rtype, view)})
    if changes and not module.check_mode:
        wait_insync(module, client, submit(client, zone_id, changes))
    changed = created_zone or bool(changes)
    return result(module, changed, before={"zone": zone if not created_zone else None, "records": before},
                  after={"zone": zone, "records": after},
                  zone_id=zone_id, zone_name=zone, zone_owned=owned, zone_created=created_zone, zone_deleted=False,
                  zone_kept="", name_servers=name_servers, created=created, updated=updated, deleted=[], left_alone={},
                  unchanged=len(wanted) - len(changes))


def ensure_absent(module, client):
    zone, wanted = check_params(module)
    zone_id = find_zone(module, client, zone)
    outcome = dict(zone_id="", zone_name=zone, zone_owned=False, zone_created=False, zone_deleted=False, zone_kept="",
                   name_servers=[], created=[], updated={}, deleted=[], left_alone={}, unchanged=0)
    if zone_id is None:
        return result(module, False, before={}, after={}, **outcome)
    owned = is_owned(zone_tags(client, zone_id), owner_tags_of(module))
    record_sets = zone_record_sets(client, zone_id)
    simple, routed = _by_key(record_sets)
    outcome.update(zone_id=zone_id, zone_owned=owned, name_servers=_name_servers(simple, zone))
    force = owned and module.params["force"]
    doomed, before = [], {}
    for label, (name, rtype, view) in sorted(wanted.items()):
        current = simple.get((name, rtype))
        if current is None:
            continue
        seen = current_view(current)
        # the TTL may have been lowered for a cutover since: the values decide whether the set is still ours
        changed_since = differences(dict(seen, ttl=view["ttl"]) if "ttl" in seen and "ttl" in view else seen, view)
        if changed_since and not force:
            outcome["left_alone"][label] = "it changed since: " + "; ".join(changed_since)
            continue
        doomed.append(current)
        before[label] = seen
    apex = ((zone, "SOA"), (zone, "NS"))
    chosen = {id(r) for r in doomed}
    rest = [r for r in record_sets if (fqdn(r["Name"]), r["Type"]) not in apex and id(r) not in chosen]
    if force:
        for record_set in rest:
            doomed.append(record_set)
            before[_label(fqdn(record_set["Name"]), record_set["Type"])] = current_view(record_set)
        rest = []
    outcome["deleted"] = sorted(before)
    if not owned:
        outcome["zone_kept"] = "the zone was not made by this module (it lacks owner_tags): it is never deleted"
    elif rest:
        outcome["zone_kept"] = ("%d record sets this run did not list are still in it (force deletes them): %s"
                                % (len(rest), ", ".join(sorted(_label(fqdn(r["Name"]), r["Type"]) for r in rest)[:10])))
    if doomed and not module.check_mode:
        wait_insync(module, client, submit(client, zone_id, [{"Action": "DELETE", "ResourceRecordSet": r}
                                                             for r in doomed]))
    if owned and not rest:
        outcome["zone_deleted"] = True
        if not module.check_mode:
            wait_insync(module, client, [delete_zone(client, zone_id)])
    changed = bool(doomed) or outcome["zone_deleted"]
    return result(module, changed, before={"zone": zone, "records": before},
                  after={"zone": None if outcome["zone_deleted"] else zone, "records": {}}, **outcome)


def main():
    alias = dict(dns_name=dict(type="str", required=True), hosted_zone_id=dict(type="str", required=True),
                 evaluate_target_health=dict(type="bool", default=False))
    record = dict(
        name=dict(type="str", required=True),
        type=dict(type="str", required=True, choices=list(RECORD_TYPES)),
        ttl=dict(type="int", default=300),
        values=dict(type="list", elements="str"),
        alias=dict(type="dict", options=alias),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            zone=dict(type="str", required=True),
            hosted_zone_id=dict(type="str"),
            create_zone=dict(type="bool", default=True),
            comment=dict(type="str", default="Managed by liftoff"),
            owner_tags=dict(type="dict", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            records=dict(type="list", elements="dict", default=[], options=record),
            max_ttl=dict(type="int", default=0),
            force=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    client = aws_client(module, "route53")
    run_state(module, ensure_present, ensure_absent, client)


if __name__ == "__main__":
    main()
