"""Step 6 against the emulator, as playbooks/edge.yml runs it: the zone, the certificate (requested in us-east-1,
validated through Route 53, waited for), the origin access control, the index function, the distribution (HTTPS only,
TLS 1.2, HTTP/2+3, IPv6, security headers), the site's alias records, the site bucket readable by that distribution
only, the sync and the invalidation of what it changed; a re-run that writes nothing; and a teardown in reverse that
leaves a hand-made distribution and certificate alone."""

from __future__ import annotations

import json
import shutil

from tests.harness.owned import READS_PER_RESOURCE_GOAL, resources
from tests.harness.paths import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "edge.yml"
TEARDOWN = REPO_ROOT / "playbooks" / "teardown.yml"
SITE_DIR = REPO_ROOT / "examples" / "sandbox" / "site"
SITE = "liftoff-demo-sandbox-site"
TAGS = {"Project": "liftoff-demo", "Environment": "sandbox", "ManagedBy": "liftoff"}
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}


def _zone_sets(r53) -> dict:
    zone = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == "example.test."][0]["Id"]
    return {(r["Name"], r["Type"]): r for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]}


def _distributions(cf) -> list[dict]:
    return cf.list_distributions()["DistributionList"].get("Items", [])


def test_edge_lifecycle(playbook, aws, tmp_path):
    cf, acm = aws.client("cloudfront", region="us-east-1"), aws.client("acm", region="us-east-1")
    r53, s3 = aws.client("route53", region="us-east-1"), aws.client("s3")
    hand_made_cert = acm.request_certificate(DomainName="static.example.test", ValidationMethod="DNS")["CertificateArn"]
    site = tmp_path / "site"
    shutil.copytree(SITE_DIR, site)
    extra = {"dns_app_name": "", "s3_site_content_dir": str(site)}

    # -- a site name the dns role manages (www is in the droplet's zone file): refused before any call ---------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=dict(extra, cdn_aliases=["www.example.test", "static.other.test"]))
    assert result.rc != 0
    assert "cdn_aliases names www.example.test, which the dns role already manages" in result.stdout, str(result)
    assert "cdn_aliases[1] is 'static.other.test': it is not inside the zone example.test." in result.stdout
    assert aws.calls() == []

    # -- check mode on an empty account: predicts, writes nothing ---------------------------------------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, check=True, extra_vars=extra, env=ENV)
    assert result.rc == 0, str(result)
    assert aws.writes() == [] and _distributions(cf) == []

    # -- create ---------------------------------------------------------------------------------------------------
    result = playbook(PLAYBOOK, extra_vars=extra, env=ENV)
    assert result.rc == 0, str(result)
    facts = result.facts("EDGE")
    (distribution,) = _distributions(cf)
    assert facts["distribution_arn"] == distribution["ARN"] and facts["domain_name"] == distribution["DomainName"]
    # the certificate: ours, issued after the wait, for the site's name, in us-east-1
    ours = [c for c in acm.list_certificates()["CertificateSummaryList"] if c["CertificateArn"] != hand_made_cert]
    assert len(ours) == 1 and ours[0]["Status"] == "ISSUED" and ours[0]["DomainName"] == "static.example.test"
    assert "FAILED - RETRYING: [localhost]: Wait until ACM has issued the certificate" in result.stdout
    config = cf.get_distribution_config(Id=distribution["Id"])["DistributionConfig"]
    assert config["ViewerCertificate"]["ACMCertificateArn"] == ours[0]["CertificateArn"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["Aliases"]["Items"] == ["static.example.test"]
    origin = config["Origins"]["Items"][0]
    assert origin["DomainName"] == f"{SITE}.s3.eu-west-1.amazonaws.com"
    (control,) = cf.list_origin_access_controls()["OriginAccessControlList"]["Items"]
    assert origin["OriginAccessControlId"] == control["Id"] and control["SigningBehavior"] == "always"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["ResponseHeadersPolicyId"] == "67f7725c-6f97-4210-82d7-5512b31e9d03"
    (function,) = behavior["FunctionAssociations"]["Items"]
    assert function == {"FunctionARN": "arn:aws:cloudfront::123456789012:function/liftoff-demo-sandbox-site-index",
                        "EventType": "viewer-request"}
    assert (config["HttpVersion"], config["IsIPV6Enabled"]) == ("http2and3", True)
    # the site's records: alias A and AAAA to the distribution, and the certificate's validation CNAME
    sets = _zone_sets(r53)
    for record_type in ("A", "AAAA"):
        alias = sets[("static.example.test.", record_type)]["AliasTarget"]
        assert alias["DNSName"].rstrip(".") == distribution["DomainName"] and alias["HostedZoneId"] == "Z2FDTNDATAQYW2"
    validation = acm.describe_certificate(CertificateArn=ours[0]["CertificateArn"])["Certificate"][
        "DomainValidationOptions"][0]["ResourceRecord"]
    assert sets[(validation["Name"], "CNAME")]["ResourceRecords"] == [{"Value": validation["Value"]}]
    # the bucket: readable through CloudFront by this distribution only
    grant = [s for s in json.loads(s3.get_bucket_policy(Bucket=SITE)["Policy"])["Statement"] if s["Effect"] == "Allow"]
    assert grant[0]["Condition"] == {"StringEquals": {"AWS:SourceArn": [distribution["ARN"]]}}
    # a first sync changes everything: one invalidation of /* would be cheaper than seven paths? no - seven is below 15
    (invalidation,) = cf.list_invalidations(DistributionId=distribution["Id"])["InvalidationList"]["Items"]
    paths = cf.get_invalidation(DistributionId=distribution["Id"], Id=invalidation["Id"])["Invalidation"][
        "InvalidationBatch"]["Paths"]["Items"]
    assert sorted(paths) == ["/", "/404.html", "/about/", "/about/index.html", "/assets/logo.svg",
                             "/assets/site.5d41402a.css", "/index.html", "/robots.txt"]

    # -- re-run: nothing changes, no write, no invalidation, at most two reads per managed resource --------------
    aws.reset_calls()
    result = playbook(PLAYBOOK, extra_vars=extra, env=ENV)
    assert result.rc == 0 and result.changed == 0, str(result)
    assert aws.writes() == [], aws.writes()
    owned = sum(resources(aws, step) for step in ("dns", "s3_site", "cdn"))
    assert len(aws.calls()) <= READS_PER_RESOURCE_GOAL * owned, (len(aws.calls()), owned, aws.calls())

    # -- one page changed: only its paths are invalidated ---------------------------------------------------------
    (site / "about" / "index.html").write_text("<h1>About us</h1>\n")
    result = playbook(PLAYBOOK, extra_vars=extra, env=ENV)
    assert result.rc == 0 and result.changed == 2, str(result)  # the sync and the invalidation
    batches = cf.list_invalidations(DistributionId=distribution["Id"])["InvalidationList"]["Items"]
    newest = [b for b in batches if b["Id"] != invalidation["Id"]][0]
    paths = cf.get_invalidation(DistributionId=distribution["Id"], Id=newest["Id"])["Invalidation"][
        "InvalidationBatch"]["Paths"]["Items"]
    assert sorted(paths) == ["/about/", "/about/index.html"]

    # -- teardown of step 6: everything the roles made goes (the buckets with force); hand-made things stay ------
    result = playbook(TEARDOWN, extra_vars=dict(extra, liftoff_teardown_confirm="liftoff-demo", s3_site_force=True),
                      tags=["edge"])
    assert result.rc == 0, str(result)
    assert _distributions(cf) == [] and cf.list_origin_access_controls()["OriginAccessControlList"].get("Items") in (None, [])
    assert [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]] == [hand_made_cert]
    assert sum(resources(aws, step) for step in ("dns", "s3_site", "cdn")) == 0

    # -- teardown again: nothing left to do, nothing fails -------------------------------------------------------
    aws.reset_calls()
    result = playbook(TEARDOWN, extra_vars=dict(extra, liftoff_teardown_confirm="liftoff-demo", s3_site_force=True),
                      tags=["edge"])
    assert result.rc == 0 and result.changed == 0 and aws.writes() == [], str(result)
