# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dns role's logic: its input checks and the one list of record sets it hands to route53_zone_records."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.zonefile import zonefile_records
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import MAX_TTL
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import RECORD_TYPES
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import fqdn
from ansible_collections.liftoff.aws.plugins.module_utils.route53 import name_in_zone

LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# CloudFront's hosted zone, the same in every partition's commercial regions (Route 53 alias targets).
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


def domain_problem(name):
    """Why ``name`` is not a domain name Route 53 would host, or None."""
    if not isinstance(name, str) or not name.strip(". "):
        return "not a domain name"
    full = fqdn(name)
    if len(full) > 254:
        return "longer than 253 characters"
    labels = full[:-1].split(".")
    if len(labels) < 2:
        return "a single label (a zone is like example.com)"
    for label in labels:
        if not LABEL.match(label):
            return "label %r is not 1-63 letters, digits, hyphens or underscores" % label
    return None


def _ttl_problem(ttl):
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL:
        return "not a TTL in seconds (0 to %d)" % MAX_TTL
    return None


def _record_problems(record, index, zone, where):
    problems = []
    if not isinstance(record, Mapping):
        return ["%s[%d] is not a dict of name, type and values (or alias)" % (where, index)]
    label = "%s[%d] (%s %s)" % (where, index, record.get("name"), record.get("type"))
    if name_in_zone(record.get("name", ""), zone) is None:
        problems.append("%s: the name is not inside the zone %s" % (label, fqdn(zone)))
    if record.get("type") not in RECORD_TYPES:
        problems.append("%s: type must be one of %s" % (label, ", ".join(RECORD_TYPES)))
    has_values, has_alias = bool(record.get("values")), bool(record.get("alias"))
    if has_values == has_alias:
        problems.append("%s: give either values (a list) or alias, not both or neither" % label)
    if has_values and (isinstance(record["values"], (str, bytes)) or not isinstance(record["values"], list)):
        problems.append("%s: values must be a list of strings" % label)
    if has_alias:
        alias = record["alias"]
        if not isinstance(alias, Mapping) or not alias.get("dns_name") or not alias.get("hosted_zone_id"):
            problems.append("%s: alias needs dns_name and hosted_zone_id" % label)
        if record.get("type") not in ("A", "AAAA"):
            problems.append("%s: an alias record is A or AAAA" % label)
    if "ttl" in record and _ttl_problem(record["ttl"]):
        problems.append("%s: ttl %r is %s" % (label, record["ttl"], _ttl_problem(record["ttl"])))
    return problems


def dns_checks(values, regions, errors, warnings):
    """The dns role's own input rules, after the type checks (its hook passes the zone file's text too)."""
    if values.get("dns_state", "present") != "present" and not values.get("dns_zone"):
        return
    zone = values.get("dns_zone")
    problem = domain_problem(zone)
    if problem:
        errors.append("dns_zone is %r: %s" % (zone, problem))
        return
    for name in ("dns_max_ttl", "dns_zone_file_default_ttl"):
        if values.get(name) is not None and _ttl_problem(values[name]):
            errors.append("%s is %r: %s" % (name, values[name], _ttl_problem(values[name])))
    timeout = values.get("dns_wait_timeout", 300)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        errors.append("dns_wait_timeout is %r: seconds, at least 1" % (timeout,))
    for index, record in enumerate(values.get("dns_records") or []):
        errors.extend(_record_problems(record, index, zone, "dns_records"))
    app = values.get("dns_app_name") or ""
    if app and name_in_zone(app, zone) is None:
        errors.append("dns_app_name is %r: it is not inside the zone %s (dns_zone)" % (app, fqdn(zone)))
    for index, address in enumerate(values.get("dns_app_addresses") or []):
        try:
            ipaddress.ip_address(str(address))
        except ValueError:
            errors.append("dns_app_addresses[%d] is %r: not an IP address" % (index, address))
    path = values.get("dns_zone_file") or ""
    if path:
        text = values.get("__dns_zone_file_text")
        if text is None:
            errors.append("dns_zone_file is %r: no such file on the controller" % path)
        else:
            try:
                zonefile_records(text, zone, values.get("dns_zone_file_default_ttl"))
            except AnsibleFilterError as error:
                errors.append("dns_zone_file %s: %s" % (path, error))


def _app_records(zone, app):
    """The app's record sets: an alias to the load balancer (A, and AAAA when it is dual-stack) or A/AAAA records
    of the hosts' addresses. Empty while the target is not known yet (a check run before the compute step made it)."""
    name = name_in_zone(app.get("name") or "", zone)
    if not name:
        return []
    if app.get("target") == "load_balancer":
        if not app.get("dns_name") or not app.get("zone_id"):
            return []
        alias = {"dns_name": app["dns_name"], "hosted_zone_id": app["zone_id"], "evaluate_target_health": True}
        types = ["A", "AAAA"] if app.get("dualstack") else ["A"]
        return [{"name": name, "type": t, "alias": alias} for t in types]
    if app.get("target") == "hosts":
        addresses = [ipaddress.ip_address(str(a)) for a in app.get("addresses") or [] if str(a)]
        records = []
        for rtype, version in (("A", 4), ("AAAA", 6)):
            chosen = sorted({str(a) for a in addresses if a.version == version})
            if chosen:
                records.append({"name": name, "type": rtype, "ttl": int(app.get("ttl") or 300), "values": chosen})
        return records
    return []


def dns_record_sets(imported, zone, records=None, app=None):
    """One list: the zone file's record sets, then ``records``, then the app's; a later set of the same name and
    type replaces an earlier one, and an imported set it cannot sit beside (a CNAME beside anything). Returns
    ``record_sets`` (each with ``name`` in Route 53's form) and ``replaced``
    (the imported sets a later entry replaced, as ``name type``)."""
    if not isinstance(imported, list):
        raise AnsibleFilterError("dns_record_sets expects the imported record sets as a list")
    chosen, origin, replaced = {}, {}, []
    sources = [("zone file", imported), ("dns_records", records or []), ("dns_app_name", _app_records(zone, app or {}))]
    for source, entries in sources:
        for entry in entries:
            name = name_in_zone(entry["name"], zone)
            if name is None:
                raise AnsibleFilterError("%s: %s is not inside the zone %s" % (source, entry["name"], fqdn(zone)))
            key = (name, entry["type"])
            if source != "zone file":
                # an imported set this entry replaces, or cannot sit beside (a CNAME and anything else)
                for other in [k for k in chosen if k[0] == name and origin[k] == "zone file"]:
                    if other == key or "CNAME" in (other[1], entry["type"]):
                        replaced.append("%s %s" % other)
                        del chosen[other]
            chosen[key] = dict(entry, name=name)
            origin[key] = source
    return {"record_sets": [chosen[key] for key in sorted(chosen)], "replaced": sorted(replaced)}


class FilterModule(object):
    def filters(self):
        return {"dns_record_sets": dns_record_sets}
