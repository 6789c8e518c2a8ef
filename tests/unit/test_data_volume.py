"""The data-volume guard's decisions (plugins/module_utils/data_volume.py): what may be formatted.

The real devices (a loop device: blank, ext4, ext2, a bare partition table) are in molecule/data_volume;
these tests cover every refusal, including the ones a loop device cannot easily stage.
"""

from __future__ import annotations

import pytest

from ansible_collections.liftoff.aws.plugins.module_utils import data_volume as dv

BLANK = {"device": "/dev/nvme1n1", "rdev": "259:1", "kind": "disk", "blkid": {"ambivalent": False}, "children": [],
         "mounts": [], "swap": False, "zero": True, "mount_point_rdev": None}
EXT4 = {"ambivalent": False, "type": "ext4", "uuid": "3e6be9de-8139-4a4b-9106-a43f08d823a6", "usage": "filesystem"}


def probe(**changes):
    return {**BLANK, **changes}


def test_a_blank_whole_disk_is_formatted():
    assert dv.decide(probe(), "ext4", "/srv/data") == "format"
    assert dv.decide(probe(kind="loop"), "xfs", "/srv/data") == "format"


def test_a_disk_holding_the_wanted_filesystem_is_used_as_it_is():
    assert dv.decide(probe(blkid=EXT4, zero=None), "ext4", "/srv/data") == "use"
    # already mounted where the role mounts it (a re-run)
    assert dv.decide(probe(blkid=EXT4, mounts=["/srv/data"], mount_point_rdev="259:1"), "ext4", "/srv/data/") == "use"


@pytest.mark.parametrize("changes, wanted, message", [
    ({"blkid": EXT4}, "xfs",
     "already holds a ext4 filesystem (UUID 3e6be9de-8139-4a4b-9106-a43f08d823a6), not xfs. "
     "Nothing was changed; set data_volume_fstype: ext4 to mount it as it is"),
    ({"blkid": {"ambivalent": False, "type": "ext2", "usage": "filesystem", "uuid": "u"}}, "ext4",
     "holds a ext2 filesystem (UUID u), not ext4. Nothing was changed; use another volume, or move its data off"),
    ({"blkid": {"ambivalent": False, "type": "crypto_LUKS", "usage": "crypto", "uuid": "u"}}, "ext4", "crypto_LUKS crypto"),
    ({"blkid": {"ambivalent": False, "type": "LVM2_member", "usage": "raid", "uuid": "u"}}, "ext4", "LVM2_member"),
    ({"blkid": {"ambivalent": False, "pttype": "gpt"}}, "ext4", "holds a gpt partition table"),
    ({"blkid": {"ambivalent": False, "pttype": "dos"}}, "ext4", "holds a dos partition table"),
    ({"blkid": {"ambivalent": True}}, "ext4", "more than one signature"),
    ({"children": ["/dev/nvme1n1p1 (part)"]}, "ext4", "it holds /dev/nvme1n1p1 (part)"),
    ({"children": ["/dev/mapper/vg-data (lvm)"]}, "ext4", "/dev/mapper/vg-data (lvm)"),
    ({"blkid": {"ambivalent": False, "type": "swap", "usage": "other"}}, "ext4", "holds swap space"),
    ({"swap": True}, "ext4", "holds swap space (in use)"),
    ({"mounts": ["/mnt"]}, "ext4", "is mounted at /mnt although blkid finds no filesystem"),
    ({"zero": False}, "ext4", "its first or last MiB holds data"),
    ({"kind": "part"}, "ext4", "is a part, not a whole disk"),
    ({"kind": "rom"}, "ext4", "is a rom, not a whole disk"),
    ({"mount_point_rdev": "259:7"}, "ext4", "/srv/data is already the mount point of another device (259:7)"),
    ({"blkid": EXT4, "mount_point_rdev": "8:1"}, "ext4", "/srv/data is already the mount point of another device (8:1)"),
    ({"blkid": EXT4, "mounts": ["/var/lib/app"]}, "ext4", "is mounted at /var/lib/app, not /srv/data"),
])
def test_anything_else_is_refused_and_named(changes, wanted, message):
    with pytest.raises(dv.DataVolumeError) as refused:
        dv.decide(probe(**changes), wanted, "/srv/data")
    assert message in str(refused.value)
    assert "/dev/nvme1n1" in str(refused.value) or "/srv/data" in str(refused.value)


def test_the_nvme_path_is_the_volume_id_without_its_dash():
    assert dv.nvme_by_id_path("vol-0123456789abcdef0") == \
        "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0"
    assert dv.candidate_paths("vol-0abc1234", "/dev/xvdf") == [
        "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc1234", "/dev/xvdf"]
    assert dv.candidate_paths(None, "/dev/loop3") == ["/dev/loop3"]


@pytest.mark.parametrize("bad", ["vol-XYZ", "vol0123456789abcdef0", "i-0123456789abcdef0", "vol-0123"])
def test_a_malformed_volume_id_is_refused(bad):
    with pytest.raises(dv.DataVolumeError, match="not an EBS volume id"):
        dv.nvme_by_id_path(bad)


