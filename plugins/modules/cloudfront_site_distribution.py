#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudfront_site_distribution
short_description: A CloudFront distribution for a static site in a private S3 bucket (origin access control)
version_added: 0.6.0
description:
  - Makes, updates, disables or deletes one CloudFront distribution in front of an S3 bucket reached through origin
    access control (O(origin_access_control_id)) - HTTPS only (HTTP redirected), a minimum TLS version, HTTP/2 and
    HTTP/3, IPv6, compression, a cache policy and a response headers policy (by default AWS's managed
    C(CachingOptimized) and C(SecurityHeadersPolicy) - HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
    X-XSS-Protection), a default root object, an optional viewer-request function (like one that serves C(index.html)
    for folder URLs), a single-page-app fallback or an error page, a price class, and standard logging.
  - The distribution is found by O(comment) among the distributions that carry O(owner_tags). A no-op run reads
    three times (C(ListDistributions), one C(ListTagsForResource) per distribution of that comment,
    C(GetDistributionConfig)) and writes nothing; an update sends the configuration back with its ETag, keeping
    every setting the module does not manage as it was.
  - It does not wait for a deployment (minutes on AWS); RV(status) says C(InProgress) or C(Deployed), and the cdn
    role polls until C(Deployed) with a timeout, printing each try.
  - V(absent) disables the distribution first; CloudFront deletes only a disabled distribution that is deployed, so
    the module deletes it once RV(status) is C(Deployed) and says C(disabling) until then (run it again). A
    distribution without O(owner_tags) is never touched.
  - Check mode and diff - the managed settings before and after.
  - Why a module of our own - community.aws.cloudfront_distribution (10.x) has no origin access control option (its
    code never names one) and no check mode (C(supports_check_mode=False)); ansible-collections/community.aws#1819
    reports that it does not recognise an S3 origin.
author:
  - liftoff maintainers (@liftoff)
