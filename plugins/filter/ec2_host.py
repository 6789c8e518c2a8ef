# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ec2_host role must change, from one describe each of its instances, volumes and addresses.

The role describes its instances, data volumes and Elastic IPs once each (amazon.aws *_info modules,
filtered by the project's tags), then asks ``ec2_host_plan`` what is missing or different, and calls the
upstream write modules only for that. A host is found by its ``liftoff:host`` tag (its short name), so
a renamed Name tag or a foreign resource of the same name is never taken for ours.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

LIVE_STATES = ("pending", "running", "stopping", "stopped")
HOST_TAG = "liftoff:host"
PURPOSE_TAG = "liftoff:purpose"


def _tags(resource):
    tags = resource.get("tags") or {}
    if isinstance(tags, list):  # boto3 shape, not converted by the info module
        return {t["Key"]: t["Value"] for t in tags}
    return dict(tags)


def _missing_tags(resource, wanted):
    have = _tags(resource)
    return {k: v for k, v in wanted.items() if have.get(k) != v}


def _by_host(items, problems, kind, purpose=None):
    found = {}
    for item in items:
        tags = _tags(item)
        host = tags.get(HOST_TAG)
        if not host or (purpose and tags.get(PURPOSE_TAG) != purpose):
            continue
        if host in found:
            problems.append("two %ss are tagged %s=%s (%s and %s): remove one by hand, the role will not guess"
                            % (kind, HOST_TAG, host, found[host]["__id"], item["__id"]))
            continue
        found[host] = item
    return found


def _instance(item):
    item = dict(item)
    item["__id"] = item.get("instance_id", "")
    return item


def _volume(item):
    item = dict(item)
    item["__id"] = item.get("id") or item.get("volume_id", "")
    return item


def _address(item):
    item = dict(item)
    item["__id"] = item.get("allocation_id", "")
    return item


def _attachment(volume):
    for attachment in volume.get("attachment_set") or []:
        if attachment.get("status") in ("attaching", "attached"):
            return attachment
    return None


def ec2_host_plan(names, prefix, subnet_ids, described, instance_type="", tags=None, data_volume=True,
                  elastic_ip=True, device_name="/dev/sdf"):
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise AnsibleFilterError("ec2_host_plan expects a list of host names, got %r" % (names,))
    if names and not subnet_ids:
        raise AnsibleFilterError("ec2_host_plan needs at least one subnet ID to place %d host(s)" % len(names))
    described = described or {}
    base_tags = dict(tags or {})
    problems = []
    instances = _by_host([_instance(i) for i in described.get("instances") or []
                          if (i.get("state") or {}).get("name") in LIVE_STATES], problems, "instance")
    volumes = _by_host([_volume(v) for v in described.get("volumes") or []
                        if v.get("status") not in ("deleting", "deleted", "error")], problems, "volume", "data")
    addresses = _by_host([_address(a) for a in described.get("addresses") or []], problems, "Elastic IP")

    plan = {"hosts": [], "create_instances": [], "resize": [], "stopped": [], "create_volumes": [],
            "attach_volumes": [], "allocate_addresses": [], "associate_addresses": [], "retag": [],
            "unlisted": [], "problems": problems}
    for index, short in enumerate(names):
        name = "%s-%s" % (prefix, short)
        host_tags = dict(base_tags, Name=name, Role="app", **{HOST_TAG: short})
        instance = instances.get(short)
        volume = volumes.get(short)
        address = addresses.get(short)
        host = {"name": short, "full_name": name, "subnet_id": subnet_ids[index % len(subnet_ids)] if subnet_ids else "",
                "instance_id": "", "state": "", "instance_type": instance_type, "availability_zone": "",
                "private_ip": "", "public_ip": "", "data_volume_id": "", "allocation_id": ""}
        if instance is None:
            plan["create_instances"].append({"name": short, "full_name": name, "subnet_id": host["subnet_id"],
                                             "tags": host_tags})
        else:
            host.update(instance_id=instance["instance_id"], state=instance["state"]["name"],
                        subnet_id=instance.get("subnet_id", host["subnet_id"]),
                        instance_type=instance.get("instance_type", ""),
                        availability_zone=(instance.get("placement") or {}).get("availability_zone", ""),
                        private_ip=instance.get("private_ip_address") or "",
                        public_ip=instance.get("public_ip_address") or "")
            if instance_type and instance.get("instance_type") != instance_type:
                plan["resize"].append({"name": short, "instance_id": host["instance_id"],
                                       "from": instance.get("instance_type"), "to": instance_type})
            if host["state"] in ("stopping", "stopped"):
                plan["stopped"].append(short)
            missing = _missing_tags(instance, host_tags)
            if missing:
                plan["retag"].append({"resource_id": host["instance_id"], "tags": missing})

        if data_volume:
            volume_tags = dict(base_tags, Name=name + "-data", **{HOST_TAG: short, PURPOSE_TAG: "data"})
            if volume is None:
                if instance is not None:
                    plan["create_volumes"].append({"name": short, "instance_id": host["instance_id"],
                                                   "availability_zone": host["availability_zone"],
                                                   "tags": volume_tags})
            else:
                host["data_volume_id"] = volume["__id"]
                attachment = _attachment(volume)
                if instance is not None:
                    if attachment is None:
                        if volume.get("zone") not in (None, host["availability_zone"]):
                            problems.append("data volume %s of %s is in %s, its instance %s in %s: EBS volumes attach "
                                            "only within one zone" % (volume["__id"], short, volume.get("zone"),
                                                                      host["instance_id"], host["availability_zone"]))
                        else:
                            plan["attach_volumes"].append({"name": short, "volume_id": volume["__id"],
                                                           "instance_id": host["instance_id"],
                                                           "device_name": device_name})
                    elif attachment.get("instance_id") != host["instance_id"]:
                        problems.append("data volume %s of %s is attached to %s, not to its instance %s: detach it "
                                        "by hand" % (volume["__id"], short, attachment.get("instance_id"),
                                                     host["instance_id"]))
                missing = _missing_tags(volume, volume_tags)
                if missing:
                    plan["retag"].append({"resource_id": volume["__id"], "tags": missing})

        if elastic_ip:
            address_tags = dict(base_tags, Name=name, **{HOST_TAG: short})
            if address is None:
                plan["allocate_addresses"].append({"name": short, "tags": address_tags})
            else:
                host["allocation_id"] = address["allocation_id"]
                host["public_ip"] = address.get("public_ip", host["public_ip"])
                if instance is not None and address.get("instance_id") != host["instance_id"]:
                    if address.get("instance_id"):
                        problems.append("Elastic IP %s of %s is associated with %s, not with its instance %s: "
                                        "disassociate it by hand" % (address.get("public_ip"), short,
                                                                     address["instance_id"], host["instance_id"]))
                    else:
                        plan["associate_addresses"].append({"name": short, "allocation_id": address["allocation_id"],
                                                            "instance_id": host["instance_id"]})
                missing = _missing_tags(address, address_tags)
                if missing:
                    plan["retag"].append({"resource_id": address["allocation_id"], "tags": missing})
        plan["hosts"].append(host)

    for short in sorted(set(instances) | set(volumes) | set(addresses)):
        if short in names:
            continue
        plan["unlisted"].append({"name": short,
                                 "instance_id": instances.get(short, {}).get("instance_id", ""),
                                 "data_volume_id": volumes.get(short, {}).get("__id", ""),
                                 "allocation_id": addresses.get(short, {}).get("allocation_id", ""),
                                 "association_id": addresses.get(short, {}).get("association_id") or ""})
    plan["notes"] = ["%s is stopped: start it by hand, or find out what stopped it (an alarm may have)" % short
                     for short in plan["stopped"]]
    plan["notes"] += ["%s is tagged as this project's host but is not in the host list: it is left running; "
                      "terminate it (and its volume and address, tagged %s=%s) by hand, or list it again"
                      % (item["name"], HOST_TAG, item["name"]) for item in plan["unlisted"]]
    return plan


def ec2_host_key_state(described_keys, name, public_key):
    """Whether the key pair ``name`` must be imported: missing, or tagged with another key's hash."""
    import hashlib

    parts = str(public_key or "").split()
    if len(parts) < 2:
        raise AnsibleFilterError("ec2_host_key_state expects an OpenSSH public key ('<type> <base64> [comment]')")
    digest = hashlib.sha256(("%s %s" % (parts[0], parts[1])).encode()).hexdigest()
    for key in described_keys or []:
        if key.get("key_name") == name:
            current = _tags(key).get("liftoff:public-key-sha256")
            return {"action": "none" if current == digest else "replace", "digest": digest,
                    "key_pair_id": key.get("key_pair_id", "")}
    return {"action": "import", "digest": digest, "key_pair_id": ""}


class FilterModule:
    def filters(self):
        return {"ec2_host_plan": ec2_host_plan, "ec2_host_key_state": ec2_host_key_state}
