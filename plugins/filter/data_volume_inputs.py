# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data_volume role's own input rules (beyond types), used by liftoff.aws.input_report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

VOLUME_ID = re.compile(r"^vol-([0-9a-f]{8}|[0-9a-f]{17})$")
DEVICE = re.compile(r"^/dev/[A-Za-z0-9][A-Za-z0-9/_.-]*$")
MODE = re.compile(r"^0?[0-7]{3}$")
OPTION = re.compile(r"^[^\s,]+$")
# Mounting the data volume over one of these would hide the system.
SYSTEM_DIRS = {"/", "/bin", "/boot", "/boot/efi", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin",
               "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log"}
LABEL_MAX = {"ext4": 16, "xfs": 12}


def data_volume_inputs_errors(values):
    """Every problem in the data_volume role's variables (name to raw value), one message each."""
    errors = []
    present = values.get("data_volume_state", "present") == "present"
    volume_id, device = values.get("data_volume_volume_id") or "", values.get("data_volume_device") or ""
    if volume_id and not VOLUME_ID.match(str(volume_id)):
        errors.append("data_volume_volume_id is %s: an EBS volume id is vol- and 8 or 17 lowercase hex digits, like "
                      "vol-0123456789abcdef0" % json.dumps(volume_id))
    if device and (not DEVICE.match(str(device)) or ".." in str(device).split("/")):
        errors.append("data_volume_device is %s: a device path under /dev, like /dev/xvdf" % json.dumps(device))
    if present and not volume_id and not device:
        errors.append("data_volume_volume_id and data_volume_device are both empty: set the EBS volume id (found as the "
                      "Nitro NVMe link) and/or the device name, so the role knows which disk is the data volume")
    mount_point = str(values.get("data_volume_mount_point", "/srv/data"))
    normal = "/" + "/".join(p for p in mount_point.split("/") if p)
    if not mount_point.startswith("/") or {".", ".."} & set(mount_point.split("/")) or re.search(r"\s", mount_point):
        errors.append("data_volume_mount_point is %s: an absolute path without spaces, . or .., like /srv/data"
                      % json.dumps(mount_point))
    elif normal in SYSTEM_DIRS:
        errors.append("data_volume_mount_point is %s: mounting the data volume there would hide the system's own files; "
                      "use a directory of its own, like /srv/data" % json.dumps(mount_point))
    options = values.get("data_volume_mount_options") or []
    for option in options:
        text = str(option)
        if not OPTION.match(text):
            errors.append("data_volume_mount_options contains %s: one mount option per list item, without spaces or "
                          "commas" % json.dumps(text))
        elif text == "noauto":
            errors.append("data_volume_mount_options contains noauto: the volume would not be mounted at boot")
        elif text.startswith("x-systemd.device-timeout"):
            errors.append("data_volume_mount_options contains %s: set data_volume_device_timeout instead (the role "
                          "writes the option)" % json.dumps(text))
    timeout = values.get("data_volume_device_timeout", 10)
    if not 1 <= int(timeout) <= 300:
        errors.append("data_volume_device_timeout is %s: seconds from 1 to 300 (systemd waits this long for the volume "
                      "at boot, then boots without it)" % timeout)
    mode = values.get("data_volume_mode", "0755")
    if not isinstance(mode, str) or not MODE.match(mode):
        errors.append("data_volume_mode is %s: write the mode in quotes as octal, like \"0755\" (unquoted, YAML reads "
                      "0755 as the number 493)" % json.dumps(mode))
    fstype, label = str(values.get("data_volume_fstype", "ext4")), str(values.get("data_volume_label") or "")
    if len(label) > LABEL_MAX.get(fstype, 16) or re.search(r"[\s/]", label):
        errors.append("data_volume_label is %s: a %s label is at most %d characters, without spaces or /"
                      % (json.dumps(label), fstype, LABEL_MAX.get(fstype, 16)))
    return errors


def data_volume_checks(values, regions, errors, warnings):
    """The role's entry in liftoff.aws.input_report's CHECKS (regions and warnings are not used)."""
    errors.extend(data_volume_inputs_errors(values))


class FilterModule(object):
    def filters(self):
        return {"data_volume_inputs_errors": data_volume_inputs_errors}
