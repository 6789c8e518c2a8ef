# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cdn role's filters: its input checks, the site's Route 53 records, and the paths to invalidate."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.module_utils.route53 import fqdn, name_in_zone

# The hosted zone every CloudFront distribution's alias records point to.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")


def _covers(certificate_name, name):
    """Does a certificate name (maybe a wildcard) cover ``name``? A wildcard covers one label."""
    certificate_name, name = certificate_name.rstrip(".").lower(), name.rstrip(".").lower()
    if certificate_name.startswith("*."):
        head, _dot, rest = name.partition(".")
        return bool(head) and rest == certificate_name[2:]
    return certificate_name == name


def cdn_certificate_names(aliases, domain="", alternative_names=None):
    """The certificate's names: ``domain`` and ``alternative_names`` when given, else the aliases."""
    aliases = [str(a).rstrip(".").lower() for a in aliases or []]
    if domain:
        return [str(domain).rstrip(".").lower()] + [str(n).rstrip(".").lower() for n in alternative_names or []]
    return aliases


def cdn_checks(values, regions, errors, warnings):
    """The cdn role's own input rules, after the type checks."""
    zone = values.get("cdn_zone") or ""
    aliases = values.get("cdn_aliases") or []
    for index, alias in enumerate(aliases):
        if not zone:
            errors.append("cdn_aliases[%d] is %r but cdn_zone is empty: the site's names need their hosted zone"
                          % (index, alias))
        elif name_in_zone(str(alias), zone) is None:
            errors.append("cdn_aliases[%d] is %r: it is not inside the zone %s (cdn_zone)" % (index, alias, fqdn(zone)))
        elif str(alias).startswith("*"):
            errors.append("cdn_aliases[%d] is %r: a wildcard name cannot get an alias record here; list the names"
                          % (index, alias))
    if len(set(a.rstrip(".").lower() for a in map(str, aliases))) != len(aliases):
        errors.append("cdn_aliases lists a name twice: %s" % ", ".join(map(str, aliases)))
    names = cdn_certificate_names(aliases, values.get("cdn_certificate_domain"),
                                  values.get("cdn_certificate_alternative_names"))
    if not aliases and (values.get("cdn_certificate_domain") or values.get("cdn_certificate_alternative_names")):
        errors.append("cdn_certificate_domain is set but cdn_aliases is empty: the distribution would use "
                      "CloudFront's own certificate")
    for alias in aliases:
        if not any(_covers(name, str(alias)) for name in names):
            errors.append("cdn_aliases names %s but the certificate's names (cdn_certificate_domain, "
                          "cdn_certificate_alternative_names) are %s: none covers it" % (alias, ", ".join(names)))
    if len(names) > 10:
        errors.append("the certificate would hold %d names: ACM allows 10 by default" % len(names))
    price = values.get("cdn_price_class", "PriceClass_100")
    if price not in PRICE_CLASSES:
        errors.append("cdn_price_class is %r: CloudFront's price classes are %s" % (price, ", ".join(PRICE_CLASSES)))
    for name in ("cdn_wait_timeout", "cdn_certificate_wait_timeout", "cdn_wait_delay", "cdn_certificate_wait_delay",
                 "cdn_invalidation_threshold"):
        value = values.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append("%s is %r: a whole number, at least 1" % (name, value))
    for name, example in (("cdn_error_page", "/404.html"), ("cdn_origin_path", "/site")):
        value = values.get(name) or ""
        if value and (not value.startswith("/") or value.endswith("/")):
            errors.append("%s is %r: a path like %s (a leading slash, none at the end)" % (name, value, example))
    taken = values.get("__cdn_dns_names") or []
    for alias in aliases:
        if fqdn(str(alias)) in {fqdn(str(n)) for n in taken}:
            errors.append("cdn_aliases names %s, which the dns role already manages (the droplet's zone file, "
                          "dns_records or dns_app_name): one of the two would undo the other on every run - move the "
                          "name in the cutover instead" % alias)


def cdn_zone_file_names(text, zone):
    """The names of a zone file's record sets; none when it does not parse (the dns role's checks say why)."""
    from ansible_collections.liftoff.aws.plugins.filter.zonefile import zonefile_records  # pylint: disable=import-outside-toplevel

    if not text:
        return []
    try:
        return sorted({r["name"] for r in zonefile_records(text, zone)})
    except AnsibleFilterError:
        return []


def cdn_site_records(aliases, distribution, validation_records=None):
    """Route 53 record sets for the site: the certificate's validation CNAMEs, then an alias A (and AAAA with IPv6)
    to the distribution for each name. No alias while the distribution's name is not known (check mode)."""
    if not isinstance(distribution, Mapping):
        raise AnsibleFilterError("cdn_site_records: the distribution must be a dict (domain_name, ipv6)")
    records = [dict(r) for r in validation_records or []]
    target = distribution.get("domain_name") or ""
    if not target or target.startswith("("):
        return records
    for alias in aliases or []:
        for record_type in ("A", "AAAA") if distribution.get("ipv6", True) else ("A",):
            records.append({"name": fqdn(str(alias)), "type": record_type, "alias": {
                "dns_name": target, "hosted_zone_id": CLOUDFRONT_ZONE_ID, "evaluate_target_health": False}})
    return records


def cdn_invalidation_paths(changed_keys, prefix="", threshold=15, root_object="index.html"):
    """CloudFront paths of the changed S3 keys: below ``prefix`` (the origin's folder), each folder's index.html also as
    the folder itself (``/about/``, and ``/`` for the root object); all of them as ``/*`` above ``threshold``."""
    paths = set()
    for key in changed_keys or []:
        key = str(key)
        if prefix and not key.startswith(prefix):
            continue
        relative = key[len(prefix):]
        paths.add("/" + relative)
        if relative == root_object:
            paths.add("/")
        elif relative.endswith("/index.html"):
            paths.add("/" + relative[:-len("index.html")])
    if len(paths) > int(threshold):
        return ["/*"]
    return sorted(quote(p, safe="/~!$&'()*+,;=:@") for p in paths)


class FilterModule(object):
    def filters(self):
        return {"cdn_site_records": cdn_site_records, "cdn_invalidation_paths": cdn_invalidation_paths,
                "cdn_certificate_names": cdn_certificate_names, "cdn_zone_file_names": cdn_zone_file_names}
