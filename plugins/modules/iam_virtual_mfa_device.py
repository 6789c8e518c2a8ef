#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_virtual_mfa_device
short_description: Create, enable and delete IAM virtual MFA devices
version_added: 0.1.0
description:
  - Creates an IAM virtual MFA device and writes its secret (the Base32 seed and/or the QR code PNG)
    only to files with mode C(0600). The secret is never returned, logged or shown in a diff.
  - AWS returns the secret once, when the device is created. If the module cannot write the files,
    it deletes the new device again and fails, so that a later run can start over.
  - Enabling (assigning the device to a user) needs two consecutive codes from the authenticator app
    and is never automatic; it happens only when O(user_name), O(authentication_code_1) and
    O(authentication_code_2) are all given.
  - An existing device is found by O(path) and O(name) with C(ListVirtualMFADevices), so a re-run
    changes nothing.
  - Why a module of our own - neither amazon.aws nor community.aws (10.x) has a module that creates
    virtual MFA devices; amazon.aws.iam_mfa_device_info only lists a user's devices.
author:
  - liftoff maintainers (@liftoff)
options:
  name:
    description:
      - Name of the virtual MFA device (C(VirtualMFADeviceName)), unique within O(path).
    type: str
    required: true
  path:
    description:
      - IAM path of the device. Must begin and end with C(/).
    type: str
    default: /
  state:
    description:
      - V(present) creates the device (and enables it when the codes are given), V(absent) deactivates
        it (when it is assigned to a user) and deletes it.
    type: str
    choices: [present, absent]
    default: present
  seed_path:
    description:
      - File the Base32 seed is written to (mode C(0600), parent directory created with mode C(0700)).
      - Only written when the device is created. At least one of O(seed_path) and O(qr_code_path) is
        required with O(state=present).
    type: path
  qr_code_path:
    description:
      - File the QR code PNG is written to (mode C(0600)). Only written when the device is created.
    type: path
  user_name:
    description:
      - IAM user to enable (assign) the device for. Needs O(authentication_code_1) and
        O(authentication_code_2). Without the codes, the module only checks that the device is not
        assigned to another user.
    type: str
  authentication_code_1:
    description:
      - First of two consecutive six-digit codes shown by the authenticator app.
    type: str
  authentication_code_2:
    description:
      - The code that followed O(authentication_code_1).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create a virtual MFA device for alice; the seed goes to a private file
  liftoff.aws.iam_virtual_mfa_device:
    name: alice
    path: /liftoff/demo/
    seed_path: ~/.liftoff/mfa/alice.seed
    qr_code_path: ~/.liftoff/mfa/alice.png

- name: Enable it, with two consecutive codes from the app (a separate, explicit step)
  liftoff.aws.iam_virtual_mfa_device:
    name: alice
    path: /liftoff/demo/
    seed_path: ~/.liftoff/mfa/alice.seed
    user_name: alice
    authentication_code_1: "123456"
    authentication_code_2: "654321"

- name: Remove it (deactivated first when it is assigned)
  liftoff.aws.iam_virtual_mfa_device:
    name: alice
    path: /liftoff/demo/
    state: absent
"""

RETURN = r"""
virtual_mfa_device:
  description: The device after the change (empty when absent). Never contains the seed or QR code.
  returned: always
  type: dict
  sample:
    serial_number: arn:aws:iam::123456789012:mfa/liftoff/demo/alice
    user_name: alice
    enable_date: "2026-01-31 12:00:00+00:00"
  contains:
    serial_number:
      description: The device's serial number (its ARN).
      returned: when the device exists or would be created
      type: str
      sample: arn:aws:iam::123456789012:mfa/liftoff/demo/alice
    user_name:
      description: The user the device is enabled for, or null when unassigned.
      returned: when the device exists or would be created
      type: str
      sample: alice
    enable_date:
      description: When the device was enabled, or null.
      returned: when the device exists or would be created
      type: str
      sample: "2026-01-31 12:00:00+00:00"
seed_path:
  description: Where the seed was written during this run, or null when nothing was written.
  returned: always
  type: str
  sample: /home/alice/.liftoff/mfa/alice.seed
qr_code_path:
  description: Where the QR code was written during this run, or null when nothing was written.
  returned: always
  type: str
  sample: /home/alice/.liftoff/mfa/alice.png
