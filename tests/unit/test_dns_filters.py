"""The dns role's filters: its input checks (through input_report, as its hook runs them) and the one list of record
sets it writes, with the app's record replacing what the droplet's zone said of that name."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.dns import dns_record_sets
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report
from tests.harness.paths import REPO_ROOT

SPEC = yaml.safe_load((REPO_ROOT / "roles/dns/meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
ZONE_FILE = (REPO_ROOT / "examples/sandbox/example.test.zone").read_text()
IMPORTED = [
    {"name": "example.test.", "type": "A", "ttl": 300, "values": ["192.0.2.10"]},
    {"name": "www.example.test.", "type": "CNAME", "ttl": 3600, "values": ["example.test."]},
    {"name": "mail.example.test.", "type": "A", "ttl": 3600, "values": ["192.0.2.20"]},
]
LB = {"target": "load_balancer", "dns_name": "web-1.eu-west-1.elb.amazonaws.com", "zone_id": "Z32O12XQLNTSW2"}


def errors(**values):
    return input_report(dict({"dns_zone": "example.test"}, **values), "dns", SPEC)["errors"]


def test_the_sandbox_inputs_pass():
    assert errors(dns_zone_file="example.test.zone", __dns_zone_file_text=ZONE_FILE, dns_app_name="app.example.test") == []


@pytest.mark.parametrize("values, message", [
    ({"dns_zone": "localhost"}, "dns_zone is 'localhost': a single label"),
    ({"dns_zone": "bad_-.example..com"}, "dns_zone is 'bad_-.example..com'"),
    ({"dns_app_name": "www.other.org"}, "dns_app_name is 'www.other.org': it is not inside the zone example.test."),
    ({"dns_records": [{"name": "x.other.org", "type": "A", "values": ["192.0.2.1"]}]}, "the name is not inside the zone"),
    ({"dns_records": [{"name": "x.example.test", "type": "A"}]}, "give either values (a list) or alias"),
    ({"dns_records": [{"name": "x.example.test", "type": "AA", "values": ["1"]}]}, "type must be one of"),
    ({"dns_records": [{"name": "x.example.test", "type": "A", "values": "192.0.2.1"}]}, "values must be a list"),
    ({"dns_records": [{"name": "x.example.test", "type": "A", "ttl": -1, "values": ["192.0.2.1"]}]}, "ttl -1 is not a TTL"),
    ({"dns_records": [{"name": "x.example.test", "type": "MX", "alias": {"dns_name": "a", "hosted_zone_id": "Z"}}]},
     "an alias record is A or AAAA"),
    ({"dns_max_ttl": -5}, "dns_max_ttl is -5"),
    ({"dns_wait_timeout": 0}, "dns_wait_timeout is 0"),
    ({"dns_app_addresses": ["not-an-ip"]}, "dns_app_addresses[0] is 'not-an-ip'"),
    ({"dns_zone_file": "/nowhere.zone", "__dns_zone_file_text": None}, "no such file on the controller"),
    ({"dns_zone_file": "z.zone", "__dns_zone_file_text": "$TTL 60\nwww IN CNAME @\nwww IN A 192.0.2.1\n"},
     "dns_zone_file z.zone: zone file for example.test.: line 2: www.example.test. CNAME beside A"),
])
def test_bad_inputs_are_refused_by_name(values, message):
    found = errors(**values)
    assert any(message in e for e in found), found


def test_the_app_alias_replaces_the_zone_files_record_and_a_cname_at_that_name():
    plan = dns_record_sets(IMPORTED, "example.test", [], dict(LB, name="www.example.test"))
    names = {(r["name"], r["type"]): r for r in plan["record_sets"]}
    assert ("www.example.test.", "CNAME") not in names
    assert names[("www.example.test.", "A")]["alias"] == {"dns_name": LB["dns_name"], "hosted_zone_id": LB["zone_id"],
                                                          "evaluate_target_health": True}
    assert plan["replaced"] == ["www.example.test. CNAME"]


def test_a_dual_stack_load_balancer_gets_a_and_aaaa_aliases():
    plan = dns_record_sets([], "example.test", [], dict(LB, name="@", dualstack=True))
    assert [(r["name"], r["type"]) for r in plan["record_sets"]] == [("example.test.", "A"), ("example.test.", "AAAA")]


def test_hosts_target_splits_addresses_by_family_and_drops_empty_ones():
    plan = dns_record_sets(IMPORTED, "example.test", [], {"name": "example.test", "target": "hosts", "ttl": 60,
                                                          "addresses": ["198.51.100.2", "", "2001:db8::2", "198.51.100.1"]})
    sets = {(r["name"], r["type"]): r for r in plan["record_sets"]}
    assert sets[("example.test.", "A")] == {"name": "example.test.", "type": "A", "ttl": 60,
                                            "values": ["198.51.100.1", "198.51.100.2"]}
    assert sets[("example.test.", "AAAA")]["values"] == ["2001:db8::2"]
    assert plan["replaced"] == ["example.test. A"]


def test_no_app_record_while_the_load_balancer_is_not_known_yet():
    plan = dns_record_sets(IMPORTED, "example.test", [], {"name": "app.example.test", "target": "load_balancer",
                                                          "dns_name": "", "zone_id": ""})
    assert [r["name"] for r in plan["record_sets"]] == sorted(r["name"] for r in IMPORTED)


def test_listed_records_replace_imported_ones_and_the_rest_is_kept():
    plan = dns_record_sets(IMPORTED, "example.test",
                           [{"name": "mail.example.test", "type": "A", "ttl": 60, "values": ["203.0.113.5"]}], {})
    sets = {(r["name"], r["type"]): r for r in plan["record_sets"]}
    assert sets[("mail.example.test.", "A")]["values"] == ["203.0.113.5"] and len(sets) == 3
    assert plan["replaced"] == ["mail.example.test. A"]


def test_a_name_outside_the_zone_is_refused():
    with pytest.raises(AnsibleFilterError, match="not inside the zone"):
        dns_record_sets([], "example.test", [{"name": "x.example.org", "type": "A", "values": ["192.0.2.1"]}], {})
