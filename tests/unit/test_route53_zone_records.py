"""liftoff.aws.route53_zone_records, in-process against moto: a zone created or adopted, its records in one batch,
three reads and no write on a re-run, conflicts refused before any write, and an absent that removes only what
is still ours."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.filter.zonefile import zonefile_records
from ansible_collections.liftoff.aws.plugins.modules import route53_zone_records
from tests.unit.module_runner import run_module, writes

OWNER = {"Project": "demo", "Environment": "prod", "ManagedBy": "liftoff"}
ZONE = "example.com"
ZONE_FILE = """$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.old-dns.net. hostmaster.example.com. 1 7200 3600 1209600 300
@ IN NS ns1.old-dns.net.
@ IN A 192.0.2.10
www IN CNAME @
@ IN MX 10 mail
@ IN MX 20 mx.backup-mail.net.
mail IN A 192.0.2.20
@ IN TXT "v=spf1 mx -all"
@ IN CAA 0 issue "letsencrypt.org"
*.apps IN A 192.0.2.30
"""
RECORDS = zonefile_records(ZONE_FILE, ZONE)


def args(records=None, **overrides):
    return dict({"zone": ZONE, "owner_tags": OWNER, "records": RECORDS if records is None else records,
                 "region": "us-east-1", "wait": True}, **overrides)


@pytest.fixture
def r53(moto_aws):
    return boto3.client("route53", region_name="us-east-1")


def zone_id(r53, name=ZONE + "."):
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name]
    return zones[0]["Id"].split("/")[-1] if zones else None


def record_sets(r53, zid):
    return {(r["Name"].replace("\\052", "*"), r["Type"]): r for r in
            r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]}


def hand_made_zone(r53, name=ZONE):
    return r53.create_hosted_zone(Name=name, CallerReference="by-hand")["HostedZone"]["Id"].split("/")[-1]


def test_check_then_create_then_a_rerun_reads_three_times_and_writes_nothing(r53):
    outcome, calls = run_module(route53_zone_records, args(), check=True, diff=True)
    assert outcome["changed"] and outcome["zone_created"] and writes(calls) == []
    assert len(outcome["created"]) == len(RECORDS) and zone_id(r53) is None
    assert outcome["diff"]["before"] == {"zone": None, "records": {}}

    outcome, calls = run_module(route53_zone_records, args())
    assert outcome["changed"] and outcome["zone_created"] and outcome["zone_owned"]
    # the zone, its tags and every record in one batch
    assert writes(calls) == ["CreateHostedZone", "ChangeTagsForResource", "ChangeResourceRecordSets"]
    zid = zone_id(r53)
    assert outcome["zone_id"] == zid and outcome["name_servers"]
    tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"]["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == OWNER
    sets = record_sets(r53, zid)
    assert sorted(r["Value"] for r in sets[("example.com.", "MX")]["ResourceRecords"]) == [
        "10 mail.example.com.", "20 mx.backup-mail.net."]
    assert sets[("www.example.com.", "CNAME")]["ResourceRecords"] == [{"Value": "example.com."}]
    assert ("*.apps.example.com.", "A") in sets
    # the old provider's apex NS was not imported: the zone's NS are Route 53's own
    assert sets[("example.com.", "NS")]["ResourceRecords"] != [{"Value": "ns1.old-dns.net."}]

    outcome, calls = run_module(route53_zone_records, args())
    assert not outcome["changed"], outcome
    assert calls == ["ListHostedZonesByName", "ListTagsForResource", "ListResourceRecordSets"]
    assert outcome["unchanged"] == len(RECORDS)


def test_a_changed_value_and_a_lowered_ttl_are_one_upsert_and_the_diff_says_so(r53):
    run_module(route53_zone_records, args())
    changed = [dict(r, values=["192.0.2.99"]) if r["name"] == "mail.example.com." else r for r in RECORDS]
    outcome, calls = run_module(route53_zone_records, args(changed, max_ttl=60), diff=True)
    assert writes(calls) == ["ChangeResourceRecordSets"]
    assert outcome["updated"]["mail.example.com. A"] == ["ttl is 3600, not 60", "values are 192.0.2.20, not 192.0.2.99"]
    assert outcome["diff"]["after"]["records"]["mail.example.com. A"] == {"ttl": 60, "values": ["192.0.2.99"]}
    assert all(r["TTL"] == 60 for r in record_sets(r53, zone_id(r53)).values()
               if r["Type"] not in ("SOA", "NS"))
    outcome, calls = run_module(route53_zone_records, args(changed, max_ttl=60))
    assert not outcome["changed"] and writes(calls) == []


def test_an_alias_to_cloudfront_is_written_and_compared_without_case_or_final_dot(r53):
    alias = [{"name": "example.com", "type": "AAAA",
              "alias": {"dns_name": "D111111ABCDEF8.cloudfront.net", "hosted_zone_id": "Z2FDTNDATAQYW2"}}]
    outcome, calls = run_module(route53_zone_records, args(alias))
    assert outcome["changed"]
    written = record_sets(r53, zone_id(r53))[("example.com.", "AAAA")]["AliasTarget"]
    assert written["HostedZoneId"] == "Z2FDTNDATAQYW2" and written["DNSName"].rstrip(".") == "d111111abcdef8.cloudfront.net"
    outcome, calls = run_module(route53_zone_records, args(alias))
    assert not outcome["changed"] and writes(calls) == []


def test_an_existing_zone_is_adopted_untagged_and_its_other_records_are_kept(r53):
    zid = hand_made_zone(r53)
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "legacy.example.com.", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "198.51.100.7"}]}}]})
    outcome, calls = run_module(route53_zone_records, args())
    assert outcome["changed"] and not outcome["zone_created"] and not outcome["zone_owned"]
    assert "CreateHostedZone" not in writes(calls) and "ChangeTagsForResource" not in writes(calls)
    assert r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"]["Tags"] == []
    assert ("legacy.example.com.", "A") in record_sets(r53, zid)

    # absent: our records go, the hand-made one and the zone stay, even with force (the zone is not ours)
    outcome, calls = run_module(route53_zone_records, args(state="absent", force=True))
    assert outcome["changed"] and not outcome["zone_deleted"] and "not made by this module" in outcome["zone_kept"]
    assert sorted(record_sets(r53, zid)) == [("example.com.", "NS"), ("example.com.", "SOA"),
                                             ("legacy.example.com.", "A")]


def test_absent_keeps_a_record_changed_since_and_then_the_zone_it_sits_in(r53):
    run_module(route53_zone_records, args())
    zid = zone_id(r53)
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "mail.example.com.", "Type": "A", "TTL": 3600, "ResourceRecords": [{"Value": "198.51.100.1"}]}}]})
    outcome, calls = run_module(route53_zone_records, args(state="absent"), check=True)
    assert outcome["changed"] and writes(calls) == [] and len(record_sets(r53, zid)) == len(RECORDS) + 2
    outcome, calls = run_module(route53_zone_records, args(state="absent"))
    assert "mail.example.com. A" in outcome["left_alone"] and "198.51.100.1" in outcome["left_alone"]["mail.example.com. A"]
    assert not outcome["zone_deleted"] and "mail.example.com. A" in outcome["zone_kept"]
    assert sorted(record_sets(r53, zid)) == [("example.com.", "NS"), ("example.com.", "SOA"), ("mail.example.com.", "A")]
    # force on a zone of ours: the rest goes, then the zone
    outcome, calls = run_module(route53_zone_records, args(state="absent", force=True))
    assert outcome["zone_deleted"] and outcome["deleted"] == ["mail.example.com. A"]
    assert zone_id(r53) is None
    outcome, calls = run_module(route53_zone_records, args(state="absent"))
    assert not outcome["changed"] and calls == ["ListHostedZonesByName"]


def test_absent_on_an_untouched_zone_of_ours_deletes_records_then_the_zone(r53):
    run_module(route53_zone_records, args())
    # a cutover lowered the TTLs since: the values still say the records are ours
    run_module(route53_zone_records, args(max_ttl=60))
    outcome, calls = run_module(route53_zone_records, args(state="absent"))
    assert outcome["zone_deleted"] and outcome["left_alone"] == {} and len(outcome["deleted"]) == len(RECORDS)
    assert writes(calls) == ["ChangeResourceRecordSets", "DeleteHostedZone"]
    assert zone_id(r53) is None


def test_a_cname_conflict_with_the_zone_is_refused_before_any_write(r53):
    zid = hand_made_zone(r53)
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "www.example.com.", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "198.51.100.7"}]}}]})
    outcome, calls = run_module(route53_zone_records, args())
    assert outcome["failed"] and "www.example.com. CNAME: the zone holds A at that name" in outcome["msg"]
    assert writes(calls) == []


def test_routing_policy_records_are_not_taken_over(r53):
    zid = hand_made_zone(r53)
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "mail.example.com.", "Type": "A", "TTL": 300, "SetIdentifier": "blue", "Weight": 10,
        "ResourceRecords": [{"Value": "198.51.100.7"}]}}]})
    outcome, calls = run_module(route53_zone_records, args())
    assert outcome["failed"] and "mail.example.com. A has record sets with a routing policy" in outcome["msg"]
    assert writes(calls) == []


@pytest.mark.parametrize("record, message", [
    ({"name": "www.other.org", "type": "A", "values": ["192.0.2.1"]}, "is not inside the zone example.com."),
    ({"name": "@", "type": "NS", "values": ["ns1.example.net."]}, "writes the apex NS of its zone itself"),
    ({"name": "@", "type": "CNAME", "values": ["x.example.net."]}, "refuses a CNAME at the zone apex"),
    ({"name": "a.example.com", "type": "A"}, "needs either values or alias"),
    ({"name": "a.example.com", "type": "TXT", "alias": {"dns_name": "x.cloudfront.net", "hosted_zone_id": "Z2FDTNDATAQYW2"}},
     "an alias record here is A or AAAA"),
    ({"name": "a.example.com", "type": "CNAME", "values": ["b.example.com.", "c.example.com."]}, "a CNAME has one value"),
])
def test_bad_records_are_refused_before_any_call(r53, record, message):
    outcome, calls = run_module(route53_zone_records, args([record]))
    assert outcome["failed"] and message in outcome["msg"] and calls == []


def test_the_same_record_twice_and_a_cname_beside_another_type_are_refused(r53):
    records = [{"name": "a.example.com", "type": "A", "values": ["192.0.2.1"]},
               {"name": "A.example.com.", "type": "A", "values": ["192.0.2.2"]},
               {"name": "b.example.com", "type": "CNAME", "values": ["a.example.com."]},
               {"name": "b.example.com", "type": "TXT", "values": ['"x"']}]
    outcome, calls = run_module(route53_zone_records, args(records))
    assert "a.example.com. A is listed twice" in outcome["msg"] and "b.example.com. CNAME is listed beside" in outcome["msg"]
    assert calls == []


def test_no_zone_and_create_zone_false_fails_without_a_write(r53):
    outcome, calls = run_module(route53_zone_records, args(create_zone=False))
    assert outcome["failed"] and "create_zone is false" in outcome["msg"] and writes(calls) == []


def test_two_public_zones_of_the_name_need_the_id(r53):
    first, second = hand_made_zone(r53), r53.create_hosted_zone(Name=ZONE, CallerReference="again")["HostedZone"]["Id"]
    outcome, calls = run_module(route53_zone_records, args())
    assert outcome["failed"] and "set hosted_zone_id" in outcome["msg"] and writes(calls) == []
    outcome, calls = run_module(route53_zone_records, args(hosted_zone_id=first))
    assert outcome["changed"] and outcome["zone_id"] == first and second.split("/")[-1] != first


def test_batches_stay_inside_route53s_limits():
    changes = [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "n%d.example.com." % i, "Type": "A", "TTL": 60,
                                                          "ResourceRecords": [{"Value": "192.0.2.1"}]}} for i in range(450)]
    batches = list(route53_zone_records._batches(changes))
    assert [len(b) for b in batches] == [200, 200, 50]  # an UPSERT counts twice against 400 records
    big = [{"Action": "DELETE", "ResourceRecordSet": {"Name": "t%d.example.com." % i, "Type": "TXT", "TTL": 60,
                                                      "ResourceRecords": [{"Value": '"' + "x" * 4000 + '"'}]}} for i in range(8)]
    assert all(sum(len(r["ResourceRecordSet"]["ResourceRecords"][0]["Value"]) for r in b) <= 15000
               for b in route53_zone_records._batches(big))
