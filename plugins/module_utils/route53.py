# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route 53 names and limits, once: the route53_zone_records module and the dns role's filters both use them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The record types a record set of ours may have (Route 53's RRType list without SOA, which is the zone's own).
RECORD_TYPES = ("A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SPF", "SRV", "SSHFP", "SVCB",
                "TLSA", "TXT")
# The largest TTL Route 53 takes (a signed 32-bit number of seconds).
MAX_TTL = 2147483647


def fqdn(name):
    """Lower case with one final dot; Route 53's \\052 for a leading * read back as *."""
    name = str(name).strip().lower()
    name = name if name.endswith(".") else name + "."
    if name.startswith("\\052"):
        name = "*" + name[4:]
    return name


def name_in_zone(name, zone):
    """A listed name as Route 53 holds it (@ = the apex), or None when it is outside the zone."""
    zone = fqdn(zone)
    if str(name).strip() == "@":
        return zone
    full = fqdn(name)
    return full if full == zone or full.endswith("." + zone) else None
