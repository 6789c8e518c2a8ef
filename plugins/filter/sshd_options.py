# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`sshd_extra_options`: sshd_config keywords the sshd role writes at the end of its drop-in, checked first.

sshd keeps the first value it reads for most keywords, and the role's drop-in is read first: a keyword the
role writes itself, repeated in ``sshd_extra_options``, would silently lose. Those are refused, naming the
role variable that sets them (or saying the role fixes the value). Unknown keywords are refused too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

# Keywords the drop-in (roles/sshd/templates/sshd_dropin.conf.j2) writes from a role variable, lower case,
# with the variable to set instead. tests/unit/test_sshd_options.py renders the template and checks that
# every keyword it writes is here or in FIXED.
MANAGED = {
    "port": "sshd_port",
    "addressfamily": "sshd_address_family",
    "listenaddress": "sshd_listen_addresses",
    "hostkey": "sshd_regenerate_weak_host_keys (the role serves ed25519 and RSA host keys)",
    "hostdsakey": "sshd_regenerate_weak_host_keys (the role serves ed25519 and RSA host keys)",
    "kexalgorithms": "sshd_kex_algorithms",
    "ciphers": "sshd_ciphers",
    "macs": "sshd_macs",
    "hostkeyalgorithms": "sshd_host_key_algorithms",
    "pubkeyacceptedalgorithms": "sshd_pubkey_accepted_algorithms",
    "pubkeyacceptedkeytypes": "sshd_pubkey_accepted_algorithms",
    "casignaturealgorithms": "sshd_pubkey_accepted_algorithms (CA keys get its plain signature algorithms)",
    "requiredrsasize": "sshd_required_rsa_size",
    "permitrootlogin": "sshd_permit_root_login",
    "passwordauthentication": "sshd_password_authentication",  # pragma: allowlist secret
    "kbdinteractiveauthentication": "sshd_kbd_interactive_authentication",
    "challengeresponseauthentication": "sshd_kbd_interactive_authentication",
    "skeyauthentication": "sshd_kbd_interactive_authentication",
    "allowusers": "sshd_allow_users",
    "allowgroups": "sshd_allow_groups",
    "logingracetime": "sshd_login_grace_time",
    "maxauthtries": "sshd_max_auth_tries",
    "maxsessions": "sshd_max_sessions",
    "maxstartups": "sshd_max_startups",
    "clientaliveinterval": "sshd_client_alive_interval",
    "clientalivecountmax": "sshd_client_alive_count_max",
    "allowtcpforwarding": "sshd_allow_tcp_forwarding",
    "allowagentforwarding": "sshd_allow_agent_forwarding",
    "allowstreamlocalforwarding": "sshd_allow_stream_local_forwarding",
    "x11forwarding": "sshd_x11_forwarding",
    "permittunnel": "sshd_permit_tunnel",
    "gatewayports": "sshd_gateway_ports",
    "loglevel": "sshd_log_level",
}

# Keywords the drop-in writes with a fixed value (the hardening itself): not changeable.
FIXED = {
    "pubkeyauthentication": "yes",
    "dsaauthentication": "yes",
    "permitemptypasswords": "no",  # pragma: allowlist secret
    "hostbasedauthentication": "no",
    "ignorerhosts": "yes",
    "gssapiauthentication": "no",
    "strictmodes": "yes",
    "permituserenvironment": "no",
    "compression": "no",
    "usedns": "no",
}

# Refused outright, with the reason.
REFUSED = {
    "match": "Match blocks are out of scope for sshd_extra_options: in the drop-in, a Match would swallow every "
             "line after it (and the distribution's sshd_config); write a separate file in sshd_config.d for one",
    "include": "the role manages the Include line of sshd_config itself",
}

