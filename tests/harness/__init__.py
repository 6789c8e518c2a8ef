"""Test harness for liftoff.aws: the AWS emulator, the playbook runner and the test hosts.

Used by pytest (tests/conftest.py), molecule (molecule/*/create.yml, destroy.yml) and
`make sandbox`. Nothing here is shipped in the collection build.
"""
