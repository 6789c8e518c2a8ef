# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A BIND zone file (what DigitalOcean, Linode and most registrars export) turned into Route 53 record sets.

dnspython's zone reader parses the file; this filter's own work is what Route 53 wants of the result: one
record set per name and type with one TTL, values in Route 53's text form, names in its escape form, the apex
SOA and NS left to Route 53, and records Route 53 cannot hold refused by line before anything is written.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.module_utils.route53 import RECORD_TYPES

try:
    import dns.exception
    import dns.name
    import dns.rdataclass
    import dns.rdatatype
    import dns.tokenizer
    import dns.ttl
    import dns.zonefile
except ImportError:  # pragma: no cover - reported when the filter is used
    HAS_DNSPYTHON = False
    _TOKENIZER = object
    _READER = object
else:
    HAS_DNSPYTHON = True
    _TOKENIZER = dns.tokenizer.Tokenizer
    _READER = dns.zonefile.Reader

# The record types Route 53 holds (its ChangeResourceRecordSets RRType list): ours, and the zone's own SOA.
ROUTE53_TYPES = RECORD_TYPES + ("SOA",)
# Character strings of these types are split at 255 octets (RFC 1035 3.3); Route 53 refuses a longer one.
STRING_TYPES = ("TXT", "SPF")
MAX_STRING = 255
# Route 53 writes every octet of a name outside a-z, 0-9, hyphen and underscore as a three-digit octal escape.
PLAIN_NAME_OCTETS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")
WHERE = re.compile(r"^zonefile:\d+: ")


class ZoneLineError(Exception):
    def __init__(self, line, message):
        super().__init__("line %d: %s" % (line, message))
        self.line = line


def _escape_octets(octets, escape="\\%03d"):
    """Octets as a quoted string's body: a quote or backslash escaped, other non-printable octets as ``escape``
    (decimal, how zone files and the tokenizer write them; Route 53 writes octal)."""
    out = []
    for octet in octets:
        if octet in (0x22, 0x5C):
            out.append("\\" + chr(octet))
        elif 0x20 <= octet < 0x7F:
            out.append(chr(octet))
        else:
            out.append(escape % octet)
    return "".join(out)


class _Tokenizer(_TOKENIZER):
    """Splits a quoted string of more than 255 octets on a TXT or SPF line into 255-octet strings.

    A zone export often writes a DKIM key as one long string; RFC 1035 caps a character string at 255 octets,
    so the record is the same data as the split strings DNS would serve.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending = []
        self._line = []
        self._at_start = True

    def _line_type(self):
        """The record type of the line so far: the first token after owner, TTL and class."""
        for value in self._line[1:]:
            if value is None:
                continue
            upper = value.upper()
            if upper in ("IN", "CH", "HS", "CS") or upper.startswith("CLASS"):
                continue
            try:
                dns.ttl.from_text(value)
                continue
            except dns.exception.DNSException:
                return upper
        return None

    def get(self, want_leading=False, want_comment=False):
        if self.ungotten_token is not None:
            return super().get(want_leading, want_comment)
        if self._pending:
            return self._pending.pop(0)
        token = super().get(want_leading, want_comment)
        if token.is_eol_or_eof():
            self._line, self._at_start = [], True
            return token
        if self._at_start:
            # the owner's slot: None when the line starts with blanks (the owner carries over)
            self._line.append(None if token.is_whitespace() else token.value)
            self._at_start = False
            if token.is_whitespace():
                return token
        elif token.is_identifier():
            self._line.append(token.value)
        if token.is_quoted_string() and self._line_type() in STRING_TYPES:
            octets = token.unescape_to_bytes().value
            if len(octets) > MAX_STRING:
                chunks = [octets[i:i + MAX_STRING] for i in range(0, len(octets), MAX_STRING)]
                tokens = [dns.tokenizer.Token(dns.tokenizer.QUOTED_STRING, _escape_octets(c), True) for c in chunks]
                self._pending = tokens[1:]
                return tokens[0]
        return token


class _Manager(object):
    """What the reader asks of a zone: its origin. The root, so no line is dropped as outside the zone."""

    def origin_information(self):
        return (dns.name.root, False, dns.name.root)


class _Collector(object):
    """The reader's transaction: every record with the line it started on, nothing merged yet."""

    def __init__(self):
        self.manager = _Manager()
        self.records = []
        self.line = 0

    def check_put_rdataset(self, check):
        pass

    def _set_origin(self, origin):
        pass

    def add(self, name, ttl, rdata):
        self.records.append((self.line, name, ttl, rdata))


class _Reader(_READER):
    def _rr_line(self):
        start = self.tok.line_number
        self.txn.line = start
        try:
            super()._rr_line()
        except dns.exception.DNSException as error:
            raise ZoneLineError(start, WHERE.sub("", str(error)) or type(error).__name__)


def route53_name(name):
    """A dnspython name as Route 53 writes it: lower case, octal escapes, a leading * kept, a final dot."""
    labels = []
    for index, label in enumerate(name.labels[:-1] if name.is_absolute() else name.labels):
        if index == 0 and label == b"*":
            labels.append("*")
            continue
        labels.append("".join(chr(o) if o in PLAIN_NAME_OCTETS else "\\%03o" % o for o in label.lower()))
    return ".".join(labels) + "."


