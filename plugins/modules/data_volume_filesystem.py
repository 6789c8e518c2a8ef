#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: data_volume_filesystem
short_description: Find an attached EBS data volume and make a filesystem on it only when it is blank
version_added: 0.3.0
description:
  - Finds the volume by O(volume_id) (the NVMe link C(/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_volXXXX)
    that udev makes on Nitro instances), else by O(device) (C(/dev/xvdf) on Xen instances, a loop device in tests).
  - "Reads the device with C(blkid -p) (filesystem and partition table signatures, from the disk itself), C(lsblk)
    (partitions and holders such as LVM or dm-crypt), C(/proc/self/mountinfo) and C(/proc/swaps), and its first and
    last MiB."
  - Makes a filesystem ONLY on a whole disk with no signature, no partition table, no partitions or holders, not
    mounted or in use as swap, whose first and last MiB read as zeros (a new EBS volume). There is no force option.
  - A device already holding a filesystem of type O(fstype) is used as it is (never formatted again). A device holding
    anything else is refused with a message naming what it holds, and is not written to.
  - community.general.filesystem is not used for the guard, as it does not refuse a device holding a partition table
    without a filesystem (it only looks for a filesystem signature).
  - Mounting is left to ansible.posix.mount (the role liftoff.aws.data_volume does it, by the UUID returned here).
  - Check mode reports whether the device would be formatted and writes nothing.
author:
  - liftoff maintainers (@liftoff)
options:
  volume_id:
    description: The EBS volume id (C(vol-...)). Looked for first, as the Nitro NVMe by-id link.
    type: str
  device:
    description: The device path to use when no by-id link of O(volume_id) exists (or when O(volume_id) is not given).
    type: path
  fstype:
    description: The filesystem the volume must hold.
    type: str
    choices: [ext4, xfs]
    default: ext4
  label:
    description: Filesystem label for a new filesystem (ext4 up to 16 characters, xfs up to 12). An existing one is left as it is.
    type: str
  mount_point:
    description: Where the volume will be mounted; a device mounted elsewhere, or another device mounted here, is refused.
    type: path
    required: true
  required:
    description: When false, a volume that is not found is reported (RV(found) false) instead of failing.
    type: bool
    default: true
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Put ext4 on the data volume if it is blank
  liftoff.aws.data_volume_filesystem:
    volume_id: vol-0123456789abcdef0
    device: /dev/xvdf
    fstype: ext4
    mount_point: /srv/data
  register: data_volume_fs
"""

RETURN = r"""
found:
  description: Whether the volume was found.
  returned: always
  type: bool
  sample: true
device:
  description: The device the volume is (symlinks resolved).
  returned: when found
  type: str
  sample: /dev/nvme1n1
found_as:
  description: The path it was found by (the by-id link or O(device)).
  returned: when found
  type: str
  sample: /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0
action:
  description: V(format) (blank, formatted now or in check mode would be), V(use) (already holds O(fstype)) or V(missing).
  returned: always
  type: str
  sample: format
uuid:
  description: The filesystem UUID (unknown in check mode before formatting).
  returned: when found
  type: str
  sample: 3e6be9de-8139-4a4b-9106-a43f08d823a6
fstype:
  description: The filesystem type on the device.
  returned: when found
  type: str
  sample: ext4
looked_for:
  description: The paths looked at, in order.
  returned: always
  type: list
  elements: str
  sample: [/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0, /dev/xvdf]
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import DataVolumeError
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import all_zero
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import candidate_paths
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import decide
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import device_mounts
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import mount_point_source
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import parse_blkid
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import parse_lsblk
from ansible_collections.liftoff.aws.plugins.module_utils.data_volume import swap_devices

MIB = 1024 * 1024
LABEL_MAX = {"ext4": 16, "xfs": 12}


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ""


def edges_zero(device):
    """Whether the device's first and last MiB are all zeros."""
    with open(device, "rb") as handle:
        head = handle.read(MIB)
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - MIB))
        tail = handle.read(MIB)
    return all_zero(head) and all_zero(tail)