options:
  comment:
    description: The distribution's comment, its name here (at most 128 characters).
    type: str
    required: true
  owner_tags:
    description: Tags that mark the distribution as the module's. O(tags) must include them.
    type: dict
    required: true
  tags:
    description: The distribution's tags.
    type: dict
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  state:
    description: V(present) makes or updates it; V(absent) disables it, then deletes it once deployed.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description: Whether the distribution serves requests.
    type: bool
    default: true
  origin_domain_name:
    description: The bucket's regional domain name, like C(demo-site.s3.eu-west-1.amazonaws.com). Required with V(present).
    type: str
  origin_path:
    description: A folder of the bucket the site lives in, like C(/site); empty - the bucket's root.
    type: str
    default: ""
  origin_access_control_id:
    description: The origin access control CloudFront signs its requests to the bucket with. Required with V(present).
    type: str
  aliases:
    description: The site's names (CNAMEs), like C(example.com) and C(www.example.com). They need O(certificate_arn).
    type: list
    elements: str
    default: []
  certificate_arn:
    description: An ACM certificate of C(us-east-1) covering O(aliases); empty - CloudFront's own C(*.cloudfront.net).
    type: str
    default: ""
  minimum_protocol_version:
    description: The oldest TLS viewers may use (with O(certificate_arn); CloudFront's own certificate allows TLSv1).
    type: str
    choices: [TLSv1.2_2021, TLSv1.2_2019, TLSv1.2_2018, TLSv1.2_2025, TLSv1.3_2025]
    default: TLSv1.2_2021
  http_version:
    description: The HTTP versions viewers may use.
    type: str
    choices: [http1.1, http2, http3, http2and3]
    default: http2and3
  ipv6:
    description: Answer over IPv6 too.
    type: bool
    default: true
  compress:
    description: Compress text responses (gzip, Brotli) for viewers that accept it.
    type: bool
    default: true
  price_class:
    description: Which edge locations serve - V(PriceClass_100) (North America, Europe), V(PriceClass_200) (and Asia,
      Middle East, Africa), V(PriceClass_All).
    type: str
    choices: [PriceClass_100, PriceClass_200, PriceClass_All]
    default: PriceClass_100
  default_root_object:
    description: What C(/) serves.
    type: str
    default: index.html
  viewer_request_function_arn:
    description: A published CloudFront Function run on each viewer request; empty - none.
    type: str
    default: ""
  spa_fallback:
    description: Answer 403 and 404 from the bucket with C(/index.html) and status 200 (single-page apps).
    type: bool
    default: false
  error_page:
    description: Without O(spa_fallback) - answer 403 and 404 with this page (like C(/404.html)) and status 404; empty - none.
    type: str
    default: ""
  cache_policy_id:
    description: The default behavior's cache policy; by default AWS's managed C(CachingOptimized).
    type: str
    default: 658327ea-f89d-4fab-a63d-7e88639e58f6
  response_headers_policy_id:
    description: The response headers policy; by default AWS's managed C(SecurityHeadersPolicy).
    type: str
    default: 67f7725c-6f97-4210-82d7-5512b31e9d03
  web_acl_id:
    description: A WAF web ACL (its ARN); empty - none.
    type: str
    default: ""
  logging_bucket:
    description:
      - Standard logging to this bucket's domain, like C(demo-logs.s3.amazonaws.com); empty - none. CloudFront's
        standard logging writes with ACLs, so that bucket must have them enabled (object ownership not
        C(BucketOwnerEnforced)).
    type: str
    default: ""
  logging_prefix:
    description: Key prefix of the log files.
    type: str
    default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The site's distribution
  liftoff.aws.cloudfront_site_distribution:
    comment: liftoff demo-prod site
    owner_tags: {Project: demo, ManagedBy: liftoff, LiftoffRole: cdn}
    tags: {Project: demo, ManagedBy: liftoff, LiftoffRole: cdn}
    origin_domain_name: demo-prod-site.s3.eu-west-1.amazonaws.com
    origin_access_control_id: "{{ oac.origin_access_control.id }}"
    aliases: [example.com, www.example.com]
    certificate_arn: "{{ cert.certificate_arn }}"
    viewer_request_function_arn: "{{ index_function.function_arn }}"
    error_page: /404.html
  register: site
"""

RETURN = r"""
distribution:
  description: The distribution (empty when absent or deleted; no C(id) yet in check mode for a new one).
  returned: always
  type: dict
  sample:
    id: E2EXAMPLE0001
    arn: arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE0001
    domain_name: d111111abcdef8.cloudfront.net
    hosted_zone_id: Z2FDTNDATAQYW2
    ipv6: true
status:
  description: C(InProgress) while CloudFront deploys a change, C(Deployed) once every edge has it, C(disabling) or
    C(deleted) with V(absent), empty when there is none.
  returned: always
  type: str
  sample: Deployed
"""

import hashlib
import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import ensure_tags
from ansible_collections.liftoff.aws.plugins.module_utils.core import is_owned
from ansible_collections.liftoff.aws.plugins.module_utils.core import owner_tags_of
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state
from ansible_collections.liftoff.aws.plugins.module_utils.core import wanted_tags

ORIGIN_ID = "s3-site"
# Every CloudFront distribution's alias records point to this hosted zone.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
# A static site is only read: the default behavior allows and caches these alone.
READ_METHODS = ("HEAD", "GET")


def _items(values):
    values = list(values)
    return {"Quantity": len(values), "Items": values} if values else {"Quantity": 0}


def _listed(field):
    return list((field or {}).get("Items") or [])


def desired_parts(params):
    """The settings the module manages, in CloudFront's shape."""
    if params["spa_fallback"]:
        errors = [{"ErrorCode": code, "ResponsePagePath": "/index.html", "ResponseCode": "200", "ErrorCachingMinTTL": 10}
                  for code in (403, 404)]
    elif params["error_page"]:
        errors = [{"ErrorCode": code, "ResponsePagePath": params["error_page"], "ResponseCode": "404",
                   "ErrorCachingMinTTL": 10} for code in (403, 404)]
    else:
        errors = []
    functions = []
    if params["viewer_request_function_arn"]:
        functions = [{"FunctionARN": params["viewer_request_function_arn"], "EventType": "viewer-request"}]
    if params["certificate_arn"]:
        certificate = {"ACMCertificateArn": params["certificate_arn"], "SSLSupportMethod": "sni-only",
                       "MinimumProtocolVersion": params["minimum_protocol_version"], "CloudFrontDefaultCertificate": False}
    else:
        certificate = {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1"}
    return {
        "Comment": params["comment"],
        "Enabled": params["enabled"],
        "Aliases": _items(sorted(a.rstrip(".").lower() for a in params["aliases"])),
        "DefaultRootObject": params["default_root_object"],
        "Origin": {"Id": ORIGIN_ID, "DomainName": params["origin_domain_name"], "OriginPath": params["origin_path"],
                   "S3OriginConfig": {"OriginAccessIdentity": ""},
                   "OriginAccessControlId": params["origin_access_control_id"]},
        "Behavior": {"TargetOriginId": ORIGIN_ID, "ViewerProtocolPolicy": "redirect-to-https",
                     "AllowedMethods": {"Quantity": 2, "Items": list(READ_METHODS),
                                        "CachedMethods": {"Quantity": 2, "Items": list(READ_METHODS)}},
                     "Compress": params["compress"], "CachePolicyId": params["cache_policy_id"],
                     "ResponseHeadersPolicyId": params["response_headers_policy_id"],
                     "FunctionAssociations": _items(functions)},
        "CustomErrorResponses": _items(errors),
        "Logging": {"Enabled": bool(params["logging_bucket"]), "IncludeCookies": False,
                    "Bucket": params["logging_bucket"], "Prefix": params["logging_prefix"]},
        "PriceClass": params["price_class"],
        "ViewerCertificate": certificate,
        "WebACLId": params["web_acl_id"],
        "HttpVersion": params["http_version"],
        "IsIPV6Enabled": params["ipv6"],
    }


def view(config):
    """The managed settings of a distribution's configuration, in one comparable form (CloudFront adds defaults)."""
    if not config:
        return {}
    origins = _listed(config.get("Origins"))
    origin = next((o for o in origins if o.get("Id") == ORIGIN_ID), origins[0] if origins else {})
    behavior = config.get("DefaultCacheBehavior") or {}
    certificate = config.get("ViewerCertificate") or {}
    logging = config.get("Logging") or {}
    return {
        "comment": config.get("Comment", ""),
        "enabled": bool(config.get("Enabled")),
        "aliases": sorted(_listed(config.get("Aliases"))),
        "default_root_object": config.get("DefaultRootObject", ""),
        "origin": {"domain_name": origin.get("DomainName", ""), "path": origin.get("OriginPath", ""),
                   "origin_access_control_id": origin.get("OriginAccessControlId", ""),
                   "origin_access_identity": (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity"),
                   "origins": len(origins)},
        "viewer_protocol_policy": behavior.get("ViewerProtocolPolicy", ""),
        "allowed_methods": sorted(_listed(behavior.get("AllowedMethods"))),
        "compress": bool(behavior.get("Compress")),
        "cache_policy_id": behavior.get("CachePolicyId", ""),
        "response_headers_policy_id": behavior.get("ResponseHeadersPolicyId") or "",
        "functions": sorted((f["EventType"], f["FunctionARN"]) for f in _listed(behavior.get("FunctionAssociations"))),
        "error_responses": sorted((int(e["ErrorCode"]), e.get("ResponsePagePath", ""), str(e.get("ResponseCode", "")),
                                   int(e.get("ErrorCachingMinTTL", 0))) for e in _listed(config.get("CustomErrorResponses"))),
        "logging": {"enabled": bool(logging.get("Enabled")), "bucket": logging.get("Bucket", "") if logging.get("Enabled") else "",
                    "prefix": logging.get("Prefix", "") if logging.get("Enabled") else ""},
        "price_class": config.get("PriceClass", ""),
        "certificate": certificate.get("ACMCertificateArn", "") if not certificate.get("CloudFrontDefaultCertificate") else "",
        "minimum_protocol_version": certificate.get("MinimumProtocolVersion", ""),
        "web_acl_id": config.get("WebACLId", ""),
        "http_version": config.get("HttpVersion", ""),
        "ipv6": bool(config.get("IsIPV6Enabled")),
    }


def merged_config(current, parts, owner_tags=None):
    """``current`` (or a new distribution's defaults) with the managed settings of ``parts`` put in.

    A new one's CallerReference is its comment and owner tags hashed: a retried create cannot make a second one."""
    reference = json.dumps([parts["Comment"], sorted((owner_tags or {}).items())])
    config = dict(current) if current else {
        "CallerReference": hashlib.sha256(reference.encode()).hexdigest()[:32],
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "CacheBehaviors": {"Quantity": 0}, "OriginGroups": {"Quantity": 0},
    }
    for key in ("Comment", "Enabled", "Aliases", "DefaultRootObject", "CustomErrorResponses", "Logging", "PriceClass",
                "WebACLId", "HttpVersion", "IsIPV6Enabled"):
        config[key] = parts[key]
    others = [o for o in _listed(config.get("Origins")) if o.get("Id") != ORIGIN_ID]
    previous = next((o for o in _listed(config.get("Origins")) if o.get("Id") == ORIGIN_ID), {})
    origin = dict(previous, **parts["Origin"])
    origin.setdefault("CustomHeaders", {"Quantity": 0})
    origin.pop("CustomOriginConfig", None)
    config["Origins"] = _items([origin] + others)
    behavior = dict(config.get("DefaultCacheBehavior") or {}, **parts["Behavior"])
    # A cache policy replaces the legacy TTL and forwarding settings; CloudFront refuses both at once.
    for legacy in ("ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"):
        behavior.pop(legacy, None)
    config["DefaultCacheBehavior"] = behavior
    config["ViewerCertificate"] = dict(parts["ViewerCertificate"])
    return config


@aws_error_handler("list the distributions")
def find(client, comment, owner_tags):
    """(summary, tags) of the module's distribution of that comment, or (None, {})."""
    for summary in (paginate_all(client, "list_distributions", "DistributionList") or {}).get("Items") or []:
        if summary.get("Comment") != comment:
            continue
        tags = {t["Key"]: t.get("Value", "") for t in client.list_tags_for_resource(
            aws_retry=True, Resource=summary["ARN"])["Tags"].get("Items", [])}
        if is_owned(tags, owner_tags):
            return summary, tags
    return None, {}


@aws_error_handler("read the configuration of distribution {distribution_id}")
def read_config(client, distribution_id):
    answer = client.get_distribution_config(aws_retry=True, Id=distribution_id)
    return answer["DistributionConfig"], answer["ETag"]


@aws_error_handler("create the distribution {config[Comment]}")
def create(client, config, tags):
    answer = client.create_distribution_with_tags(aws_retry=True, DistributionConfigWithTags={
        "DistributionConfig": config, "Tags": {"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}})
    return answer["Distribution"]


@aws_error_handler("update distribution {distribution_id}")
def update(client, distribution_id, config, etag):
    return client.update_distribution(aws_retry=True, Id=distribution_id, IfMatch=etag, DistributionConfig=config)


@delete_or_gone("delete distribution {distribution_id}", codes=("NoSuchDistribution",))
def delete(client, distribution_id, etag):
    client.delete_distribution(aws_retry=True, Id=distribution_id, IfMatch=etag)


def _returned(distribution, status):
    if not distribution:
        return {"distribution": {}, "status": status}
    return {"distribution": {"id": distribution.get("Id", KNOWN_AFTER_CREATION),
                             "arn": distribution.get("ARN", KNOWN_AFTER_CREATION),
                             "domain_name": distribution.get("DomainName", KNOWN_AFTER_CREATION),
                             "hosted_zone_id": CLOUDFRONT_ZONE_ID,
                             "ipv6": bool(distribution.get("IsIPV6Enabled", True))},
            "status": status}


def ensure_present(module, client):
    params = module.params
    tags, purge = wanted_tags(module, "the distribution " + params["comment"])
    summary, found_tags = find(client, params["comment"], owner_tags_of(module))
    parts = desired_parts(params)
    if summary is None:
        config = merged_config(None, parts, owner_tags_of(module))
        distribution = {} if module.check_mode else create(client, config, tags or {})
        return result(module, True, {}, view(config), **_returned(
            distribution or {"IsIPV6Enabled": params["ipv6"]}, distribution.get("Status", "") if distribution else ""))
    current, etag = read_config(client, summary["Id"])
    config = merged_config(current, parts)
    changed = view(current) != view(config)
    status = summary.get("Status", "")
    if changed and not module.check_mode:
        status = update(client, summary["Id"], config, etag)["Distribution"]["Status"]
    tags_changed, after_tags = ensure_tags(
        module, found_tags, tags, purge,
        lambda add: client.tag_resource(aws_retry=True, Resource=summary["ARN"], Tags={
            "Items": [{"Key": k, "Value": v} for k, v in sorted(add.items())]}),
        lambda keys: client.untag_resource(aws_retry=True, Resource=summary["ARN"], TagKeys={"Items": keys}))
    before, after = dict(view(current), tags=found_tags), dict(view(config), tags=after_tags)
    return result(module, changed or tags_changed, before, after,
                  **_returned(dict(summary, IsIPV6Enabled=params["ipv6"]), status))


def ensure_absent(module, client):
    params = module.params
    summary, _tags = find(client, params["comment"], owner_tags_of(module))
    if summary is None:
        return result(module, False, {}, {}, **_returned(None, ""))
    current, etag = read_config(client, summary["Id"])
    before = view(current)
    if current.get("Enabled"):
        status = "disabling"
        if not module.check_mode:
            update(client, summary["Id"], dict(current, Enabled=False), etag)
        return result(module, True, before, dict(before, enabled=False), **_returned(summary, status))
    if summary.get("Status") != "Deployed":
        return result(module, False, before, before, **_returned(summary, "disabling"))
    if not module.check_mode:
        delete(client, summary["Id"], etag)
    return result(module, True, before, {}, **_returned(None, "deleted"))


def check_params(module):
    params = module.params
    if params["state"] == "present":
        for name in ("origin_domain_name", "origin_access_control_id"):
            if not params[name]:
                module.fail_json(msg="%s is required with state=present" % name)
        if params["aliases"] and not params["certificate_arn"]:
            module.fail_json(msg="aliases %s need certificate_arn: CloudFront serves other names only with a "
                             "certificate that covers them" % ", ".join(params["aliases"]))
        if params["certificate_arn"] and ":acm:us-east-1:" not in params["certificate_arn"]:
            module.fail_json(msg="certificate_arn %s is not of us-east-1: CloudFront uses ACM certificates of "
                             "us-east-1 only" % params["certificate_arn"])
        if params["origin_path"] and (not params["origin_path"].startswith("/") or params["origin_path"].endswith("/")):
            module.fail_json(msg="origin_path %r: a folder like /site (a leading slash, none at the end)"
                             % params["origin_path"])
        if params["default_root_object"].startswith("/"):
            module.fail_json(msg="default_root_object %r has no leading slash (like index.html)"
                             % params["default_root_object"])
        if params["error_page"] and not params["error_page"].startswith("/"):
            module.fail_json(msg="error_page %r starts with a slash (like /404.html)" % params["error_page"])
    if len(params["comment"]) > 128:
        module.fail_json(msg="comment is %d characters: at most 128" % len(params["comment"]))
    if not params["owner_tags"]:
        module.fail_json(msg="owner_tags is empty: without them any distribution of that comment would count as ours")


def main():
    argument_spec = dict(
        comment=dict(type="str", required=True),
        owner_tags=dict(type="dict", required=True),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        enabled=dict(type="bool", default=True),
        origin_domain_name=dict(type="str"),
        origin_path=dict(type="str", default=""),
        origin_access_control_id=dict(type="str"),
        aliases=dict(type="list", elements="str", default=[]),
        certificate_arn=dict(type="str", default=""),
        minimum_protocol_version=dict(type="str", default="TLSv1.2_2021", choices=[
            "TLSv1.2_2021", "TLSv1.2_2019", "TLSv1.2_2018", "TLSv1.2_2025", "TLSv1.3_2025"]),
        http_version=dict(type="str", choices=["http1.1", "http2", "http3", "http2and3"], default="http2and3"),
        ipv6=dict(type="bool", default=True),
        compress=dict(type="bool", default=True),
        price_class=dict(type="str", choices=["PriceClass_100", "PriceClass_200", "PriceClass_All"],
                         default="PriceClass_100"),
        default_root_object=dict(type="str", default="index.html"),
        viewer_request_function_arn=dict(type="str", default=""),
        spa_fallback=dict(type="bool", default=False),
        error_page=dict(type="str", default=""),
        cache_policy_id=dict(type="str", default="658327ea-f89d-4fab-a63d-7e88639e58f6"),
        response_headers_policy_id=dict(type="str", default="67f7725c-6f97-4210-82d7-5512b31e9d03"),
        web_acl_id=dict(type="str", default=""),
        logging_bucket=dict(type="str", default=""),
        logging_prefix=dict(type="str", default=""),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    check_params(module)
    run_state(module, ensure_present, ensure_absent, aws_client(module, "cloudfront"))


if __name__ == "__main__":
    main()
