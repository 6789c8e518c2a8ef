# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The os_baseline role's logic: its input checks, the sysctl plan, the reboot window and fail2ban's ignore list."""

from __future__ import annotations

import hashlib
import ipaddress
import posixpath
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# Keys as sysctl(8) writes them: dot-separated, each part a name the kernel uses (interface names may
# hold dashes and, written with a slash in place of a dot, dots; we take the dotted form only).
SYSCTL_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_@-]+)+$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
UMASK = re.compile(r"^0?[0-7]{3}$")
LOGIN_DEFS_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GROUP = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
SKIP_REASONS = {"ro": "read-only on this host (a container?)", "missing": "not on this host (kernel or module lacks it)"}


def _text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return " ".join(str(value).split())


def os_baseline_sysctl_plan(wanted, probe):
    if not isinstance(wanted, Mapping):
        raise AnsibleFilterError("os_baseline_sysctl_plan expects a dict of settings")
    seen = {}
    for line in probe or []:
        parts = str(line).split("\t")
        if len(parts) >= 2:
            seen[parts[0]] = (parts[1], _text(parts[2]) if len(parts) > 2 else "")
    write, skipped, pending = {}, [], []
    for key in sorted(wanted):
        state, live = seen.get(key, ("missing", ""))
        if state != "rw":
            skipped.append({"key": key, "reason": SKIP_REASONS.get(state, "not probed")})
            continue
        write[key] = _text(wanted[key])
        if live != write[key]:
            pending.append(key)
    return {"write": write, "skipped": skipped, "pending": pending}


def os_baseline_reboot_window(window):
    """'HH:MM-HH:MM' -> the timer's start (OnCalendar) and its random delay, in seconds (wraps midnight)."""
    match = re.match(r"^\s*(\S+)\s*-\s*(\S+)\s*$", str(window or ""))
    if not match or not CLOCK.match(match.group(1)) or not CLOCK.match(match.group(2)):
        raise AnsibleFilterError("reboot window %r is not HH:MM-HH:MM" % (window,))
    start = [int(part) for part in match.group(1).split(":")]
    end = [int(part) for part in match.group(2).split(":")]
    minutes = (end[0] * 60 + end[1] - start[0] * 60 - start[1]) % (24 * 60)
    if minutes == 0:
        raise AnsibleFilterError("reboot window %r is empty" % (window,))
    return {"on_calendar": "*-*-* %02d:%02d:00" % tuple(start), "delay_seconds": minutes * 60,
            "start": match.group(1), "end": match.group(2)}


def os_baseline_ignoreip(admin_sources, extra=None, controller=""):
    """fail2ban's ignoreip: loopback, the admin sources, the extra entries and the controller's address."""
    entries = ["127.0.0.1/8", "::1"] + list(admin_sources or []) + list(extra or [])
    if controller:
        entries.append(str(controller).split()[0])
    result = []
    for entry in entries:
        network = ipaddress.ip_network(str(entry).strip(), strict=False)
        text = str(network) if network.num_addresses > 1 else str(network.network_address)
        if text not in result:
            result.append(text)
    return result


def os_baseline_missing_by_feature(feature_packages, missing):
    """'Needed by os_baseline_fail2ban (fail2ban, python3-systemd).' for the features whose packages are missing."""
    parts = []
    for feature, packages in sorted((feature_packages or {}).items()):
        lacking = [name for name in packages or [] if name in (missing or [])]
        if lacking:
            parts.append("os_baseline_%s (%s)" % (feature, ", ".join(lacking)))
    return ("Needed by " + "; ".join(parts) + ".") if parts else ""


def os_baseline_features_missing(feature_packages, missing):
    """The features (sorted) that need a package in `missing`."""
    return sorted(feature for feature, packages in (feature_packages or {}).items()
                  if any(name in (missing or []) for name in packages or []))


def os_baseline_mount_plan(wanted, mounts):
    """The mounts that exist and lack a wanted option: path, source, fstype, the options to write, the missing ones."""
    plan = []
    for path in sorted(wanted or {}):
        current = (mounts or {}).get(path)
        if not current:
            continue
        options = [option for option in current.get("options", []) if option not in ("rw", "seclabel")]
        missing = [option for option in wanted[path] or [] if option not in options]
        if missing:
            plan.append({"path": path, "source": current["source"], "fstype": current["fstype"],
                         "options": options + missing, "missing": missing})
    return plan