def test_parse_blkid_reads_the_export_format_and_the_exit_codes():
    out = "DEVNAME=/dev/loop0\nUUID=afd17e0e-5b89\nVERSION=1.0\nBLOCK_SIZE=1024\nTYPE=ext4\nUSAGE=filesystem\n"
    assert dv.parse_blkid(0, out) == {"ambivalent": False, "type": "ext4", "uuid": "afd17e0e-5b89", "usage": "filesystem"}
    assert dv.parse_blkid(0, "DEVNAME=/dev/loop1\nPTUUID=17326c11\nPTTYPE=dos\n") == {"ambivalent": False, "pttype": "dos"}
    assert dv.parse_blkid(2, "") == {"ambivalent": False}
    assert dv.parse_blkid(8, "") == {"ambivalent": True}
    with pytest.raises(dv.DataVolumeError, match="exit code 4"):
        dv.parse_blkid(4, "")


def test_parse_lsblk_names_partitions_and_holders():
    text = ('{"blockdevices": [{"name": "nvme1n1", "path": "/dev/nvme1n1", "type": "disk", "children": ['
            '{"name": "nvme1n1p1", "path": "/dev/nvme1n1p1", "type": "part"}]}]}')
    assert dv.parse_lsblk(text) == {"kind": "disk", "children": ["/dev/nvme1n1p1 (part)"]}
    assert dv.parse_lsblk('{"blockdevices": [{"name": "loop0", "path": "/dev/loop0", "type": "loop"}]}') == \
        {"kind": "loop", "children": []}
    with pytest.raises(dv.DataVolumeError, match="not JSON"):
        dv.parse_lsblk("lsblk: oops")


MOUNTINFO = """\
22 1 0:21 / / rw,relatime - overlay overlay rw
40 22 7:0 / /srv/data rw,relatime shared:1 - ext4 /dev/loop0 rw
41 22 7:0 / /srv/my\\040copy rw,relatime - ext4 /dev/loop0 rw
"""


def test_mounts_are_read_by_device_number():
    assert dv.device_mounts(MOUNTINFO, "7:0") == ["/srv/data", "/srv/my copy"]
    assert dv.device_mounts(MOUNTINFO, "7:1") == []
    assert dv.mount_point_source(MOUNTINFO, "/srv/data/") == "7:0"
    assert dv.mount_point_source(MOUNTINFO, "/srv/other") is None


def test_swap_devices_and_zeros():
    assert dv.swap_devices("Filename\tType\tSize\tUsed\tPriority\n/dev/xvdg  partition 1 0 -2\n") == ["/dev/xvdg"]
    assert dv.all_zero(b"\0" * 4096) and not dv.all_zero(b"\0" * 4095 + b"\1")


# -- the input hook's rules (plugins/filter/data_volume_inputs.py, through liftoff.aws.input_report) -----------

from ansible_collections.liftoff.aws.plugins.filter.input_report import input_report  # noqa: E402
from tests.harness.paths import REPO_ROOT  # noqa: E402
import yaml  # noqa: E402

SPEC = yaml.safe_load((REPO_ROOT / "roles/data_volume/meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
GOOD = {"data_volume_volume_id": "vol-0123456789abcdef0", "data_volume_device": "/dev/xvdf"}


def errors(**values):
    return input_report({**GOOD, **values}, "data_volume", SPEC)["errors"]


def test_good_inputs_pass():
    assert errors() == []
    assert errors(data_volume_volume_id="", data_volume_device="/dev/loop3", data_volume_fstype="xfs",
                  data_volume_label="data", data_volume_mount_options=["noatime"], data_volume_mode="0750") == []
    assert errors(data_volume_state="absent", data_volume_volume_id="", data_volume_device="") == []


@pytest.mark.parametrize("values, message", [
    ({"data_volume_volume_id": "vol-XYZ"}, "data_volume_volume_id is \"vol-XYZ\": an EBS volume id"),
    ({"data_volume_device": "xvdf"}, "data_volume_device is \"xvdf\": a device path under /dev"),
    ({"data_volume_device": "/dev/../etc/passwd"}, "a device path under /dev"),
    ({"data_volume_volume_id": "", "data_volume_device": ""}, "both empty"),
    ({"data_volume_mount_point": "srv/data"}, "an absolute path"),
    ({"data_volume_mount_point": "/srv/../etc"}, "an absolute path"),
    ({"data_volume_mount_point": "/var/"}, "would hide the system's own files"),
    ({"data_volume_mount_point": "/"}, "would hide the system's own files"),
    ({"data_volume_mount_options": ["defaults,noatime"]}, "one mount option per list item"),
    ({"data_volume_mount_options": ["noauto"]}, "contains noauto"),
    ({"data_volume_mount_options": ["x-systemd.device-timeout=0"]}, "set data_volume_device_timeout instead"),
    ({"data_volume_mount_options": "noatime"}, "data_volume_mount_options is \"noatime\", not a list"),
    ({"data_volume_device_timeout": 0}, "data_volume_device_timeout is 0"),
    ({"data_volume_device_timeout": 301}, "data_volume_device_timeout is 301"),
    ({"data_volume_mode": 493}, "data_volume_mode is 493"),
    ({"data_volume_mode": "u+rwx"}, "write the mode in quotes as octal"),
    ({"data_volume_fstype": "xfs", "data_volume_label": "thirteen-char"}, "a xfs label is at most 12 characters"),
    ({"data_volume_required": ["yes"]}, "data_volume_required must be true or false"),
])
def test_bad_inputs_are_refused_by_name(values, message):
    found = errors(**values)
    assert len(found) == 1 and message in found[0], found
