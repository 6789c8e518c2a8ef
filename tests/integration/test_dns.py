"""Role liftoff.aws.dns against the emulator: the sandbox's zone file imported into a zone the role makes, the
app's name aliased to a load balancer, read back from Route 53; a re-run that writes nothing; TTLs lowered for a
cutover; a bad zone file refused before any call; and a teardown that leaves a hand-made zone alone."""

from __future__ import annotations

import json

from tests.harness.owned import READS_PER_RESOURCE_GOAL, dns_resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "dns.yml"
ZONE = "example.test."
TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}


def _zones(r53) -> dict[str, str]:
    return {z["Name"]: z["Id"].split("/")[-1] for z in r53.list_hosted_zones()["HostedZones"]}


def _sets(r53, zone_id) -> dict:
    pages = r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    return {(r["Name"], r["Type"]): r for page in pages for r in page["ResourceRecordSets"]}


def _load_balancer(aws) -> dict:
    ec2, elbv2 = aws.client("ec2"), aws.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"eu-west-1{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    return elbv2.create_load_balancer(Name="liftoff-demo-sandbox-web", Subnets=subnets)["LoadBalancers"][0]


def test_dns_lifecycle(playbook, aws, tmp_path):
    r53 = aws.client("route53", region="us-east-1")
    hand_made = r53.create_hosted_zone(Name="hand-made.test", CallerReference="by-hand")["HostedZone"]["Id"]
    balancer = _load_balancer(aws)

    # -- a zone file Route 53 cannot hold: refused by line, before any AWS call --------------------------
    bad = tmp_path / "bad.zone"
    bad.write_text("$ORIGIN example.test.\n$TTL 300\nwww IN CNAME @\nwww IN TXT \"x\"\nk IN DNSKEY 257 3 8 AwEAAa==\n")
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars={"dns_zone_file": str(bad)})
    assert result.rc != 0
    assert "line 3: www.example.test. CNAME beside TXT" in result.stdout, str(result)
    assert "line 5: k.example.test. DNSKEY" in result.stdout, str(result)
    assert aws.calls() == []

    # -- check mode on an empty account: predicts, writes nothing ----------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, diff=True, env=ENV)
    assert result.rc == 0 and result.changed == 1, str(result)
    assert aws.writes() == [] and ZONE not in _zones(r53)

    # -- create: the zone, the imported records, the app's alias ----------------------------------------
    result = playbook(PLAYBOOK, env=ENV)
    assert result.rc == 0 and result.changed == 1, str(result)
    facts = result.facts("DNS")
    zone_id = _zones(r53)[ZONE]
    assert facts["zone_id"] == zone_id and facts["name_servers"]
    assert "name servers to set at the registrar: " + " ".join(facts["name_servers"]) in result.stdout
    tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)["ResourceTagSet"]["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == dict(TAGS, LiftoffRole="dns")
    sets = _sets(r53, zone_id)
    assert sorted(sets) == sorted([
        (ZONE, "SOA"), (ZONE, "NS"), (ZONE, "A"), (ZONE, "MX"), (ZONE, "TXT"), (ZONE, "CAA"),
        ("www.example.test.", "CNAME"), ("mail.example.test.", "A"), ("_dmarc.example.test.", "TXT"),
        ("app.example.test.", "A")])
    assert sets[(ZONE, "A")]["TTL"] == 300 and sets[(ZONE, "A")]["ResourceRecords"] == [{"Value": "192.0.2.10"}]
    assert sets[(ZONE, "MX")]["ResourceRecords"] == [{"Value": "10 mail.example.test."}]
    caa = sorted(r["Value"] for r in sets[(ZONE, "CAA")]["ResourceRecords"])
    assert caa == ['0 issue "amazon.com"', '0 issue "letsencrypt.org"']
    assert sets[("_dmarc.example.test.", "TXT")]["ResourceRecords"] == [
        {"Value": '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.test"'}]
    alias = sets[("app.example.test.", "A")]["AliasTarget"]
    assert alias["DNSName"].rstrip(".").lower() == balancer["DNSName"].lower()
    assert alias["HostedZoneId"] == balancer["CanonicalHostedZoneId"] and alias["EvaluateTargetHealth"] is True
    # the droplet's name servers stayed behind: the zone's NS are Route 53's
    assert "droplet-dns" not in json.dumps(sets[(ZONE, "NS")])

    # -- no-op: nothing changed, not one write, at most two reads per managed resource -------------------
    owned = dns_resources(aws, ZONE, TAGS)
    assert owned == 9
    aws.reset_calls()
    result = playbook(PLAYBOOK, env=ENV)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert [str(c) for c in aws.calls() if c.is_write] == []
    reads = sorted(str(c) for c in aws.calls() if c.is_read)
    assert len(reads) <= READS_PER_RESOURCE_GOAL * owned, reads
    # ListHostedZonesByName, ListTagsForResource, ListResourceRecordSets; the load balancer read is the app's target
    assert len([r for r in reads if r.startswith("route53:")]) == 3, reads

    # -- a cutover ahead: every TTL at most 60 s, one batch; then again a no-op --------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars={"dns_max_ttl": 60}, diff=True, env=ENV)
    assert result.rc == 0 and result.changed == 1, str(result)
    # one ChangeResourceRecordSets (POST .../hostedzone/<id>/rrset/)
    assert [c.operation.rstrip("/").rsplit("/", 1)[-1] for c in aws.writes()] == ["rrset"], aws.writes()
    assert all(r["TTL"] <= 60 for k, r in _sets(r53, zone_id).items() if "TTL" in r and k[1] not in ("SOA", "NS"))
    result = playbook(PLAYBOOK, extra_vars={"dns_max_ttl": 60}, env=ENV)
    assert result.rc == 0 and result.changed == 0, str(result)

    # -- teardown: the records, then the zone; the hand-made zone stays; a second teardown does nothing ------
    absent = {"dns_state": "absent", "dns_max_ttl": 60}
    result = playbook(PLAYBOOK, extra_vars=absent, env=ENV)
    assert result.rc == 0 and result.changed == 1, str(result)
    assert _zones(r53) == {"hand-made.test.": hand_made.split("/")[-1]}
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=absent, env=ENV)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert aws.writes() == []

    # -- the load balancer gone (the compute step torn down): teardown again still runs, and a new run says why
    #    it cannot point the app's name anywhere ------------------------------------------------------------------
    aws.client("elbv2").delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
    result = playbook(PLAYBOOK, extra_vars=absent, env=ENV)
    assert result.rc == 0 and result.changed == 0, str(result)
    result = playbook(PLAYBOOK, env=ENV)
    assert result.rc != 0, str(result)
    assert "dns_app_load_balancer liftoff-demo-sandbox-web - no load balancer of that name in eu-west-1" in result.stdout
