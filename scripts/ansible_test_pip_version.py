"""Print the pip version whose get-pip bootstrap ansible-test will ask for (see get_pip_offline.py)."""

import pathlib
import re

import ansible_test

SOURCE = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
MATCH = re.search(r"pip='([0-9.]+)'", SOURCE.read_text())
if not MATCH:
    raise SystemExit(f"cannot find ansible-test's pip version in {SOURCE}")
print(MATCH.group(1))
