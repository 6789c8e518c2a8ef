"""The cdn role's filters: its input checks by name (names inside the zone, never the dns role's, covered by the
certificate), the site's Route 53 records, and the CloudFront paths of what the sync changed."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.liftoff.aws.plugins.filter.cdn import (cdn_certificate_names, cdn_invalidation_paths,
                                                                cdn_site_records, cdn_zone_file_names)
from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report


def _errors(**values):
    return input_report(dict({"cdn_zone": "example.com"}, **values), "cdn", {})["errors"]


def test_names_outside_the_zone_twice_or_wildcards_are_refused():
    errors = _errors(cdn_aliases=["www.example.com", "cdn.example.org", "*.example.com", "WWW.example.com."])
    assert "cdn_aliases[1] is 'cdn.example.org': it is not inside the zone example.com. (cdn_zone)" in errors
    assert any("cdn_aliases[2] is '*.example.com': a wildcard name cannot get an alias record" in e for e in errors)
    assert any(e.startswith("cdn_aliases lists a name twice") for e in errors)


def test_a_name_the_dns_role_manages_is_refused():
    errors = _errors(cdn_aliases=["www.example.com"], __cdn_dns_names=["www.example.com.", "example.com."])
    assert errors == ["cdn_aliases names www.example.com, which the dns role already manages (the droplet's zone file, "
                      "dns_records or dns_app_name): one of the two would undo the other on every run - move the name "
                      "in the cutover instead"]


def test_the_certificate_must_cover_every_name():
    assert _errors(cdn_aliases=["www.example.com", "static.example.com"], cdn_certificate_domain="*.example.com") == []
    errors = _errors(cdn_aliases=["example.com", "www.example.com"], cdn_certificate_domain="*.example.com")
    assert errors == ["cdn_aliases names example.com but the certificate's names (cdn_certificate_domain, "
                      "cdn_certificate_alternative_names) are *.example.com: none covers it"]
    assert _errors(cdn_aliases=["a.b.example.com"], cdn_certificate_domain="*.example.com") != []  # one label only
    assert _errors(cdn_certificate_domain="example.com") == [
        "cdn_certificate_domain is set but cdn_aliases is empty: the distribution would use CloudFront's own certificate"]


@pytest.mark.parametrize("values, message", [
    ({"cdn_price_class": "PriceClass_300"}, "cdn_price_class is 'PriceClass_300': CloudFront's price classes are"),
    ({"cdn_wait_timeout": 0}, "cdn_wait_timeout is 0: a whole number, at least 1"),
    ({"cdn_error_page": "404.html"}, "cdn_error_page is '404.html': a path like /404.html"),
    ({"cdn_origin_path": "/site/"}, "cdn_origin_path is '/site/': a path like /site"),
    ({"cdn_aliases": ["x.example.com"], "cdn_zone": ""}, "cdn_zone is empty"),
])
def test_other_inputs_are_refused_by_name(values, message):
    assert any(message in e for e in _errors(**values)), _errors(**values)


def test_certificate_names_come_from_the_aliases_unless_given():
    assert cdn_certificate_names(["Example.com.", "www.example.com"]) == ["example.com", "www.example.com"]
    assert cdn_certificate_names(["a.example.com"], "*.example.com", ["example.com"]) == ["*.example.com", "example.com"]


def test_site_records_alias_each_name_to_the_distribution_after_the_validation_records():
    validation = [{"name": "_x.example.com.", "type": "CNAME", "ttl": 300, "values": ["_y.acm-validations.aws."]}]
    records = cdn_site_records(["example.com", "www.example.com"], {"domain_name": "d1.cloudfront.net", "ipv6": True},
                               validation)
    assert records[0] == validation[0]
    assert [(r["name"], r["type"]) for r in records[1:]] == [
        ("example.com.", "A"), ("example.com.", "AAAA"), ("www.example.com.", "A"), ("www.example.com.", "AAAA")]
    assert records[1]["alias"] == {"dns_name": "d1.cloudfront.net", "hosted_zone_id": "Z2FDTNDATAQYW2",
                                   "evaluate_target_health": False}
    assert [r["type"] for r in cdn_site_records(["example.com"], {"domain_name": "d1.cloudfront.net", "ipv6": False})] == ["A"]
    # check mode, before the distribution exists: the validation records only
    assert cdn_site_records(["example.com"], {"domain_name": "(known after creation)"}, validation) == validation
    with pytest.raises(AnsibleFilterError):
        cdn_site_records(["example.com"], "d1.cloudfront.net")


def test_invalidation_paths_are_the_changed_files_and_their_folders():
    keys = ["index.html", "about/index.html", "assets/app 1.css", "blog/post.html"]
    assert cdn_invalidation_paths(keys) == ["/", "/about/", "/about/index.html", "/assets/app%201.css",
                                            "/blog/post.html", "/index.html"]
    assert cdn_invalidation_paths(["site/index.html", "other/x.html"], "site/") == ["/", "/index.html"]
    assert cdn_invalidation_paths(["p%d.html" % n for n in range(16)], threshold=15) == ["/*"]
    assert cdn_invalidation_paths([]) == []


def test_zone_file_names_are_read_and_a_bad_file_names_none():
    text = "$ORIGIN example.com.\n$TTL 300\n@ IN A 192.0.2.1\nwww IN CNAME @\n"
    assert cdn_zone_file_names(text, "example.com") == ["example.com.", "www.example.com."]
    assert cdn_zone_file_names("this is not a zone (", "example.com") == []
