"""The zonefile_records filter on zone files as registrars and BIND write them: what Route 53 would be given for
each, and which lines are refused (by number) before anything is written."""

from __future__ import annotations

import textwrap

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.liftoff.aws.plugins.filter.zonefile import route53_name
from ansible_collections.liftoff.aws.plugins.filter.zonefile import zonefile_records

# A DigitalOcean-style export: $ORIGIN and $TTL, an SOA across lines with comments, apex NS, everything else.
EXPORT = textwrap.dedent("""\
    ; Domain: example.com
    ; Exported (y-m-d hh:mm:ss): 2026-11-30 10:00:00
    $ORIGIN example.com.
    $TTL 1800
    example.com. IN SOA ns1.digitalocean.com. hostmaster.example.com. (
                    1701234567 ; serial
                    10800      ; refresh
                    3600       ; retry
                    604800     ; expire
                    1800 )     ; minimum
    example.com. 1800 IN NS ns1.digitalocean.com.
    example.com. 1800 IN NS ns2.digitalocean.com.
    @            300  IN A    192.0.2.10
                      IN AAAA 2001:db8::10
    www               IN CNAME example.com.
    blog         3600    CNAME @
    mail              IN A    192.0.2.20
    @                 IN MX   10 mail
    @                 IN MX   20 mx.backup-mail.net.
    @                 IN TXT  "v=spf1 mx include:_spf.example.net -all"
    @                 IN CAA  0 issue "letsencrypt.org"
    @                 IN CAA  0 iodef "mailto:security@example.com"
    _sip._tcp         IN SRV  10 60 5060 sip.example.com.
    *.apps            IN A    192.0.2.30
    staging           IN NS   ns1.other-dns.net.
    staging           IN NS   ns2.other-dns.net.
    """)


def _by_key(records):
    return {(r["name"], r["type"]): r for r in records}


def _zone(body, origin="example.com"):
    return zonefile_records("$ORIGIN example.com.\n$TTL 3600\n" + textwrap.dedent(body), origin)


def test_an_export_becomes_one_record_set_per_name_and_type_without_the_apex_soa_and_ns():
    records = _by_key(zonefile_records(EXPORT, "example.com"))
    assert sorted(records) == sorted([
        ("example.com.", "A"), ("example.com.", "AAAA"), ("www.example.com.", "CNAME"), ("blog.example.com.", "CNAME"),
        ("mail.example.com.", "A"), ("example.com.", "MX"), ("example.com.", "TXT"), ("example.com.", "CAA"),
        ("_sip._tcp.example.com.", "SRV"), ("*.apps.example.com.", "A"), ("staging.example.com.", "NS"),
    ])
    # the delegation below the apex is kept, with both servers
    assert records[("staging.example.com.", "NS")]["values"] == ["ns1.other-dns.net.", "ns2.other-dns.net."]


def test_owner_ttl_and_class_carry_over_and_ttl_falls_back_to_the_ttl_directive():
    records = _by_key(zonefile_records(EXPORT, "example.com"))
    # "@ 300 IN A" then a line with no owner and no TTL: the owner carries over, the TTL is $TTL (RFC 2308)
    assert records[("example.com.", "A")]["ttl"] == 300
    assert records[("example.com.", "AAAA")] == {"name": "example.com.", "type": "AAAA", "ttl": 1800,
                                                 "values": ["2001:db8::10"]}
    # no class on the line: IN; an explicit TTL wins
    assert records[("blog.example.com.", "CNAME")] == {"name": "blog.example.com.", "type": "CNAME", "ttl": 3600,
                                                       "values": ["example.com."]}


def test_relative_names_at_and_targets_become_absolute():
    records = _by_key(zonefile_records(EXPORT, "example.com"))
    assert records[("www.example.com.", "CNAME")]["values"] == ["example.com."]
    assert records[("example.com.", "MX")]["values"] == ["10 mail.example.com.", "20 mx.backup-mail.net."]
    assert records[("_sip._tcp.example.com.", "SRV")]["values"] == ["10 60 5060 sip.example.com."]


def test_caa_and_txt_values_are_in_route53_form():
    records = _by_key(zonefile_records(EXPORT, "example.com"))
    caa = records[("example.com.", "CAA")]["values"]
    assert caa == ['0 issue "letsencrypt.org"', '0 iodef "mailto:security@example.com"']
    assert records[("example.com.", "TXT")]["values"] == ['"v=spf1 mx include:_spf.example.net -all"']


def test_origin_switches_and_names_without_an_origin_line_use_the_zone_name():
    records = _by_key(zonefile_records(textwrap.dedent("""\
        $TTL 600
        www IN A 192.0.2.1
        $ORIGIN eu.example.com.
        shop IN A 192.0.2.2
        @ IN A 192.0.2.3
        absolute.example.com. IN A 192.0.2.4
        """), "example.com."))
    assert sorted(records) == [("absolute.example.com.", "A"), ("eu.example.com.", "A"), ("shop.eu.example.com.", "A"),
                               ("www.example.com.", "A")]


def test_a_multi_string_txt_across_lines_keeps_its_strings_and_escapes_quotes():
    records = _zone('''\
        multi IN TXT ( "first part "   ; a comment inside the parentheses
                       "second \\"quoted\\" part" )
        ''')
    assert records == [{"name": "multi.example.com.", "type": "TXT", "ttl": 3600,
                        "values": ['"first part " "second \\"quoted\\" part"']}]


