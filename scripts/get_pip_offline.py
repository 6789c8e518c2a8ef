"""Stand-in for the get-pip.py bootstrap script that `ansible-test sanity --venv` downloads.

ansible-test fetches get-pip from ci-files.testing.ansible.com, which this CI machine cannot
reach (only PyPI is). get-pip's contract is "install pip, then pip-install the arguments given";
this does the same with the interpreter's own ensurepip and PyPI. `make sanity` copies it to
ansible-test's cache path for the pip version it asks for.
"""

import os
import subprocess
import sys

ENV = dict(os.environ)  # ensurepip sets PIP_CONFIG_FILE=/dev/null in-process: keep the user's pip config
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], env=ENV)
ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *ARGS], env=ENV))
