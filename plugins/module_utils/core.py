# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared layer of liftoff.aws's AWS modules (read plugins/module_utils/README.md first).

A module file holds its docs, its argument spec and ``ensure_present`` / ``ensure_absent``; the
plumbing lives here, built on amazon.aws's own helpers:

- ``aws_client(module, service)``: a client whose calls retry with ``AWSRetry.jittered_backoff``
  when called with ``aws_retry=True``.
- ``paginate_all(client, operation, result_key, **params)``: every page, the whole query retried
  on throttling (amazon.aws ``paginated_query_with_retries``).
- ``@aws_error_handler(description)``, ``@describe_or_none(description)``,
  ``@delete_or_gone(description)``: a botocore error inside the decorated function becomes a
  ``LiftoffAWSError`` saying ``Could not <description>`` (placeholders filled from the function's
  arguments); not-found errors become ``None`` / ``False`` in the last two.
- ``run(module, ensure, ...)`` / ``run_state(module, present, absent, ...)``: call the ensure
  function, turn a ``LiftoffAWSError`` (or any ``AnsibleAWSError``) into ``fail_json_aws`` and
  exit with the result.
- ``result(module, changed, before, after, **returned)``, ``unless_check_mode(module, call, ...)``
  and ``KNOWN_AFTER_CREATION``: honest check mode and diff.
- ``tag_updates`` / ``ensure_tags`` (``compare_aws_tags``) and ``policy_changed``
  (``compare_policies``), ``to_result`` (``boto3_resource_to_ansible_dict``).
"""

from __future__ import annotations

import functools
import inspect
import json
from urllib.parse import unquote

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

# Error codes that mean "there is no such resource" in the services our modules use. A module
# whose service has its own code passes codes= (for example ("NoSuchDistribution",)).
NOT_FOUND_CODES = (
    "NoSuchEntity",  # IAM
    "NotFoundException",  # Budgets
    "ResourceNotFoundException",  # DLM, many newer APIs
    "ResourceNotFoundFault",
)

# What check mode and diffs show for a value AWS only assigns when the resource is created.
KNOWN_AFTER_CREATION = "(known after creation)"

# Appended to an error message when the AWS error code has an obvious next step.
HINTS = {
    "AccessDenied": "the credentials in use lack the permission for this call",
    "AccessDeniedException": "the credentials in use lack the permission for this call",
    "UnauthorizedOperation": "the credentials in use lack the permission for this call",
    "Throttling": "AWS still throttled the call after the retries",
    "ThrottlingException": "AWS still throttled the call after the retries",
    "RequestLimitExceeded": "AWS still throttled the call after the retries",
    "ExpiredToken": "the session credentials have expired",
    "ExpiredTokenException": "the session credentials have expired",
}


def partition_of(region):
    """The ARN partition of a region: aws-cn for China, aws-us-gov for GovCloud, aws elsewhere."""
    if str(region).startswith("cn-"):
        return "aws-cn"
    if str(region).startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class LiftoffAWSError(AnsibleAWSError):
    """A failed AWS call, with the message a user should read (``Could not <description>``)."""


def aws_client(module, service, retry_codes=None, **kwargs):
    """``module.client(service)`` whose calls retry with jittered backoff when given ``aws_retry=True``.

    ``retry_codes``: error codes to retry besides AWSRetry's own (newer APIs throttle with ``ThrottlingException``).
    """
    decorator = AWSRetry.jittered_backoff(catch_extra_error_codes=list(retry_codes) if retry_codes else None)
    return module.client(service, retry_decorator=decorator, **kwargs)


def paginate_all(client, operation, result_key=None, **params):
    """All pages of ``operation`` merged (``result_key`` picks one list); throttling retries the query."""
    pages = paginated_query_with_retries(client, operation, retry_decorator=AWSRetry.jittered_backoff(), **params)
    if result_key is None:
        return pages
    return pages.get(result_key, [])


def error_code(exception):
    """The AWS error code of a botocore ClientError, or None."""
    response = getattr(exception, "response", None) or {}
    return response.get("Error", {}).get("Code")


def _describe(description, func, args, kwargs):
    """description with {placeholders} filled from the call's arguments (unchanged when one is unknown)."""
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
        bound.apply_defaults()
        return description.format(**bound.arguments)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return description


def _handler(description, codes=None, missing_value=None):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except LiftoffAWSError:
                raise
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                if codes and isinstance(e, botocore.exceptions.ClientError) and error_code(e) in codes:
                    return missing_value
                message = "Could not " + _describe(description, func, args, kwargs)
                if isinstance(e, botocore.exceptions.WaiterError):
                    message = "Timed out waiting to " + _describe(description, func, args, kwargs)
                hint = HINTS.get(error_code(e))
                if hint:
                    message += f" ({hint})"
                raise LiftoffAWSError(message=message, exception=e) from e

        return wrapper

    return decorator


def aws_error_handler(description):
    """Decorator: a botocore error becomes LiftoffAWSError("Could not <description>").

    ``description`` may name the decorated function's arguments: ``"delete role {name}"``.
    """
    return _handler(description)


