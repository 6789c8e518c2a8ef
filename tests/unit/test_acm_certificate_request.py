"""liftoff.aws.acm_certificate_request, in-process against moto: a DNS-validated certificate requested once and found
again by its tags, its validation records in Route 53's form, three reads and no write on a re-run, new names that
request a new certificate and name the old one, and absent that deletes only the module's certificates."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import acm_certificate_request as acm_module
from tests.unit.module_runner import run_module, writes

OWNER = {"Project": "demo", "ManagedBy": "liftoff", "LiftoffRole": "cdn"}


def args(**overrides):
    return dict({"domain_name": "example.com", "subject_alternative_names": ["www.example.com"], "owner_tags": OWNER,
                 "tags": dict(OWNER, Environment="prod"), "region": "us-east-1"}, **overrides)


@pytest.fixture
def acm(moto_aws):
    return boto3.client("acm", region_name="us-east-1")


def arns(acm):
    return sorted(c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"])


def test_check_then_request_then_a_rerun_reads_three_times_and_writes_nothing(acm):
    outcome, calls = run_module(acm_module, args(), check=True, diff=True)
    assert outcome["changed"] and writes(calls) == [] and arns(acm) == []
    assert outcome["domains"] == ["example.com", "www.example.com"] and outcome["certificate_arn"] == ""

    outcome, calls = run_module(acm_module, args())
    assert outcome["changed"] and writes(calls) == ["RequestCertificate"]
    assert arns(acm) == [outcome["certificate_arn"]] and outcome["status"] == "PENDING_VALIDATION"
    records = outcome["validation_records"]
    assert [r["type"] for r in records] == ["CNAME", "CNAME"] and all(r["name"].endswith("example.com.") for r in records)
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=outcome["certificate_arn"])["Tags"]}
    assert tags == dict(OWNER, Environment="prod")
    first = outcome["certificate_arn"]

    outcome, calls = run_module(acm_module, args())
    assert not outcome["changed"] and outcome["certificate_arn"] == first and outcome["superseded_arns"] == []
    assert calls == ["ListCertificates", "ListTagsForCertificate", "DescribeCertificate"]


def test_other_names_request_a_new_certificate_and_name_the_old_one(acm):
    first = run_module(acm_module, args())[0]["certificate_arn"]
    outcome, _calls = run_module(acm_module, args(subject_alternative_names=["www.example.com", "cdn.example.com"]))
    assert outcome["changed"] and outcome["certificate_arn"] != first and outcome["superseded_arns"] == [first]
    assert outcome["domains"] == ["example.com", "cdn.example.com", "www.example.com"]


def test_a_certificate_without_the_owner_tags_is_never_used_nor_deleted(acm):
    theirs = acm.request_certificate(DomainName="example.com", ValidationMethod="DNS")["CertificateArn"]
    ours = run_module(acm_module, args())[0]["certificate_arn"]
    assert ours != theirs
    outcome, calls = run_module(acm_module, args(state="absent"), check=True)
    assert outcome["changed"] and writes(calls) == []
    outcome, _calls = run_module(acm_module, args(state="absent"))
    assert outcome["changed"] and arns(acm) == [theirs]
    outcome, calls = run_module(acm_module, args(state="absent"))
    assert not outcome["changed"] and writes(calls) == []


def test_a_changed_tag_is_set_without_a_new_certificate(acm):
    first = run_module(acm_module, args())[0]["certificate_arn"]
    outcome, calls = run_module(acm_module, args(tags=dict(OWNER, Environment="staging")))
    assert outcome["changed"] and outcome["certificate_arn"] == first and writes(calls) == ["AddTagsToCertificate"]


def test_empty_owner_tags_fail_before_any_call(acm):
    outcome, calls = run_module(acm_module, args(owner_tags={}, tags={}))
    assert outcome.get("failed") and "owner_tags is empty" in outcome["msg"] and calls == []


def test_a_certificate_cloudfront_still_uses_is_not_deleted_and_the_run_says_so():
    # moto never marks a certificate in use: ACM's refusal is proven with botocore Stubber.
    from tests.unit.module_runner import run_stubbed

    arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"

    def script(stub):
        stub.add_response("list_certificates", {"CertificateSummaryList": [
            {"CertificateArn": arn, "DomainName": "example.com", "Status": "ISSUED"}]},
            {"Includes": {"keyTypes": ["RSA_2048"]}})
        stub.add_response("list_tags_for_certificate", {"Tags": [{"Key": k, "Value": v} for k, v in OWNER.items()]},
                          {"CertificateArn": arn})
        stub.add_client_error("delete_certificate", service_error_code="ResourceInUseException", http_status_code=400,
                              expected_params={"CertificateArn": arn})

    outcome = run_stubbed(acm_module, dict(args(state="absent"), access_key="x", secret_key="x"), {"acm": script})
    assert outcome.get("failed") and "a certificate in use - by a CloudFront distribution - is kept" in outcome["msg"]
