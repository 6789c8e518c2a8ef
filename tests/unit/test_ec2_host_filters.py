"""The ec2_host role's plan (what to launch, attach, allocate) and its input checks."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.ec2_host import ec2_host_key_state, ec2_host_plan
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report

TAGS = {"Project": "shop", "Environment": "prod", "ManagedBy": "liftoff"}
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3eGJ5xq8OObRGf57jVQwTgUBVAtgmPUjkQXMyrzdAT admin"


def instance(short, iid, zone="eu-west-1a", itype="t3.small", state="running", **tags):
    return {"instance_id": iid, "state": {"name": state}, "instance_type": itype, "subnet_id": "subnet-1",
            "placement": {"availability_zone": zone}, "private_ip_address": "10.0.0.5",
            "tags": dict(TAGS, Name="shop-prod-" + short, Role="app", **{"liftoff:host": short}, **tags)}


def volume(short, vid, zone="eu-west-1a", attached_to=None):
    return {"id": vid, "zone": zone, "status": "in-use" if attached_to else "available",
            "attachment_set": [{"instance_id": attached_to, "status": "attached", "device": "/dev/sdf"}] if attached_to else [],
            "tags": dict(TAGS, Name="shop-prod-%s-data" % short, **{"liftoff:host": short, "liftoff:purpose": "data"})}


def address(short, aid, ip, instance_id=None):
    return {"allocation_id": aid, "public_ip": ip, "instance_id": instance_id,
            "tags": dict(TAGS, Name="shop-prod-" + short, **{"liftoff:host": short})}


def plan(names, described, **kw):
    kw.setdefault("instance_type", "t3.small")
    return ec2_host_plan(names, "shop-prod", ["subnet-1", "subnet-2"], described, tags=TAGS, **kw)


def test_an_empty_account_launches_every_host_over_the_subnets_in_turn():
    result = plan(["web-1", "web-2", "web-3"], {})
    assert [(c["name"], c["subnet_id"]) for c in result["create_instances"]] == [
        ("web-1", "subnet-1"), ("web-2", "subnet-2"), ("web-3", "subnet-1")]
    assert result["create_instances"][0]["tags"] == dict(TAGS, Name="shop-prod-web-1", Role="app",
                                                         **{"liftoff:host": "web-1"})
    # volumes wait for the instance's zone; addresses can be allocated at once
    assert result["create_volumes"] == []
    assert [a["name"] for a in result["allocate_addresses"]] == ["web-1", "web-2", "web-3"]


def test_hosts_as_they_should_be_need_nothing():
    described = {"instances": [instance("web-1", "i-1")], "volumes": [volume("web-1", "vol-1", attached_to="i-1")],
                 "addresses": [address("web-1", "eipalloc-1", "198.51.100.1", "i-1")]}
    result = plan(["web-1"], described)
    for key in ("create_instances", "resize", "create_volumes", "attach_volumes", "allocate_addresses",
                "associate_addresses", "retag", "unlisted", "problems", "notes"):
        assert result[key] == [], key
    [host] = result["hosts"]
    assert (host["instance_id"], host["data_volume_id"], host["allocation_id"], host["public_ip"]) == (
        "i-1", "vol-1", "eipalloc-1", "198.51.100.1")


def test_a_new_instance_gets_its_volume_in_its_own_zone_and_a_detached_one_is_attached_again():
    described = {"instances": [instance("web-1", "i-1", zone="eu-west-1b"), instance("web-2", "i-2")],
                 "volumes": [volume("web-2", "vol-2")], "addresses": []}
    result = plan(["web-1", "web-2"], described)
    assert [(v["name"], v["availability_zone"], v["instance_id"]) for v in result["create_volumes"]] == [
        ("web-1", "eu-west-1b", "i-1")]
    assert result["attach_volumes"] == [{"name": "web-2", "volume_id": "vol-2", "instance_id": "i-2",
                                         "device_name": "/dev/sdf"}]


def test_an_unassociated_address_is_reused_never_allocated_again():
    described = {"instances": [instance("web-1", "i-1")], "addresses": [address("web-1", "eipalloc-1", "198.51.100.1")]}
    result = plan(["web-1"], described, data_volume=False)
    assert result["allocate_addresses"] == []
    assert result["associate_addresses"] == [{"name": "web-1", "allocation_id": "eipalloc-1", "instance_id": "i-1"}]


def test_a_type_change_resizes_and_a_stopped_host_is_left_and_said():
    described = {"instances": [instance("web-1", "i-1"), instance("web-2", "i-2", state="stopped")]}
    result = plan(["web-1", "web-2"], described, instance_type="t3.medium", data_volume=False, elastic_ip=False)
    assert [(r["name"], r["from"], r["to"]) for r in result["resize"]] == [
        ("web-1", "t3.small", "t3.medium"), ("web-2", "t3.small", "t3.medium")]
    assert result["stopped"] == ["web-2"]
    assert "web-2 is stopped" in result["notes"][0]


def test_resources_without_our_host_tag_are_not_ours():
    stranger = instance("web-1", "i-9")
    del stranger["tags"]["liftoff:host"]
    result = plan(["web-1"], {"instances": [stranger], "volumes": [], "addresses": []}, data_volume=False)
    assert [c["name"] for c in result["create_instances"]] == ["web-1"]


def test_a_terminated_instance_does_not_count():
    result = plan(["web-1"], {"instances": [instance("web-1", "i-1", state="terminated")]}, data_volume=False)
    assert [c["name"] for c in result["create_instances"]] == ["web-1"]


def test_what_the_role_will_not_guess_is_a_problem_not_a_change():
    described = {"instances": [instance("web-1", "i-1"), instance("web-1", "i-7"), instance("web-2", "i-2")],
                 "volumes": [volume("web-2", "vol-2", zone="eu-west-1c"), volume("web-1", "vol-1", attached_to="i-8")],
                 "addresses": [address("web-2", "eipalloc-2", "198.51.100.2", "i-5")]}
    result = plan(["web-1", "web-2"], described)
    problems = " | ".join(result["problems"])
    assert "two instances are tagged liftoff:host=web-1 (i-1 and i-7)" in problems
    assert "vol-2 of web-2 is in eu-west-1c" in problems
    assert "vol-1 of web-1 is attached to i-8" in problems
    assert "Elastic IP 198.51.100.2 of web-2 is associated with i-5" in problems
    assert result["attach_volumes"] == [] and result["associate_addresses"] == []


def test_missing_tags_are_put_back_without_touching_others():
    host = instance("web-1", "i-1")
    host["tags"].pop("Role")
    host["tags"]["aws:autoscaling:groupName"] = "x"
    result = plan(["web-1"], {"instances": [host]}, data_volume=False, elastic_ip=False)
    assert result["retag"] == [{"resource_id": "i-1", "tags": {"Role": "app"}}]


def test_a_host_dropped_from_the_list_is_reported_not_terminated():
    described = {"instances": [instance("web-1", "i-1"), instance("old", "i-3")],
                 "volumes": [volume("old", "vol-3", attached_to="i-3")], "addresses": []}
    result = plan(["web-1"], described, elastic_ip=False)
    assert result["unlisted"] == [{"name": "old", "instance_id": "i-3", "data_volume_id": "vol-3",
                                   "allocation_id": "", "association_id": ""}]
    assert "old is tagged as this project's host but is not in the host list" in result["notes"][0]


def test_the_plan_refuses_hosts_without_a_subnet():
    with pytest.raises(AnsibleFilterError, match="subnet"):
        ec2_host_plan(["web-1"], "shop-prod", [], {})


def test_the_key_pair_is_imported_once_and_again_only_for_another_key():
    first = ec2_host_key_state([], "shop-prod-admin", KEY)
    assert first["action"] == "import"
    stored = [{"key_name": "shop-prod-admin", "tags": {"liftoff:public-key-sha256": first["digest"]}}]
    # the comment is not part of the key
    assert ec2_host_key_state(stored, "shop-prod-admin", KEY.replace(" admin", " someone"))["action"] == "none"
    other = KEY.replace("AAAAIH3e", "AAAAIH4e")
    assert ec2_host_key_state(stored, "shop-prod-admin", other)["action"] == "replace"
    untagged = [{"key_name": "shop-prod-admin", "tags": {}}]
    assert ec2_host_key_state(untagged, "shop-prod-admin", KEY)["action"] == "replace"


GOOD = {"ec2_host_region": "eu-west-1", "ec2_host_tags": TAGS, "ec2_host_names": ["web-1", "web-2"],
        "ec2_host_instance_type": "t3.small", "ec2_host_public_key": KEY}


def errors(**changes):
    return input_report(dict(GOOD, **changes), "ec2_host")["errors"]


def test_good_inputs_pass():
    assert errors() == []
    assert errors(ec2_host_instance_type="m7g.large", ec2_host_image_id="ami-0123456789abcdef0",
                  ec2_host_data_volume_size=0, ec2_host_subnet_ids=["subnet-0123456789abcdef0"]) == []
    assert errors(ec2_host_state="absent", ec2_host_public_key="") == []


@pytest.mark.parametrize("changes, expected", [
    ({"ec2_host_instance_type": "t3small"}, "family.size"),
    ({"ec2_host_instance_type": "T3.Small"}, "family.size"),
    ({"ec2_host_names": ["web-1", "web-1"]}, "web-1 more than once"),
    ({"ec2_host_names": ["Web_1"]}, "'Web_1'"),
    ({"ec2_host_data_volume_size": -1}, "a data volume holds at least 1 GiB"),
    ({"ec2_host_data_device_name": "/dev/xvda"}, "EBS data volumes take /dev/sdf"),
    ({"ec2_host_root_device_name": "/dev/sdf", "ec2_host_data_device_name": "/dev/xvdf"}, "is the root volume's device"),
    ({"ec2_host_snapshot_time": "25:00"}, "HH:MM"),
    ({"ec2_host_snapshot_retain": 0}, "ec2_host_snapshot_retain is 0"),
    ({"ec2_host_image_id": "ami-xyz"}, "an AMI ID is ami-"),
    ({"ec2_host_subnet_ids": ["sub-1"]}, "ec2_host_subnet_ids holds 'sub-1'"),
    ({"ec2_host_public_key": ""}, "ec2_host_public_key is empty"),
    ({"ec2_host_public_key": "AAAAC3NzaC1lZDI1NTE5AAAAIH3e admin"}, "not a private key"),
    ({"ec2_host_public_key": "ecdsa-sha2-nistp256 AAAA x"}, "ssh-ed25519 and ssh-rsa"),
    ({"ec2_host_tags": {"Project": "shop"}}, "Project, Environment and ManagedBy"),
    ({"ec2_host_dlm_role_arn": "dlm-role"}, "ec2_host_dlm_role_arn"),
])
def test_bad_inputs_are_refused_by_name(changes, expected):
    assert any(expected in e for e in errors(**changes)), errors(**changes)