def test_a_txt_string_over_255_octets_is_split_into_255_octet_strings():
    key = "v=DKIM1; k=rsa; p=" + "A" * 400
    records = _zone('dkim._domainkey IN TXT "%s"\n' % key)
    value = records[0]["values"][0]
    strings = value[1:-1].split('" "')
    assert [len(s) for s in strings] == [255, len(key) - 255]
    assert "".join(strings) == key


def test_a_long_string_is_split_by_octets_not_by_escapes():
    # 254 plain octets and then an escaped quote: the split must fall after the quote, not inside "\""
    text = "a" * 254 + '\\"' + "b" * 10
    records = _zone('t IN TXT "%s"\n' % text)
    assert records[0]["values"] == ['"%s\\"" "%s"' % ("a" * 254, "b" * 10)]


def test_only_txt_and_spf_strings_are_split():
    # a CAA value is one string whatever its length: Route 53 takes it whole, so it must not be cut
    long_iodef = "mailto:" + "x" * 260 + "@example.com"
    records = _zone('txt IN CAA 0 iodef "%s"\n' % long_iodef)
    assert records[0]["type"] == "CAA" and records[0]["values"] == ['0 iodef "%s"' % long_iodef]


def test_non_printable_txt_octets_are_octal_as_route53_writes_them():
    records = _zone('t IN TXT "tab\\009here\\\\"\n')
    assert records[0]["values"] == ['"tab\\011here\\\\"']


def test_wildcards_and_escaped_names_use_route53_escapes():
    records = _by_key(_zone('''\
        *.apps IN A 192.0.2.30
        Weird\\ Name IN A 192.0.2.40
        a\\.b IN A 192.0.2.41
        x.*.y IN A 192.0.2.42
        '''))
    assert sorted(records) == [("*.apps.example.com.", "A"), ("a\\056b.example.com.", "A"),
                               ("weird\\040name.example.com.", "A"), ("x.\\052.y.example.com.", "A")]


def test_route53_name_lowercases_and_keeps_underscores_and_hyphens():
    import dns.name

    assert route53_name(dns.name.from_text("_DMARC.Mail-1.Example.COM.")) == "_dmarc.mail-1.example.com."


def test_one_ttl_per_record_set_the_lowest():
    records = _zone('''\
        ok IN A 192.0.2.1
           IN A 192.0.2.2
        ok 60 IN A 192.0.2.3
        ''')
    assert records == [{"name": "ok.example.com.", "type": "A", "ttl": 60,
                        "values": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]}]


def test_a_record_written_twice_is_one_value():
    records = _zone("d IN A 192.0.2.1\nd IN A 192.0.2.1\n")
    assert records[0]["values"] == ["192.0.2.1"]


def test_ttl_units_are_read():
    records = _zone("u 1h30m IN A 192.0.2.1\n")
    assert records[0]["ttl"] == 5400


@pytest.mark.parametrize("body, message", [
    ("www IN CNAME foo\nwww IN A 192.0.2.1\n", "line 3: www.example.com. CNAME beside A"),
    ("x IN FOO 1\n", "line 3: unknown rdatatype 'FOO'"),
    ("y IN A not-an-ip\n", "line 3:"),
    ("foo.other.org. IN A 192.0.2.3\n", "line 3: foo.other.org. is outside the zone example.com."),
    ("@ IN CNAME foo\n", "line 3: example.com. CNAME - Route 53 refuses a CNAME at the zone apex"),
    ("k IN DNSKEY 257 3 8 AwEAAa==\n", "line 3: k.example.com. DNSKEY - Route 53 does not hold DNSKEY records"),
    ("$INCLUDE other.zone\n", "line 3: zone file directive '$INCLUDE' is not allowed"),
    ('z IN TXT "unterminated\n', "line 3:"),
    ("w IN CNAME a\nw IN CNAME b\n", "line 3: w.example.com. has 2 CNAME values"),
    ("sub IN SOA ns1 host 1 2 3 4 5\n", "line 3: sub.example.com. SOA - an SOA belongs only at the apex"),
])
def test_what_route53_cannot_hold_is_refused_by_line(body, message):
    with pytest.raises(AnsibleFilterError) as raised:
        _zone(body)  # _zone writes $ORIGIN and $TTL first: the body starts on line 3
    assert message in str(raised.value)


def test_every_problem_is_reported_at_once_in_line_order():
    with pytest.raises(AnsibleFilterError) as raised:
        _zone("a IN A 192.0.2.1\nk IN NSEC next A\nelsewhere.org. IN A 192.0.2.2\n")
    text = str(raised.value)
    assert text.index("line 4:") < text.index("line 5:")
    assert "NSEC" in text and "elsewhere.org." in text


def test_the_error_names_the_line_a_multi_line_record_starts_on():
    with pytest.raises(AnsibleFilterError) as raised:
        _zone("bad IN SRV ( 10 60\n   notaport sip )\n")
    assert "line 3:" in str(raised.value)


def test_a_record_without_any_ttl_is_refused_unless_a_default_is_given():
    with pytest.raises(AnsibleFilterError, match="line 1"):
        zonefile_records("www IN A 192.0.2.1\n", "example.com")
    assert zonefile_records("www IN A 192.0.2.1\n", "example.com", 600)[0]["ttl"] == 600


@pytest.mark.parametrize("origin", [None, "", "."])
def test_the_zone_name_is_required(origin):
    with pytest.raises(AnsibleFilterError, match="zone's name"):
        zonefile_records("www 60 IN A 192.0.2.1\n", origin)


def test_not_text_is_refused():
    with pytest.raises(AnsibleFilterError, match="text"):
        zonefile_records(["www 60 IN A 192.0.2.1"], "example.com")