def os_baseline_file_plan(specs, contents, checksums, dirs):
    """The files whose rendered content differs from the host's (by SHA-1), and the directories they need."""
    if len(specs or []) != len(contents or []):
        raise AnsibleFilterError("os_baseline_file_plan: %d files but %d contents" % (len(specs or []), len(contents or [])))
    write, missing_dirs = [], []
    for spec, content in zip(specs or [], contents or []):
        text = str(content)
        if hashlib.sha1(text.encode("utf-8")).hexdigest() == (checksums or {}).get(spec["dest"]):
            continue
        item = {"dest": spec["dest"], "content": text, "mode": spec.get("mode", "0644")}
        if spec.get("validate"):
            item["validate"] = spec["validate"]
        write.append(item)
        parent = posixpath.dirname(spec["dest"])
        if parent not in (dirs or []) and parent not in missing_dirs:
            missing_dirs.append(parent)
    return {"write": write, "dirs": missing_dirs, "dests": [item["dest"] for item in write]}


def os_baseline_login_defs_plan(wanted, current):
    """The login.defs keys whose value on the host (the probe's) is not the wanted one, as key/value items."""
    return [{"key": key, "value": str(value)} for key, value in sorted((wanted or {}).items())
            if (current or {}).get(key) != str(value)]


def _address_errors(name, entries):
    errors = []
    for index, entry in enumerate(entries or []):
        try:
            ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            errors.append("%s[%d]: %r is not an IP address or CIDR" % (name, index, entry))
    return errors


def _positive(values, name, errors, minimum=1):
    value = values.get(name)
    if value is None:
        return
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.append("%s: %r is not a whole number" % (name, value))
        return
    if number < minimum:
        errors.append("%s: %d is below %d" % (name, number, minimum))


def os_baseline_checks(values, regions, errors, warnings):
    """The role's own rules (input_report runs them after the type checks)."""
    for name in ("os_baseline_sysctl_extra",):
        for key, value in sorted((values.get(name) or {}).items()):
            if not SYSCTL_KEY.match(str(key)):
                errors.append("%s: %r is not a sysctl key (dotted, like net.ipv4.tcp_syncookies)" % (name, key))
            elif value is None or isinstance(value, (list, dict)) or "\n" in str(value) or str(value).strip() == "":
                errors.append("%s.%s: the value must be a number or one line of text" % (name, key))
    for index, key in enumerate(values.get("os_baseline_sysctl_skip") or []):
        if not SYSCTL_KEY.match(str(key)):
            errors.append("os_baseline_sysctl_skip[%d]: %r is not a sysctl key" % (index, key))
    if values.get("os_baseline_updates_reboot_window") is not None:
        try:
            os_baseline_reboot_window(values["os_baseline_updates_reboot_window"])
        except AnsibleFilterError as exc:
            errors.append("os_baseline_updates_reboot_window: %s" % exc)
    errors.extend(_address_errors("os_baseline_fail2ban_ignoreip", values.get("os_baseline_fail2ban_ignoreip")))
    errors.extend(_address_errors("liftoff_admin_sources", values.get("liftoff_admin_sources")))
    if values.get("os_baseline_fail2ban_admin_sources") != values.get("liftoff_admin_sources"):  # else said once above
        errors.extend(_address_errors("os_baseline_fail2ban_admin_sources", values.get("os_baseline_fail2ban_admin_sources")))
    for name in ("os_baseline_fail2ban_maxretry", "os_baseline_fail2ban_findtime", "os_baseline_fail2ban_bantime",
                 "os_baseline_auditd_max_log_file", "os_baseline_auditd_num_logs"):
        _positive(values, name, errors)
    _positive(values, "os_baseline_rollback_timeout", errors, minimum=60)
    _positive(values, "os_baseline_shell_timeout", errors, minimum=0)
    for index, port in enumerate(values.get("os_baseline_fail2ban_ports") or []):
        if not str(port).isdigit() or not 1 <= int(port) <= 65535:
            errors.append("os_baseline_fail2ban_ports[%d]: %r is not a TCP port" % (index, port))
    mail = values.get("os_baseline_updates_mail")
    if mail and not EMAIL.match(str(mail)):
        errors.append("os_baseline_updates_mail: %r is not an email address" % (mail,))
    umask = values.get("os_baseline_login_defs", {}).get("UMASK") if isinstance(values.get("os_baseline_login_defs"), Mapping) else None
    if umask is not None and not UMASK.match(str(umask)):
        errors.append("os_baseline_login_defs.UMASK: %r is not an octal umask like 027" % (umask,))
    for key, value in sorted((values.get("os_baseline_login_defs") or {}).items()):
        if not LOGIN_DEFS_KEY.match(str(key)):
            errors.append("os_baseline_login_defs: %r is not a login.defs key (upper case, like PASS_MAX_DAYS)" % (key,))
        elif isinstance(value, (list, dict)) or "\n" in str(value) or str(value).strip() == "":
            errors.append("os_baseline_login_defs.%s: the value must be one word or number" % (key,))
    group = values.get("os_baseline_su_group")
    if group and not GROUP.match(str(group)):
        errors.append("os_baseline_su_group: %r is not a group name" % (group,))
    for path in sorted(values.get("os_baseline_mount_options") or {}):
        if not str(path).startswith("/"):
            errors.append("os_baseline_mount_options: %r is not an absolute path" % (path,))
    admins = values.get("os_baseline_fail2ban_admin_sources", values.get("liftoff_admin_sources"))
    if values.get("os_baseline_fail2ban") not in (False, "false", "no") and not (admins or values.get("os_baseline_fail2ban_ignoreip")):
        warnings.append("os_baseline: fail2ban exempts no admin source (os_baseline_fail2ban_admin_sources and liftoff_admin_sources"
                        " are empty): only loopback and the controller's own address are never banned")


