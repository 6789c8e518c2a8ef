"""The s3_site role's filters: its buckets as module arguments (the log bucket first, each bucket's logs to its own
folder, CloudFront read access only for the named distributions), its report, and its input checks by name."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report
from ansible_collections.liftoff.aws.plugins.filter.s3_site import bucket_name_problem, s3_site_buckets, s3_site_report

DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
SETTINGS = {"site": "demo-prod-site", "uploads": "demo-prod-uploads", "logs": "demo-prod-logs", "region": "eu-west-1",
            "account": "123456789012", "distribution_arns": [DISTRIBUTION], "site_noncurrent_days": 30,
            "upload_noncurrent_days": 7, "log_retention_days": 90, "tags": {"Project": "demo"},
            "owner_tags": {"Project": "demo"}}


def test_the_log_bucket_comes_first_and_takes_each_buckets_logs_in_its_own_folder():
    logs, site, uploads = s3_site_buckets(SETTINGS)
    assert [b["kind"] for b in (logs, site, uploads)] == ["logs", "site", "uploads"]
    assert logs["versioning"] is False and logs["encryption"] == "AES256" and logs["expiration_days"] == 90
    assert [s["Resource"] for s in logs["policy_statements"]] == [
        "arn:aws:s3:::demo-prod-logs/s3/demo-prod-site/*", "arn:aws:s3:::demo-prod-logs/s3/demo-prod-uploads/*"]
    assert logs["policy_statements"][0]["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::demo-prod-site"},
        "StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert (site["logging_target_bucket"], site["logging_target_prefix"]) == ("demo-prod-logs", "s3/demo-prod-site/")
    assert site["noncurrent_version_expiration_days"] == 30 and uploads["noncurrent_version_expiration_days"] == 7


def test_only_the_site_bucket_lets_cloudfront_read_and_only_the_named_distributions():
    _logs, site, uploads = s3_site_buckets(SETTINGS)
    assert site["policy_statements"] == [{
        "Sid": "CloudFrontReadsThroughOAC", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo-prod-site/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": [DISTRIBUTION]}}}]
    assert uploads["policy_statements"] == []
    _logs, site, _uploads = s3_site_buckets(dict(SETTINGS, distribution_arns=[]))
    assert site["policy_statements"] == []


def test_without_upload_or_log_bucket_there_are_fewer_buckets_and_no_access_logging():
    (site,) = s3_site_buckets(dict(SETTINGS, uploads="", logs=""))
    assert site["kind"] == "site" and "logging_target_bucket" not in site


def test_kms_applies_to_site_and_uploads_never_to_the_log_bucket_and_china_arns_use_their_partition():
    logs, site, _uploads = s3_site_buckets(dict(SETTINGS, encryption="aws:kms", kms_key_id="alias/site",
                                                region="cn-north-1"))
    assert (site["encryption"], site["kms_key_id"]) == ("aws:kms", "alias/site") and logs["encryption"] == "AES256"
    assert site["policy_statements"][0]["Resource"] == "arn:aws-cn:s3:::demo-prod-site/*"


def test_no_site_bucket_is_an_error():
    with pytest.raises(AnsibleFilterError, match="site bucket"):
        s3_site_buckets({"site": ""})


@pytest.mark.parametrize("name, problem", [
    ("demo-prod-site", None), ("ab", "3 to 63 characters"), ("Demo-Site", "3 to 63 characters"),
    ("demo_site", "3 to 63 characters"), ("-demo", "3 to 63 characters"), ("demo.site", "a dot in the name"),
    ("192.168.1.1", "not IP addresses"), ("xn--demo", "reserves"), ("demo-s3alias", "reserves"), ("a" * 64, "3 to 63"),
])
def test_bucket_names(name, problem):
    found = bucket_name_problem(name)
    assert (found is None) if problem is None else (problem in found), found


def test_the_report_says_what_each_bucket_and_the_sync_did():
    made = [{"__s3_site_bucket": {"name": "l", "kind": "logs"}, "created": True},
            {"__s3_site_bucket": {"name": "s", "kind": "site"}, "created": False, "changes": ["policy"]},
            {"__s3_site_bucket": {"name": "u", "kind": "uploads"}, "created": False, "changes": []}]
    sync = {"files": 6, "created": ["a"], "updated": ["b", "c"], "deleted": [], "unchanged": 3}
    assert s3_site_report(made, sync, [DISTRIBUTION], "site/") == [
        "l (logs): created", "s (site): changed policy", "u (uploads): as wanted",
        "site: 6 files - 1 new, 2 updated, 0 deleted, 3 unchanged",
        "readable through CloudFront (origin access control) by " + DISTRIBUTION]
    lines = s3_site_report(made, {"skipped": True}, [], "site/")
    assert "would be uploaded once the bucket exists" in lines[3] and "no CloudFront distribution" in lines[4]
    assert s3_site_report([], {"skipped": True}, [], "")[0] == "site: no s3_site_content_dir, nothing synced"


def _errors(**values):
    return input_report(values, "s3_site", {})["errors"]


def test_the_input_checks_name_the_variable_and_why():
    errors = _errors(s3_site_bucket="demo-site", s3_site_upload_bucket="demo-site", s3_site_log_bucket="Logs",
                     s3_site_log_retention_days=-5, s3_site_kms_key_id="alias/x",
                     s3_site_distribution_arns=["E2EXAMPLE"], s3_site_prefix="/site",
                     s3_site_content_dir="/nope", __s3_site_content_dir_exists=False,
                     s3_site_cache_control=[{"pattern": "*.html"}, {"regex": "([", "value": "x"},
                                            {"pattern": "*", "regex": "x", "value": "y"}])
    assert errors == [
        "s3_site_upload_bucket is 'demo-site', the same bucket as s3_site_bucket",
        "s3_site_log_bucket is 'Logs': S3 bucket names are 3 to 63 characters of lowercase letters, digits, dots and "
        "hyphens, starting and ending with a letter or digit",
        "s3_site_log_retention_days is -5: a number of days, 0 or more",
        "s3_site_kms_key_id is set but s3_site_encryption is 'AES256', not aws:kms",
        "s3_site_distribution_arns[0] is 'E2EXAMPLE': not a CloudFront distribution ARN "
        "(arn:aws:cloudfront::<account>:distribution/<ID>)",
        "s3_site_prefix is '/site': a key prefix like site/ - no leading slash, one trailing slash",
        "s3_site_content_dir is '/nope': no such folder on the controller",
        "s3_site_cache_control[0] is {'pattern': '*.html'}: give value and one of pattern (a shell glob) or regex",
        "s3_site_cache_control[1].regex is '([': not a regular expression (unterminated character set at position 1)",
        "s3_site_cache_control[2] is {'pattern': '*', 'regex': 'x', 'value': 'y'}: give value and one of pattern (a "
        "shell glob) or regex",
    ]


def test_good_inputs_and_empty_optional_buckets_pass():
    assert _errors(s3_site_bucket="demo-site", s3_site_upload_bucket="", s3_site_log_bucket="",
                   s3_site_distribution_arns=[DISTRIBUTION], s3_site_prefix="site/", s3_site_content_dir="/x",
                   __s3_site_content_dir_exists=True,
                   s3_site_cache_control=[{"regex": r"\.[0-9a-f]{8,}\.\w+$", "value": "immutable"}]) == []
