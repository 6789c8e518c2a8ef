"""liftoff.aws.s3_site_sync, in-process against moto: a folder uploaded with the right Content-Type and Cache-Control
per file, a re-run that only reads, a changed file or rule that re-uploads only what it touches, deletes only when
asked and never of excluded keys, and check mode that writes nothing."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.liftoff.aws.plugins.modules import s3_site_sync
from tests.unit.module_runner import run_module, writes

BUCKET = "demo-prod-site"
RULES = [{"pattern": "*.html", "value": "public, max-age=0, must-revalidate"},
         {"pattern": "assets/*", "value": "public, max-age=31536000, immutable"}]


@pytest.fixture
def s3(moto_aws):
    client = boto3.client("s3", region_name="eu-west-1")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return client


@pytest.fixture
def site(tmp_path):
    files = {"index.html": "<h1>home</h1>", "about/index.html": "<h1>about</h1>",
             "assets/app.3f2a9c1e.css": "body{}", "assets/logo.svg": "<svg/>", "robots.txt": "User-agent: *",
             "data/feed.json": "{}", "fonts/x.woff2": "w", "blob.unknownext": "?", ".DS_Store": "junk",
             "about/.DS_Store": "junk"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


def args(site, **overrides):
    return dict({"bucket": BUCKET, "src": str(site), "region": "eu-west-1", "cache_control": RULES,
                 "exclude": [".DS_Store"]}, **overrides)


def head(s3, key):
    return s3.head_object(Bucket=BUCKET, Key=key)


def test_first_sync_sets_each_files_headers_and_a_rerun_only_reads(s3, site):
    outcome, calls = run_module(s3_site_sync, args(site), check=True, diff=True)
    assert outcome["changed"] and len(outcome["created"]) == 8 and writes(calls) == []
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0
    assert outcome["diff"]["after"]["index.html"]["content_type"] == "text/html; charset=utf-8"

    outcome, _calls = run_module(s3_site_sync, args(site))
    assert outcome["changed"] and outcome["files"] == 8 and outcome["unchanged"] == 0
    assert ".DS_Store" not in outcome["created"] and "about/.DS_Store" not in outcome["created"]
    expected = {
        "index.html": ("text/html; charset=utf-8", "public, max-age=0, must-revalidate"),
        "about/index.html": ("text/html; charset=utf-8", "public, max-age=0, must-revalidate"),
        "assets/app.3f2a9c1e.css": ("text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        "assets/logo.svg": ("image/svg+xml; charset=utf-8", "public, max-age=31536000, immutable"),
        "robots.txt": ("text/plain; charset=utf-8", "public, max-age=3600"),
        "data/feed.json": ("application/json; charset=utf-8", "public, max-age=3600"),
        "fonts/x.woff2": ("font/woff2", "public, max-age=3600"),
        "blob.unknownext": ("application/octet-stream", "public, max-age=3600"),
    }
    for key, (ctype, cache) in expected.items():
        found = head(s3, key)
        assert (found["ContentType"], found["CacheControl"]) == (ctype, cache), key
    assert s3.get_object(Bucket=BUCKET, Key="about/index.html")["Body"].read() == b"<h1>about</h1>"

    outcome, calls = run_module(s3_site_sync, args(site))
    assert not outcome["changed"] and outcome["unchanged"] == 8 and outcome["changed_keys"] == []
    assert writes(calls) == [] and calls.count("ListObjectsV2") == 1 and calls.count("HeadObject") == 8


def test_only_what_changed_is_uploaded_and_reported(s3, site):
    run_module(s3_site_sync, args(site))
    (site / "index.html").write_text("<h1>new home</h1>")  # another size
    (site / "robots.txt").write_text("User-agent: #")  # same size, other content
    (site / "new.html").write_text("new")
    outcome, calls = run_module(s3_site_sync, args(site), diff=True)
    assert outcome["created"] == ["new.html"] and outcome["updated"] == ["index.html", "robots.txt"]
    assert outcome["changed_keys"] == ["index.html", "new.html", "robots.txt"]
    assert calls.count("PutObject") == 3 and outcome["bytes_uploaded"] == len("<h1>new home</h1>") + 13 + 3
    assert outcome["diff"]["before"]["robots.txt"]["sha256"] != outcome["diff"]["after"]["robots.txt"]["sha256"]


def test_a_changed_rule_re_uploads_the_files_it_now_gives_another_header(s3, site):
    run_module(s3_site_sync, args(site))
    rules = [{"pattern": "*.html", "value": "no-cache"}] + RULES[1:]
    outcome, _calls = run_module(s3_site_sync, args(site, cache_control=rules))
    assert outcome["updated"] == ["about/index.html", "index.html"]
    assert head(s3, "index.html")["CacheControl"] == "no-cache"


def test_deletes_only_when_asked_never_excluded_keys_and_only_under_the_prefix(s3, site):
    s3.put_object(Bucket=BUCKET, Key="site/old.html", Body=b"old")
    s3.put_object(Bucket=BUCKET, Key="site/uploads/kept.jpg", Body=b"user file")
    s3.put_object(Bucket=BUCKET, Key="elsewhere.html", Body=b"not under the prefix")
    outcome, _calls = run_module(s3_site_sync, args(site, prefix="site/"))
    assert outcome["deleted"] == [] and "site/index.html" in outcome["created"]
    wanted = args(site, prefix="site/", delete=True, exclude=[".DS_Store", "uploads/*"])
    outcome, calls = run_module(s3_site_sync, wanted, check=True)
    assert outcome["deleted"] == ["site/old.html"] and writes(calls) == []
    outcome, _calls = run_module(s3_site_sync, wanted)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "site/old.html" not in keys and {"site/uploads/kept.jpg", "elsewhere.html"} <= keys


def test_objects_someone_else_uploaded_are_taken_over_once(s3, site):
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    outcome, _calls = run_module(s3_site_sync, args(site))
    assert "index.html" in outcome["updated"]
    outcome, _calls = run_module(s3_site_sync, args(site))
    assert not outcome["changed"]


def test_a_missing_folder_or_a_leading_slash_fails_without_a_call(s3, site, tmp_path):
    outcome, calls = run_module(s3_site_sync, args(site, src=str(tmp_path / "nope")))
    assert outcome.get("failed") and "is not a folder" in outcome["msg"] and calls == []
    outcome, calls = run_module(s3_site_sync, args(site, prefix="/site"))
    assert outcome.get("failed") and "no leading slash" in outcome["msg"] and calls == []


def test_regex_rules_match_fingerprinted_names_and_a_bad_regex_fails_first(s3, site):
    rules = [{"regex": r"\.[0-9a-f]{8,}\.\w+$", "value": "immutable"}]
    outcome, _calls = run_module(s3_site_sync, args(site, cache_control=rules))
    assert head(s3, "assets/app.3f2a9c1e.css")["CacheControl"] == "immutable"
    assert head(s3, "assets/logo.svg")["CacheControl"] == "public, max-age=3600"
    outcome, calls = run_module(s3_site_sync, args(site, cache_control=[{"regex": "([", "value": "x"}]))
    assert outcome.get("failed") and "cache_control[0].regex" in outcome["msg"] and calls == []
