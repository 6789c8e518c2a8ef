"""liftoff.aws.cloudfront_site_distribution, in-process against moto (with the test bed's patch that keeps origin
access control, functions and the certificate in a distribution's configuration): made with the secure defaults and
read back, three reads and no write on a re-run, one changed setting updated with the ETag, settings it does not
manage kept, a foreign distribution of the same comment never touched, and absent that disables, then deletes."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import cloudfront_site_distribution as module_under_test
from tests.harness import moto_patches
from tests.unit.module_runner import run_module, writes

OWNER = {"Project": "demo", "ManagedBy": "liftoff", "LiftoffRole": "cdn"}
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
FUNCTION = "arn:aws:cloudfront::123456789012:function/demo-prod-index"


def args(**overrides):
    return dict({"comment": "liftoff demo-prod site", "owner_tags": OWNER, "tags": OWNER, "region": "us-east-1",
                 "origin_domain_name": "demo-prod-site.s3.eu-west-1.amazonaws.com", "origin_access_control_id": "E2OAC",
                 "aliases": ["www.example.com", "example.com"], "certificate_arn": CERT,
                 "viewer_request_function_arn": FUNCTION, "error_page": "/404.html"}, **overrides)


@pytest.fixture
def cloudfront(moto_aws):
    moto_patches.patch_cloudfront_distribution_config_round_trip()  # moto drops OAC, functions and the certificate
    return boto3.client("cloudfront", region_name="us-east-1")


def only(cloudfront):
    (item,) = cloudfront.list_distributions()["DistributionList"]["Items"]
    return item["Id"], cloudfront.get_distribution_config(Id=item["Id"])["DistributionConfig"]


def test_check_then_create_then_a_rerun_reads_three_times_and_writes_nothing(cloudfront):
    outcome, calls = run_module(module_under_test, args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == [] and outcome["distribution"]["id"] == "(known after creation)"
    assert "Items" not in cloudfront.list_distributions()["DistributionList"]
    assert outcome["diff"]["after"]["viewer_protocol_policy"] == "redirect-to-https"

    outcome, calls = run_module(module_under_test, args())
    assert outcome["changed"] and writes(calls) == ["CreateDistributionWithTags"]
    distribution_id, config = only(cloudfront)
    assert outcome["distribution"]["id"] == distribution_id
    assert outcome["distribution"]["hosted_zone_id"] == "Z2FDTNDATAQYW2"
    origin = config["Origins"]["Items"][0]
    assert (origin["OriginAccessControlId"], origin["S3OriginConfig"]) == ("E2OAC", {"OriginAccessIdentity": ""})
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https" and behavior["Compress"] is True
    assert behavior["ResponseHeadersPolicyId"] == "67f7725c-6f97-4210-82d7-5512b31e9d03"
    assert behavior["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert behavior["FunctionAssociations"]["Items"] == [{"FunctionARN": FUNCTION, "EventType": "viewer-request"}]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["ACMCertificateArn"] == CERT
    assert (config["HttpVersion"], config["IsIPV6Enabled"], config["PriceClass"]) == ("http2and3", True, "PriceClass_100")
    assert sorted(config["Aliases"]["Items"]) == ["example.com", "www.example.com"]
    assert [(e["ErrorCode"], e["ResponsePagePath"], e["ResponseCode"]) for e in config["CustomErrorResponses"]["Items"]] == [
        (403, "/404.html", "404"), (404, "/404.html", "404")]

    outcome, calls = run_module(module_under_test, args())
    assert not outcome["changed"], outcome
    assert calls == ["ListDistributions", "ListTagsForResource", "GetDistributionConfig"]


def test_one_changed_setting_is_updated_and_the_others_kept(cloudfront):
    run_module(module_under_test, args())
    outcome, calls = run_module(module_under_test, args(price_class="PriceClass_All", error_page="", spa_fallback=True),
                                diff=True)
    assert outcome["changed"] and writes(calls) == ["UpdateDistribution"]
    assert (outcome["diff"]["before"]["price_class"], outcome["diff"]["after"]["price_class"]) == (
        "PriceClass_100", "PriceClass_All")
    _id, config = only(cloudfront)
    assert config["PriceClass"] == "PriceClass_All"
    assert [(e["ErrorCode"], e["ResponsePagePath"], e["ResponseCode"]) for e in config["CustomErrorResponses"]["Items"]] == [
        (403, "/index.html", "200"), (404, "/index.html", "200")]
    assert config["Origins"]["Items"][0]["OriginAccessControlId"] == "E2OAC"


def test_a_distribution_of_the_same_comment_without_the_owner_tags_is_never_touched(cloudfront):
    run_module(module_under_test, args(owner_tags={"Project": "other"}, tags={"Project": "other"}))
    outcome, calls = run_module(module_under_test, args(state="absent"))
    assert not outcome["changed"] and writes(calls) == []
    outcome, _calls = run_module(module_under_test, args())
    assert outcome["changed"] and len(cloudfront.list_distributions()["DistributionList"]["Items"]) == 2


def test_absent_disables_first_then_deletes_once_deployed(cloudfront):
    run_module(module_under_test, args())
    outcome, calls = run_module(module_under_test, args(state="absent"))
    assert outcome["changed"] and outcome["status"] == "disabling" and writes(calls) == ["UpdateDistribution"]
    _id, config = only(cloudfront)
    assert config["Enabled"] is False
    outcome, calls = run_module(module_under_test, args(state="absent"), check=True)
    assert outcome["changed"] and writes(calls) == []
    outcome, calls = run_module(module_under_test, args(state="absent"))
    assert outcome["changed"] and outcome["status"] == "deleted" and writes(calls) == ["DeleteDistribution"]
    assert "Items" not in cloudfront.list_distributions()["DistributionList"]


@pytest.mark.parametrize("overrides, message", [
    ({"certificate_arn": ""}, "need certificate_arn"),
    ({"certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}, "is not of us-east-1"),
    ({"origin_access_control_id": None}, "origin_access_control_id is required"),
    ({"origin_path": "site/"}, "a folder like /site"),
    ({"error_page": "404.html"}, "starts with a slash"),
    ({"default_root_object": "/index.html"}, "has no leading slash"),
    ({"owner_tags": {}, "tags": {}}, "owner_tags is empty"),
])
def test_bad_parameters_fail_before_any_call(cloudfront, overrides, message):
    outcome, calls = run_module(module_under_test, args(**overrides))
    assert outcome.get("failed") and message in outcome["msg"], outcome
    assert calls == []