"""

import os
import tempfile

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import KNOWN_AFTER_CREATION
from ansible_collections.liftoff.aws.plugins.module_utils.core import LiftoffAWSError
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import delete_or_gone
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run_state


@aws_error_handler("list virtual MFA devices")
def find_device(client, path, name):
    """The device at path+name (serial number ends with ':mfa' + path + name), or None."""
    suffix = ":mfa" + path + name
    for device in paginate_all(client, "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Any"):
        if device["SerialNumber"].endswith(suffix):
            return device
    return None


@aws_error_handler("create virtual MFA device {path}{name}")
def create_virtual_mfa_device(client, path, name):
    return client.create_virtual_mfa_device(VirtualMFADeviceName=name, Path=path, aws_retry=True)["VirtualMFADevice"]


@aws_error_handler("enable {serial_number} for {user_name}")
def enable_device(client, serial_number, user_name, code_1, code_2):
    client.enable_mfa_device(
        UserName=user_name,
        SerialNumber=serial_number,
        AuthenticationCode1=code_1,
        AuthenticationCode2=code_2,
        aws_retry=True,
    )


@delete_or_gone("delete {serial_number}")
def delete_device(client, serial_number, assigned_to=None):
    if assigned_to:
        client.deactivate_mfa_device(UserName=assigned_to, SerialNumber=serial_number, aws_retry=True)
    client.delete_virtual_mfa_device(SerialNumber=serial_number, aws_retry=True)


def describe(device):
    if not device:
        return {}
    user = device.get("User") or {}
    described = camel_dict_to_snake_dict(
        {"SerialNumber": device["SerialNumber"], "EnableDate": device.get("EnableDate")}
    )
    described["user_name"] = user.get("UserName")
    if described["enable_date"] is not None:
        described["enable_date"] = str(described["enable_date"])
    return described


def write_private(path, data):
    """Write data to path with mode 0600 (atomically, never world-readable for a moment)."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".mfa-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_writable(module, path):
    """Fail before anything is created when path cannot be written."""
    if os.path.isdir(path):
        module.fail_json(msg=f"Cannot write {path}: it is a directory. Nothing was created.")
    existing = os.path.dirname(path) or "."
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        module.fail_json(msg=f"Cannot write {path}: {existing} is not a writable directory. Nothing was created.")


def create_device(client, module, path, name):
    seed_path = module.params["seed_path"]
    qr_code_path = module.params["qr_code_path"]
    for target in (seed_path, qr_code_path):
        if target:
            check_writable(module, target)
    device = create_virtual_mfa_device(client, path, name)
    try:
        if seed_path:
            write_private(seed_path, device["Base32StringSeed"])
        if qr_code_path:
            write_private(qr_code_path, device["QRCodePNG"])
    except OSError as e:
        # The secret is lost: remove the device so that the next run can create it again.
        try:
            delete_device(client, device["SerialNumber"])
        except LiftoffAWSError as e2:
            raise LiftoffAWSError(
                message=f"Could not write the MFA secret ({e}) and could not delete {device['SerialNumber']} again; "
                "delete it by hand",
                exception=e2.exception,
            ) from e2
        module.fail_json(msg=f"Could not write the MFA secret: {e}. The new device was deleted again.")
    return {"SerialNumber": device["SerialNumber"]}


def ensure_present(module, client, path, name):
    user_name = module.params["user_name"]
    code_1 = module.params["authentication_code_1"]
    code_2 = module.params["authentication_code_2"]
    changed = False
    written = {"seed_path": None, "qr_code_path": None}

    device = find_device(client, path, name)
    before = describe(device)
    if device is None:
        changed = True
        if module.check_mode:
            device = {"SerialNumber": f"{KNOWN_AFTER_CREATION}:mfa{path}{name}"}
        else:
            device = create_device(client, module, path, name)
            written["seed_path"] = module.params["seed_path"]
            written["qr_code_path"] = module.params["qr_code_path"]
    else:
        missing = [p for p in (module.params["seed_path"], module.params["qr_code_path"]) if p and not os.path.exists(p)]
        if missing and not device.get("User"):
            module.warn(
                f"{device['SerialNumber']} exists but {', '.join(missing)} does not; AWS shows the secret only once. "
                "Delete the device (state=absent) and create it again to get a new secret."
            )

    assigned_to = (device.get("User") or {}).get("UserName")
    if user_name and assigned_to and assigned_to != user_name:
        module.fail_json(
            msg=f"{device['SerialNumber']} is enabled for user {assigned_to}, not {user_name}; "
            "deactivate it first (state=absent removes it)."
        )
    if user_name and not assigned_to and code_1 and code_2:
        changed = True
        if not module.check_mode:
            enable_device(client, device["SerialNumber"], user_name, code_1, code_2)
        device = dict(device, User={"UserName": user_name}, EnableDate="(known after enabling)")

    if changed and not module.check_mode:
        device = find_device(client, path, name) or device
    after = describe(device)
    return result(module, changed, before, after, virtual_mfa_device=after, **written)


def ensure_absent(module, client, path, name):
    written = {"seed_path": None, "qr_code_path": None}
    device = find_device(client, path, name)
    if device is not None and not module.check_mode:
        delete_device(client, device["SerialNumber"], (device.get("User") or {}).get("UserName"))
    return result(module, device is not None, describe(device), {}, virtual_mfa_device={}, **written)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        seed_path=dict(type="path", no_log=False),
        qr_code_path=dict(type="path", no_log=False),
        user_name=dict(type="str"),
        authentication_code_1=dict(type="str", no_log=True),
        authentication_code_2=dict(type="str", no_log=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ("seed_path", "qr_code_path"), True)],
        required_together=[("authentication_code_1", "authentication_code_2")],
        required_by={"authentication_code_1": "user_name"},
    )
    path = module.params["path"]
    name = module.params["name"]
    if not (path.startswith("/") and path.endswith("/")):
        module.fail_json(msg=f"path must begin and end with '/', got {path!r}")
    for code in ("authentication_code_1", "authentication_code_2"):
        value = module.params[code]
        if value is not None and not (value.isdigit() and len(value) == 6):
            module.fail_json(msg=f"{code} must be six digits from the authenticator app")

    run_state(module, ensure_present, ensure_absent, aws_client(module, "iam"), path, name)


if __name__ == "__main__":
    main()