def describe_or_none(description, codes=NOT_FOUND_CODES):
    """Decorator for reads: a not-found error code (``codes``) returns None, other errors as aws_error_handler."""
    return _handler(description, codes=codes, missing_value=None)


def delete_or_gone(description, codes=NOT_FOUND_CODES):
    """Decorator for deletes: returns what the function returns (True when it returns nothing), False when
    the resource was already gone (a not-found error code), other errors as aws_error_handler."""

    def decorator(func):
        @functools.wraps(func)
        def deleting(*args, **kwargs):
            value = func(*args, **kwargs)
            return True if value is None else value

        return _handler(description, codes=codes, missing_value=False)(deleting)

    return decorator


def fail(module, error):
    """fail_json_aws for an AnsibleAWSError: the message, the AWS error (code, request id) and traceback."""
    if error.exception is not None:
        module.fail_json_aws(error.exception, msg=error.message, **error.kwargs)
    module.fail_json(msg=error.message or str(error), **error.kwargs)


def run(module, ensure, *args, **kwargs):
    """exit_json with what ``ensure(module, *args)`` returns; an AWS error fails the module with its message."""
    try:
        outcome = ensure(module, *args, **kwargs)
    except AnsibleAWSError as e:
        fail(module, e)
    module.exit_json(**outcome)


def run_state(module, present, absent, *args, **kwargs):
    """run() with ``present`` or ``absent`` according to module.params["state"]."""
    ensure = absent if module.params.get("state") == "absent" else present
    run(module, ensure, *args, **kwargs)


def unless_check_mode(module, call, *args, **kwargs):
    """``call(*args, aws_retry=True, **kwargs)`` outside check mode; None (and no call) in check mode."""
    if module.check_mode:
        return None
    return call(*args, aws_retry=True, **kwargs)


def result(module, changed, before=None, after=None, **returned):
    """The module's result: changed, the returned values, and a diff (before/after) when --diff is on."""
    outcome = dict(returned, changed=bool(changed))
    if module._diff:
        outcome["diff"] = {
            "before": {} if before is None else before,
            "after": {} if after is None else after,
        }
    return outcome


def to_result(resource, **kwargs):
    """A boto3 resource as the snake_case dict a module returns (tag lists become dicts); {} for None."""
    if not resource:
        return {}
    kwargs.setdefault("force_tags", False)
    return boto3_resource_to_ansible_dict(resource, **kwargs)


def tag_updates(current, desired, purge_tags=True):
    """(tags to set, keys to remove) to go from ``current`` to ``desired`` (dicts).

    ``desired=None`` means the user did not ask for tags: nothing changes. ``aws:`` tags are never removed.
    """
    if desired is None:
        return {}, []
    desired = {k: str(v) for k, v in desired.items()}
    return compare_aws_tags(current or {}, desired, purge_tags=purge_tags)


def ensure_tags(module, current, desired, purge_tags, set_tags, unset_tags):
    """Apply tag_updates with ``set_tags(dict)`` / ``unset_tags(list)`` (not in check mode).

    Returns (changed, tags after) so the caller can report them and put them in the diff.
    """
    to_set, to_unset = tag_updates(current, desired, purge_tags)
    if not module.check_mode:
        if to_unset:
            unset_tags(sorted(to_unset))
        if to_set:
            set_tags(to_set)
    after = {k: v for k, v in (current or {}).items() if k not in to_unset}
    after.update(to_set)
    return bool(to_set or to_unset), after


def owner_tags_of(module):
    """The module's ``owner_tags`` option as strings: the tags that mark a resource as the module's."""
    return {str(k): str(v) for k, v in (module.params["owner_tags"] or {}).items()}


def is_owned(tags, owner_tags):
    """Does a resource with ``tags`` carry every one of ``owner_tags``?"""
    return all(tags.get(k) == v for k, v in owner_tags.items())


def wanted_tags(module, noun):
    """(desired tags, purge) for ensure_tags, from the ``tags``, ``purge_tags`` and ``owner_tags`` options.

    ``tags`` not given: the resource's tags are left as they are, but the owner tags are added. Fails when
    ``tags`` contradicts ``owner_tags`` (the resource, ``noun``, would no longer be known as the module's).
    """
    owner_tags = owner_tags_of(module)
    tags = module.params["tags"]
    if tags is None:
        return (owner_tags or None), False
    tags = {str(k): str(v) for k, v in tags.items()}
    differ = sorted(k for k, v in owner_tags.items() if tags.get(k) != v)
    if differ:
        module.fail_json(msg="tags must include owner_tags (%s differ), or %s would not be known as ours again"
                         % (", ".join(differ), noun))
    return tags, module.params["purge_tags"]


def load_policy(policy):
    """A policy document as a dict: dicts pass, JSON strings (URL-encoded as IAM returns them) are parsed."""
    if policy is None or isinstance(policy, dict):
        return policy
    text = policy.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = unquote(text)
    return json.loads(text)


def policy_changed(current, desired):
    """True when the two policy documents differ in meaning (order, single-item lists and the root
    principal spelling do not count); a missing policy differs from any present one."""
    current, desired = load_policy(current), load_policy(desired)
    if current is None or desired is None:
        return current != desired
    return compare_policies(current, desired)
