# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data-volume guard: what a block device holds, and whether it may be formatted.

Pure functions (no I/O), used by the liftoff.aws.data_volume_filesystem module and unit-tested
in tests/unit/test_data_volume.py. The rule: format ONLY a whole disk that holds no filesystem or
other signature, no partition table, no partitions or holders, is not mounted or used as swap,
and whose first and last MiB read as zeros (as a new EBS volume does). A disk holding the wanted
filesystem is used as it is; anything else is refused with a message naming what was found.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

# Nitro instances expose EBS volumes as NVMe disks whose serial is the volume id without its dash;
# udev names them /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_<serial>.
NVME_BY_ID = "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_"
VOLUME_ID = re.compile(r"^vol-([0-9a-f]{8}|[0-9a-f]{17})$")
# Disk types lsblk reports for a whole device the role may put a filesystem on.
WHOLE_DISKS = ("disk", "loop")
# The filesystems the role makes (data_volume_fstype's choices).
FSTYPES = ("ext4", "xfs")
# blkid -p exit codes (blkid(8)): 0 found, 2 nothing identified, 8 ambivalent (several signatures).
BLKID_FOUND, BLKID_NOTHING, BLKID_AMBIVALENT = 0, 2, 8


class DataVolumeError(Exception):
    """The device cannot be used: the message says what was found and what to do."""


def nvme_by_id_path(volume_id):
    """The udev path of an EBS volume on a Nitro instance (``vol-0abc`` -> ``...Store_vol0abc``)."""
    if not VOLUME_ID.match(volume_id or ""):
        raise DataVolumeError("%r is not an EBS volume id (vol- and 8 or 17 hex digits)" % (volume_id,))
    return NVME_BY_ID + volume_id.replace("-", "", 1)


def candidate_paths(volume_id, device):
    """The paths to look for, in order: the volume's NVMe by-id link first, then the device name."""
    paths = []
    if volume_id:
        paths.append(nvme_by_id_path(volume_id))
    if device:
        paths.append(device)
    return paths


def parse_blkid(rc, stdout):
    """``blkid -p -o export DEVICE`` as a dict: type, uuid, pttype, usage, label, ambivalent."""
    if rc == BLKID_NOTHING:
        return {"ambivalent": False}
    if rc == BLKID_AMBIVALENT:
        return {"ambivalent": True}
    if rc != BLKID_FOUND:
        raise DataVolumeError("blkid -p failed with exit code %s" % rc)
    values = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    found = {"ambivalent": False}
    for key, name in (("TYPE", "type"), ("UUID", "uuid"), ("PTTYPE", "pttype"), ("USAGE", "usage"), ("LABEL", "label")):
        if values.get(key):
            found[name] = values[key]
    return found


def parse_lsblk(stdout):
    """``lsblk -J -o NAME,PATH,TYPE DEVICE``: the device's type and what sits on it (partitions, holders)."""
    try:
        devices = json.loads(stdout or "{}").get("blockdevices") or []
    except ValueError:
        raise DataVolumeError("lsblk printed something that is not JSON: %r" % (stdout[:200],))
    if len(devices) != 1:
        raise DataVolumeError("lsblk listed %d devices, not one" % len(devices))
    device = devices[0]
    children = ["%s (%s)" % (c.get("path") or "/dev/" + str(c.get("name")), c.get("type")) for c in device.get("children") or []]
    return {"kind": device.get("type"), "children": children}


def device_mounts(mountinfo_text, rdev):
    """Mount points of the device numbered ``rdev`` (``"MAJOR:MINOR"``) in /proc/self/mountinfo."""
    found = []
    for line in mountinfo_text.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[2] == rdev:
            found.append(fields[4].replace("\\040", " "))
    return found


def mount_point_source(mountinfo_text, mount_point):
    """The ``MAJOR:MINOR`` mounted at ``mount_point`` (the last mount there wins), or None."""
    source = None
    for line in mountinfo_text.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4].replace("\\040", " ") == mount_point.rstrip("/"):
            source = fields[2]
    return source


def swap_devices(swaps_text):
    """Device paths in /proc/swaps."""
    return [line.split()[0] for line in swaps_text.splitlines()[1:] if line.split()]


def all_zero(data):
    return not data.strip(b"\0")


def decide(probe, fstype, mount_point):
    """``"format"`` or ``"use"`` for a probed device; raises DataVolumeError otherwise.

    ``probe``: device, kind (lsblk TYPE), blkid (parse_blkid), children, mounts, swap (bool),
    zero (first and last MiB all zeros), mount_point_rdev / rdev (what is mounted at the mount point).
    """
    device = probe["device"]
    blkid = probe["blkid"]
    if probe.get("kind") not in WHOLE_DISKS:
        raise DataVolumeError("%s is a %s, not a whole disk: the data volume must be the EBS volume itself, "
                              "which this role never partitions" % (device, probe.get("kind")))
    if probe.get("children"):
        raise DataVolumeError("%s is not formatted: it holds %s. Nothing was changed; use another volume or move "
                              "the data off it first" % (device, ", ".join(probe["children"])))
    if blkid.get("ambivalent"):
        raise DataVolumeError("%s is not formatted: blkid found more than one signature on it (ambivalent "
                              "result). Nothing was changed; inspect it with wipefs -n %s" % (device, device))
    if blkid.get("pttype"):
        raise DataVolumeError("%s is not formatted: it holds a %s partition table. Nothing was changed; this role "
                              "formats only a blank volume or uses one already holding %s"
                              % (device, blkid["pttype"], fstype))
    foreign = [m for m in probe.get("mounts") or [] if m != mount_point.rstrip("/")]
    if probe.get("swap") or blkid.get("type") == "swap":
        raise DataVolumeError("%s is not formatted: it holds swap space%s. Nothing was changed"
                              % (device, " (in use)" if probe.get("swap") else ""))
    if blkid.get("type"):
        if blkid["type"] != fstype:
            hint = ("set data_volume_fstype: %s to mount it as it is, or use another volume" % blkid["type"]
                    if blkid["type"] in FSTYPES else "use another volume, or move its data off it first")
            raise DataVolumeError("%s is not formatted: it already holds a %s %s (UUID %s), not %s. Nothing was "
                                  "changed; %s" % (device, blkid["type"], blkid.get("usage", "signature"),
                                                   blkid.get("uuid", "?"), fstype, hint))
        if foreign:
            raise DataVolumeError("%s holds %s but is mounted at %s, not %s: unmount it there, or set "
                                  "data_volume_mount_point to where it is" % (device, fstype, ", ".join(foreign), mount_point))
        _mount_point_free(probe, mount_point)
        return "use"
    if probe.get("mounts"):
        raise DataVolumeError("%s is mounted at %s although blkid finds no filesystem on it. Nothing was changed"
                              % (device, ", ".join(probe["mounts"])))
    if not probe.get("zero"):
        raise DataVolumeError("%s is not formatted: blkid finds no filesystem or partition table on it, but its first "
                              "or last MiB holds data (a new EBS volume reads as zeros). Nothing was changed; if the "
                              "data is really unwanted, zero it yourself (blkdiscard or dd) and run again" % device)
    _mount_point_free(probe, mount_point)
    return "format"


def _mount_point_free(probe, mount_point):
    if probe.get("mount_point_rdev") and probe["mount_point_rdev"] != probe.get("rdev"):
        raise DataVolumeError("%s is already the mount point of another device (%s), not of %s: nothing was "
                              "changed; choose another data_volume_mount_point"
                              % (mount_point, probe["mount_point_rdev"], probe["device"]))