def os_baseline_host_facts(stdout):
    """The probe's marker sections (tasks/probe.yml) as a dict."""
    sections, current = {}, None
    for line in str(stdout or "").splitlines():
        if line.startswith("##liftoff:"):
            current = line[len("##liftoff:"):].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    if "end" not in sections:
        raise AnsibleFilterError("the host probe did not finish (no end marker): %s" % str(stdout)[-300:])
    container = "".join(sections.get("container", [])).strip()
    mounts = {}
    for line in sections.get("mounts", []):
        parts = line.split(" ")
        if len(parts) >= 4:
            mounts[parts[0]] = {"source": parts[1], "fstype": parts[2], "options": parts[3].split(",")}
    services = {}
    for line in sections.get("services", []):
        parts = line.split(" ")
        if parts and parts[0]:
            services[parts[0]] = {"active": parts[1] if len(parts) > 1 else "", "enabled": parts[2] if len(parts) > 2 else ""}
    group = "".join(sections.get("group", [])).strip()
    ra = "".join(sections.get("ra", [])).strip()
    login_defs = {}
    for line in sections.get("login-defs", []):
        parts = line.split(None, 1)
        if len(parts) == 2:
            login_defs[parts[0]] = parts[1].strip()
    checksums = {}
    for line in sections.get("checksums", []):
        parts = line.split(None, 1)
        if len(parts) == 2:
            checksums[parts[1].strip()] = parts[0]
    return {
        "checksums": checksums,
        "login_defs": login_defs,
        "dirs": sorted(line.strip() for line in sections.get("dirs", []) if line.strip()),
        "container": container not in ("", "none"),
        "container_type": container if container not in ("", "none") else "",
        "ra_default_route": ra.isdigit() and int(ra) > 0,
        "sysctl": [line for line in sections.get("sysctl", []) if line],
        "packages": sorted({line.strip() for line in sections.get("packages", []) if line.strip()}),
        "mounts": mounts,
        "services": services,
        "originals": sorted(line.strip() for line in sections.get("originals", []) if line.strip()),
        "state_files": sorted(line.strip() for line in sections.get("state", []) if line.strip()),
        "installed": sorted(line.strip() for line in sections.get("installed", []) if line.strip()),
        "kept_sysctls": sorted(line.strip() for line in sections.get("kept-sysctls", []) if line.strip()),
        "existing": sorted(line.strip() for line in sections.get("existing", []) if line.strip()),
        "controller": ("".join(sections.get("ssh-connection", [])).split() or [""])[0],
        "group_exists": bool(group),
        "group_members": [m for m in group.split(":", 1)[1].split(",") if m] if ":" in group else [],
    }


class FilterModule(object):
    def filters(self):
        return {
            "os_baseline_sysctl_plan": os_baseline_sysctl_plan,
            "os_baseline_reboot_window": os_baseline_reboot_window,
            "os_baseline_ignoreip": os_baseline_ignoreip,
            "os_baseline_host_facts": os_baseline_host_facts,
            "os_baseline_missing_by_feature": os_baseline_missing_by_feature,
            "os_baseline_features_missing": os_baseline_features_missing,
            "os_baseline_mount_plan": os_baseline_mount_plan,
            "os_baseline_file_plan": os_baseline_file_plan,
            "os_baseline_login_defs_plan": os_baseline_login_defs_plan,
        }
