#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_site_sync
short_description: Sync a local folder of static files to S3 with per-file Content-Type and Cache-Control
version_added: 0.6.0
description:
  - Uploads the files of O(src) under O(prefix) in O(bucket) - each with the Content-Type of its extension
    (text types with C(charset=utf-8)) and the Cache-Control of the first O(cache_control) rule its path matches.
  - A file is uploaded when the object is missing or its content (SHA-256, kept in the object's metadata as
    C(liftoff-sha256)), Content-Type or Cache-Control differ; changing a rule re-uploads the files it now gives
    another header. Objects without a local file are deleted only with O(delete); objects matching O(exclude)
    never are.
  - Reads - one C(ListObjectsV2) per thousand objects, and one C(HeadObject) for each object whose size matches
    its local file (to compare the hash and headers); a no-op writes nothing.
  - Returns what changed (RV(changed_keys)), which the cdn role turns into invalidation paths.
  - Check mode reads the same and writes nothing; diff shows each changed object's hash and headers.
  - Why a module of our own - community.aws.s3_sync (10.x) has no check mode, one Cache-Control for every file,
    and does not notice a header change on an unchanged file.
author:
  - liftoff maintainers (@liftoff)
options:
  bucket:
    description: The bucket.
    type: str
    required: true
  src:
    description: The local folder (on the host the module runs on) whose files are synced.
    type: path
    required: true
  prefix:
    description: Key prefix in the bucket (like C(site/)); empty - the bucket's root.
    type: str
    default: ""
  cache_control:
    description:
      - Rules, first match wins - C(pattern) (a shell glob on the file's path below O(src), like C(*.html) or
        C(assets/*)) or C(regex) (a Python regular expression searched in that path, like C(\\.[0-9a-f]{8,}\\.\\w+$)
        for fingerprinted file names), and C(value) (the Cache-Control header).
    type: list
    elements: dict
    default: []
    suboptions:
      pattern:
        description: Shell glob on the path below O(src) (give this or O(cache_control[].regex)).
        type: str
      regex:
        description: Regular expression searched in the path below O(src).
        type: str
      value:
        description: The Cache-Control header of the files it matches.
        type: str
        required: true
  default_cache_control:
    description: Cache-Control of a file no rule matches.
    type: str
    default: "public, max-age=3600"
  content_types:
    description: More extensions (with or without the dot) and their Content-Type; they win over the built-in table.
    type: dict
    default: {}
  exclude:
    description:
      - Shell globs of paths below O(src) that are not uploaded and whose objects are never deleted. A pattern without
        C(/) also matches a file name in any folder (V(.DS_Store)).
    type: list
    elements: str
    default: []
  delete:
    description: Delete the objects under O(prefix) that have no local file (a versioned bucket keeps old versions).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - A file larger than 5 GiB (one PutObject's limit) fails the run by name.
"""

EXAMPLES = r"""
- name: The site - HTML revalidated on every request, fingerprinted assets cached for a year
  liftoff.aws.s3_site_sync:
    bucket: demo-prod-site
    src: "{{ playbook_dir }}/site/public"
    cache_control:
      - pattern: "*.html"
        value: "public, max-age=0, must-revalidate"
      - pattern: "assets/*"
        value: "public, max-age=31536000, immutable"
    exclude: [".DS_Store", ".git/*"]
    delete: true
  register: sync

- name: What changed
  ansible.builtin.debug:
    var: sync.changed_keys
"""

RETURN = r"""
created:
  description: Keys uploaded that did not exist.
  returned: always
  type: list
  elements: str
  sample: [about/index.html]
updated:
  description: Keys uploaded again - their content or headers had changed.
  returned: always
  type: list
  elements: str
  sample: [index.html]
deleted:
  description: Keys deleted (with O(delete)).
  returned: always
  type: list
  elements: str
  sample: [old.html]
changed_keys:
  description: Every created, updated and deleted key, sorted.
  returned: always
  type: list
  elements: str
  sample: [about/index.html, index.html, old.html]
unchanged:
  description: How many files were already in the bucket as they are.
  returned: always
  type: int
  sample: 41
files:
  description: How many local files were synced (after O(exclude)).
  returned: always
  type: int
  sample: 43
bytes_uploaded:
  description: Bytes uploaded (would be, in check mode).
  returned: always
  type: int
  sample: 10240
"""

import fnmatch
import hashlib
import mimetypes
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_client
from ansible_collections.liftoff.aws.plugins.module_utils.core import aws_error_handler
from ansible_collections.liftoff.aws.plugins.module_utils.core import paginate_all
from ansible_collections.liftoff.aws.plugins.module_utils.core import result
from ansible_collections.liftoff.aws.plugins.module_utils.core import run
from ansible_collections.liftoff.aws.plugins.module_utils.core import LiftoffAWSError

HASH_KEY = "liftoff-sha256"
MAX_PUT = 5 * 1024 ** 3
WORKERS = 8
# The web's types, fixed here so the headers do not depend on the controller's /etc/mime.types.
WEB_TYPES = {
    "html": "text/html", "htm": "text/html", "css": "text/css", "js": "text/javascript", "mjs": "text/javascript",
    "json": "application/json", "map": "application/json", "webmanifest": "application/manifest+json",
    "xml": "application/xml", "rss": "application/rss+xml", "atom": "application/atom+xml", "txt": "text/plain",
    "md": "text/markdown", "csv": "text/csv", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg",
    "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon",
    "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf", "eot": "application/vnd.ms-fontobject",
    "wasm": "application/wasm", "pdf": "application/pdf", "zip": "application/zip", "mp4": "video/mp4",
    "webm": "video/webm", "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav",
}
# Types that are text without saying text/: they get a charset too.
TEXT_TYPES = ("application/json", "application/manifest+json", "application/xml", "application/rss+xml",
              "application/atom+xml", "image/svg+xml")


def content_type(path, extra):
    """The Content-Type of a file by its extension: ``extra`` first, then the web table, then Python's."""
    extension = os.path.splitext(path)[1].lstrip(".").lower()
    found = extra.get(extension) or WEB_TYPES.get(extension) or mimetypes.guess_type(path, strict=False)[0]
    found = found or "application/octet-stream"
    if ";" not in found and (found.startswith("text/") or found in TEXT_TYPES):
        found += "; charset=utf-8"
    return found


def excluded(path, patterns):
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path, p) or ("/" not in p and fnmatch.fnmatchcase(name, p)) for p in patterns)


def cache_control(path, rules, default):
    for rule in rules:
        if rule.get("regex") and re.search(rule["regex"], path):
            return rule["value"]
        if rule.get("pattern") and fnmatch.fnmatchcase(path, rule["pattern"]):
            return rule["value"]
    return default


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def local_files(params):
    """Path below src ('/'-separated) -> {file, size, sha256, content_type, cache_control}."""
    root = params["src"]
    extra = {str(k).lstrip(".").lower(): v for k, v in params["content_types"].items()}
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            if excluded(relative, params["exclude"]) or not os.path.isfile(full):
                continue
            size = os.path.getsize(full)
            if size > MAX_PUT:
                raise LiftoffAWSError(message="%s is %d bytes, above the 5 GiB one upload may hold" % (full, size))
            files[relative] = {
                "file": full, "size": size, "sha256": sha256_of(full), "content_type": content_type(relative, extra),
                "cache_control": cache_control(relative, params["cache_control"], params["default_cache_control"]),
            }
    return files


@aws_error_handler("list the objects of bucket {bucket}")
def remote_objects(client, bucket, prefix):
    """Key below prefix -> size, for every object under prefix (folder placeholders aside)."""
    found = {}
    for item in paginate_all(client, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix):
        relative = item["Key"][len(prefix):]
        if relative and not relative.endswith("/"):
            found[relative] = item["Size"]
    return found


def _head(client, bucket, key):
    answer = client.head_object(Bucket=bucket, Key=key, aws_retry=True)
    return {"sha256": answer.get("Metadata", {}).get(HASH_KEY, ""), "content_type": answer.get("ContentType", ""),
            "cache_control": answer.get("CacheControl", "")}


@aws_error_handler("read the headers of the objects in bucket {bucket}")
def heads(client, bucket, keys):
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(zip(keys, pool.map(lambda key: _head(client, bucket, key), keys)))


def _put(client, bucket, key, wanted):
    with open(wanted["file"], "rb") as handle:
        body = handle.read()
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=wanted["content_type"],
                      CacheControl=wanted["cache_control"], Metadata={HASH_KEY: wanted["sha256"]}, aws_retry=True)


@aws_error_handler("upload files to bucket {bucket}")
def upload(client, bucket, items):
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(lambda item: _put(client, bucket, item[0], item[1]), items))


@aws_error_handler("delete objects of bucket {bucket}")
def delete(client, bucket, keys):
    for start in range(0, len(keys), 1000):
        answer = client.delete_objects(Bucket=bucket, aws_retry=True, Delete={
            "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise LiftoffAWSError(message="Could not delete %s from bucket %s: %s"
                                  % (first.get("Key"), bucket, first.get("Message", first.get("Code"))))


def _view(entry):
    return {k: entry[k] for k in ("sha256", "content_type", "cache_control")}


def plan(local, remote, current_heads, params):
    """(created, updated, deleted) relative paths, and the objects' before/after views of the changed ones."""
    created, updated, before, after = [], [], {}, {}
    for path, wanted in sorted(local.items()):
        if path not in remote:
            created.append(path)
            after[path] = _view(wanted)
        elif remote[path] != wanted["size"] or current_heads.get(path) != _view(wanted):
            updated.append(path)
            before[path] = current_heads.get(path) or {"size": remote[path]}
            after[path] = _view(wanted)
    deleted = []
    if params["delete"]:
        deleted = sorted(p for p in remote if p not in local and not excluded(p, params["exclude"]))
        for path in deleted:
            before[path] = current_heads.get(path) or {"size": remote[path]}
    return created, updated, deleted, before, after


def ensure(module, client):
    params = module.params
    if not os.path.isdir(params["src"]):
        module.fail_json(msg="src %s is not a folder" % params["src"])
    bucket, prefix = params["bucket"], params["prefix"]
    local = local_files(params)
    remote = remote_objects(client, bucket, prefix)
    same_size = [p for p, wanted in local.items() if remote.get(p) == wanted["size"]]
    current_heads = heads(client, bucket, [prefix + p for p in same_size])
    current_heads = {k[len(prefix):]: v for k, v in current_heads.items()}
    created, updated, deleted, before, after = plan(local, remote, current_heads, params)
    uploads = created + updated
    if not module.check_mode:
        if uploads:
            upload(client, bucket, [(prefix + p, local[p]) for p in uploads])
        if deleted:
            delete(client, bucket, [prefix + p for p in deleted])
    keys = [prefix + p for p in created], [prefix + p for p in updated], [prefix + p for p in deleted]
    return result(module, bool(uploads or deleted), {prefix + k: v for k, v in before.items()},
                  {prefix + k: v for k, v in after.items()}, created=keys[0], updated=keys[1], deleted=keys[2],
                  changed_keys=sorted(keys[0] + keys[1] + keys[2]), unchanged=len(local) - len(uploads),
                  files=len(local), bytes_uploaded=sum(local[p]["size"] for p in uploads))


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        src=dict(type="path", required=True),
        prefix=dict(type="str", default=""),
        cache_control=dict(type="list", elements="dict", default=[], options=dict(
            pattern=dict(type="str"), regex=dict(type="str"), value=dict(type="str", required=True)),
            mutually_exclusive=[("pattern", "regex")], required_one_of=[("pattern", "regex")]),
        default_cache_control=dict(type="str", default="public, max-age=3600"),
        content_types=dict(type="dict", default={}),
        exclude=dict(type="list", elements="str", default=[]),
        delete=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["prefix"].startswith("/"):
        module.fail_json(msg="prefix %r starts with /: S3 keys have no leading slash" % module.params["prefix"])
    for index, rule in enumerate(module.params["cache_control"]):
        try:
            re.compile(rule["regex"] or "")
        except re.error as e:
            module.fail_json(msg="cache_control[%d].regex %r is not a regular expression: %s" % (index, rule["regex"], e))
    run(module, ensure, aws_client(module, "s3"))


if __name__ == "__main__":
    main()