def probe_device(module, device, mount_point):
    rdev = os.stat(device).st_rdev
    rdev_text = "%d:%d" % (os.major(rdev), os.minor(rdev))
    rc, out, err = module.run_command([module.get_bin_path("blkid", required=True), "-p", "-o", "export", device])
    blkid = parse_blkid(rc, out)
    rc, lsblk_out, err = module.run_command([module.get_bin_path("lsblk", required=True), "-J", "-o", "NAME,PATH,TYPE", device])
    if rc != 0:
        raise DataVolumeError("lsblk %s failed: %s" % (device, err.strip()))
    mountinfo = read_text("/proc/self/mountinfo")
    swaps = [os.path.realpath(p) for p in swap_devices(read_text("/proc/swaps"))]
    probe = {"device": device, "rdev": rdev_text, "blkid": blkid, "mounts": device_mounts(mountinfo, rdev_text),
             "swap": device in swaps, "mount_point_rdev": mount_point_source(mountinfo, mount_point)}
    probe.update(parse_lsblk(lsblk_out))
    probe["zero"] = edges_zero(device) if not blkid.get("type") else None
    return probe


def make_filesystem(module, device, fstype, label):
    argv = [module.get_bin_path("mkfs." + fstype, required=True), "-q"]
    if label:
        argv += ["-L", label]
    # No -F / -f: mke2fs and mkfs.xfs then refuse a device on which they find a signature themselves.
    rc, out, err = module.run_command(argv + [device])
    if rc != 0:
        module.fail_json(msg="mkfs.%s %s failed: %s" % (fstype, device, (err or out).strip()), rc=rc)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            volume_id=dict(type="str"),
            device=dict(type="path"),
            fstype=dict(type="str", choices=["ext4", "xfs"], default="ext4"),
            label=dict(type="str"),
            mount_point=dict(type="path", required=True),
            required=dict(type="bool", default=True),
        ),
        required_one_of=[["volume_id", "device"]],
        supports_check_mode=True,
    )
    params = module.params
    fstype, label = params["fstype"], params["label"]
    if label and len(label) > LABEL_MAX[fstype]:
        module.fail_json(msg="label %r is longer than %s allows (%d characters)" % (label, fstype, LABEL_MAX[fstype]))
    try:
        looked_for = candidate_paths(params["volume_id"], params["device"])
    except DataVolumeError as exc:
        module.fail_json(msg=str(exc))
    found_as = next((p for p in looked_for if os.path.exists(p)), None)
    if found_as is None:
        what = " or ".join("%s (%s)" % (p, "volume %s" % params["volume_id"] if p.startswith("/dev/disk/by-id/") else "data_volume_device")
                           for p in looked_for)
        if params["required"]:
            module.fail_json(msg="The data volume is not attached to this host: found neither %s. Attach it, correct "
                                 "data_volume_volume_id / data_volume_device, or set data_volume_required: false" % what,
                             looked_for=looked_for, found=False)
        module.exit_json(changed=False, found=False, action="missing", looked_for=looked_for,
                         msg="no data volume found (%s); skipped because data_volume_required is false" % what)
    device = os.path.realpath(found_as)
    if not stat.S_ISBLK(os.stat(device).st_mode):
        module.fail_json(msg="%s (found as %s) is not a block device" % (device, found_as), looked_for=looked_for)
    try:
        probe = probe_device(module, device, params["mount_point"])
        action = decide(probe, fstype, params["mount_point"])
    except DataVolumeError as exc:
        module.fail_json(msg=str(exc), looked_for=looked_for, found=True, device=device, found_as=found_as)
    result = dict(changed=False, found=True, device=device, found_as=found_as, action=action, looked_for=looked_for,
                  fstype=fstype, uuid=probe["blkid"].get("uuid"))
    if action == "format":
        result["changed"] = True
        result["diff"] = {"before": "%s: blank\n" % device, "after": "%s: %s%s\n" % (device, fstype, " (label %s)" % label if label else "")}
        if not module.check_mode:
            make_filesystem(module, device, fstype, label)
            rc, out, err = module.run_command([module.get_bin_path("blkid", required=True), "-p", "-o", "export", device])
            made = parse_blkid(rc, out)
            if made.get("type") != fstype or not made.get("uuid"):
                module.fail_json(msg="after mkfs.%s, blkid reads %r on %s" % (fstype, made, device), **result)
            result["uuid"] = made["uuid"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