def _string_value(rdata):
    """TXT/SPF strings in Route 53's form: each quoted, a quote or backslash escaped, other octets octal."""
    return " ".join('"%s"' % _escape_octets(string, "\\%03o") for string in rdata.strings)


def _value(rtype, rdata):
    if rtype in STRING_TYPES:
        return _string_value(rdata)
    return rdata.to_text(origin=None, relativize=False)


def _origin(origin):
    if not origin or not str(origin).strip(". "):
        raise AnsibleFilterError("zonefile_records needs the zone's name (origin), like example.com")
    try:
        return dns.name.from_text(str(origin).strip())
    except dns.exception.DNSException as error:
        raise AnsibleFilterError("zone name %r is not a domain name: %s" % (origin, error))


def _read(text, zone, default_ttl):
    collector = _Collector()
    tokenizer = _Tokenizer(text, "zonefile")
    reader = _Reader(tokenizer, dns.rdataclass.IN, collector, allow_include=False, default_ttl=default_ttl)
    reader.current_origin = zone
    try:
        reader.read()
    except ZoneLineError:
        raise
    except dns.exception.DNSException as error:
        raise ZoneLineError(tokenizer.line_number, WHERE.sub("", str(error)) or type(error).__name__)
    return collector.records


def zonefile_records(text, origin, default_ttl=None):
    """The zone file's record sets as Route 53 takes them: name, type, ttl (the lowest of the set's), values.

    Refuses, by line: a line that does not parse, $INCLUDE, a name outside the zone, a type Route 53 does not
    hold, a CNAME beside other data or at the apex, a second CNAME value. The apex SOA and NS are left out
    (Route 53 writes its own); NS records below the apex (delegations) are kept. ``default_ttl`` is the TTL of
    a record that has none when the file has no $TTL line either (without it such a record is refused).
    """
    if not HAS_DNSPYTHON:
        raise AnsibleFilterError("zonefile_records needs the dnspython library on the controller (pip install dnspython)")
    if not isinstance(text, str):
        raise AnsibleFilterError("zonefile_records expects the zone file's text, not %s" % type(text).__name__)
    zone = _origin(origin)
    if default_ttl is not None and (not str(default_ttl).isdigit() or int(default_ttl) > 2147483647):
        raise AnsibleFilterError("default_ttl %r is not a TTL in seconds (0 to 2147483647)" % (default_ttl,))
    try:
        records = _read(text, zone, None if default_ttl is None else int(default_ttl))
    except ZoneLineError as error:
        raise AnsibleFilterError("zone file for %s does not parse: %s" % (zone.to_text(), error))
    problems, sets, first_line = [], {}, {}
    for line, name, ttl, rdata in records:
        rtype = dns.rdatatype.to_text(rdata.rdtype)
        shown = name.to_text()
        if not name.is_subdomain(zone):
            problems.append("line %d: %s is outside the zone %s" % (line, shown, zone.to_text()))
            continue
        if rtype not in ROUTE53_TYPES:
            problems.append("line %d: %s %s - Route 53 does not hold %s records" % (line, shown, rtype, rtype))
            continue
        if name == zone and rtype in ("SOA", "NS"):
            continue  # Route 53 makes the apex SOA and NS of its zone itself
        if rtype == "SOA":
            problems.append("line %d: %s SOA - an SOA belongs only at the apex" % (line, shown))
            continue
        key = (route53_name(name), rtype)
        entry = sets.setdefault(key, {"name": key[0], "type": rtype, "ttl": int(ttl), "values": []})
        first_line.setdefault(key, line)
        entry["ttl"] = min(entry["ttl"], int(ttl))
        value = _value(rtype, rdata)
        if value not in entry["values"]:
            entry["values"].append(value)
    by_name = {}
    for (name, rtype) in sets:
        by_name.setdefault(name, []).append(rtype)
    apex = route53_name(zone)
    for (name, rtype), entry in sorted(sets.items()):
        if rtype != "CNAME":
            continue
        line = first_line[(name, rtype)]
        others = sorted(t for t in by_name[name] if t != "CNAME")
        if name == apex:
            problems.append("line %d: %s CNAME - Route 53 refuses a CNAME at the zone apex (use an alias record)"
                            % (line, name))
        elif others:
            problems.append("line %d: %s CNAME beside %s - a CNAME cannot share its name with other records"
                            % (line, name, ", ".join(others)))
        if len(entry["values"]) > 1:
            problems.append("line %d: %s has %d CNAME values - a name has at most one" % (line, name, len(entry["values"])))
    if problems:
        raise AnsibleFilterError("zone file for %s: %s" % (zone.to_text(), "; ".join(sorted(set(problems), key=_line_order))))
    return [sets[key] for key in sorted(sets)]


def _line_order(problem):
    match = re.match(r"line (\d+)", problem)
    return (int(match.group(1)) if match else 0, problem)


class FilterModule(object):
    def filters(self):
        return {"zonefile_records": zonefile_records}