# The other keywords of sshd_config(5) for OpenSSH 9.2 (Debian 12: 1:9.2p1-2+deb12u*), lower case: servconf.c's
# keyword table without the deprecated, ignored and unsupported ones, plus Debian's GSSAPI key exchange and
# DebianBanner patches. Portable-only: UsePAM.
KNOWN_9_2 = frozenset((
    "acceptenv", "authenticationmethods", "authorizedkeyscommand", "authorizedkeyscommanduser", "authorizedkeysfile",
    "authorizedprincipalscommand", "authorizedprincipalscommanduser", "authorizedprincipalsfile", "banner",
    "channeltimeout", "chrootdirectory", "debianbanner", "denygroups", "denyusers", "disableforwarding",
    "exposeauthinfo", "fingerprinthash", "forcecommand", "gssapicleanupcredentials", "gssapikexalgorithms",
    "gssapikeyexchange", "gssapistorecredentialsonrekey", "gssapistrictacceptorcheck", "hostbasedacceptedalgorithms",
    "hostbasedacceptedkeytypes", "hostbasedusesnamefrompacketonly", "hostcertificate", "hostkeyagent",
    "ignoreuserknownhosts", "ipqos", "kerberosauthentication", "kerberosorlocalpasswd", "kerberosticketcleanup",
    "keepalive", "logverbose", "modulifile", "permitlisten", "permitopen", "permittty", "permituserrc",
    "persourcemaxstartups", "persourcenetblocksize", "pidfile", "printlastlog", "printmotd", "pubkeyauthoptions",
    "rdomain", "rekeylimit", "revokedkeys", "securitykeyprovider", "setenv", "streamlocalbindmask",
    "streamlocalbindunlink", "subsystem", "syslogfacility", "tcpkeepalive", "trustedusercakeys",
    "unusedconnectiontimeout", "usepam", "versionaddendum", "x11displayoffset", "x11uselocalhost", "xauthlocation",
))
# Added after 9.2 (AL2023 and Ubuntu ship older, Debian 13 newer): accepted here, and `sshd -t` on the host
# refuses one its sshd does not know before the file is written.
KNOWN_LATER = frozenset(("persourcepenalties", "persourcepenaltyexemptlist", "refuseconnection", "sshdsessionpath",
                         "sshdauthpath"))
KNOWN = KNOWN_9_2 | KNOWN_LATER


def _value_errors(where, value):
    if value is None:
        return ["%s has no value; give one (a string, a number, true/false or a list)" % where]
    if isinstance(value, Mapping):
        return ["%s is a dict; give a string, a number, true/false or a list (joined with spaces)" % where]
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        return ["%s is an empty list; give at least one value" % where]
    for item in values:
        if isinstance(item, (list, tuple, Mapping)) or item is None:
            return ["%s holds %r; a list value is a list of strings or numbers" % (where, item)]
        text = str(item)
        if "\n" in text or "\r" in text:
            return ["%s holds a line break; give one line per keyword (a list value is joined with spaces)" % where]
        if not text.strip():
            return ["%s is empty; give a value" % where]
    return []


def sshd_extra_options_errors(options, variable="sshd_extra_options"):
    """Every problem in ``sshd_extra_options``, each naming the keyword and why. Empty when valid."""
    if options is None:
        return []
    if not isinstance(options, Mapping):
        return ["%s must be a dict of sshd_config keyword: value, got %s" % (variable, type(options).__name__)]
    errors = []
    seen = {}
    for keyword, value in options.items():
        if not isinstance(keyword, str):
            errors.append("%s: keyword %r is not a word" % (variable, keyword))
            continue
        key = keyword.strip().lower()
        where = "%s.%s" % (variable, keyword)
        if key in seen:
            errors.append("%s: %s and %s are the same keyword (sshd ignores case); give it once" % (variable, seen[key], keyword))
            continue
        seen[key] = keyword
        if key in REFUSED:
            errors.append("%s: %s" % (where, REFUSED[key]))
        elif key in MANAGED:
            errors.append("%s: %s is written by the role: set %s instead." % (variable, key, MANAGED[key]))
        elif key in FIXED:
            errors.append("%s: %s is fixed by the role (%s %s) as part of the hardening; it cannot be changed here."
                          % (variable, key, keyword, FIXED[key]))
        elif key not in KNOWN:
            errors.append("%s: %s is not an OpenSSH sshd_config keyword (see man sshd_config; OpenSSH 9.2 and later)."
                          % (variable, key))
        errors.extend(_value_errors(where, value))
    return errors


class FilterModule(object):
    def filters(self):
        return {
            "sshd_extra_options_errors": sshd_extra_options_errors,
        }
