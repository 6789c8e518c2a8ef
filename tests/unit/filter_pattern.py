"""A small evaluator of CloudWatch Logs JSON filter patterns (`{ $.a.b = "x" && ... }`), for unit tests.

Follows "Filter and pattern syntax", JSON log events section
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html; read from the
archived copy, github.com/awsdocs/amazon-cloudwatch-logs-user-guide doc_source/FilterAndPatternSyntax.md):

- selectors `$.a.b`, `$.a[0]`, `$.a[0][1]` (names: alphanumerics, `-` and `_`);
- `=` and `!=` with a quoted or unquoted string, `*` as wildcard "at, before, or after a search term":
  `*Event`, `Event*` and `*Event*` are wildcards, but "Ev*ent will only match the actual string Ev*ent";
- `=, !=, <, <=, >, >=` with a number (optional sign, decimal, scientific notation);
- `IS TRUE`, `IS FALSE`, `IS NULL` ("only true if the specified object is set to null"), `NOT EXISTS`;
- `&&`, `||` and parentheses, "standard order of operations () > && > ||".

A comparison needs a value node: "The SELECTOR must point to a value node (string or number) in the
JSON. If it points to an array or object ... both {$.users = 1} and {$.users != 1} will fail to match".
A selector that reaches nothing: for `=` the docs say false (`$.objectList[1].id = 2`: "If the items in
objectList ... do not have an id property, this will be false"); for `!=` they say nothing explicit, and
CloudWatch's own "Test pattern" does not match it (github.com/DataBiosphere/azul issue 5884:
`$.userIdentity.invokedBy != "cloudfront.amazonaws.com"` against a record without invokedBy: no match).
So here `=`, `!=`, `<` ... are all false unless the selector reaches a string or a number.

Anything else raises ValueError, at compile time, whatever the event: a typo must fail loudly.
"""

from __future__ import annotations

import json
import operator
import re

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<punct>\{|\}|\(|\)|&&|\|\|)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<selector>\$(?:\.[A-Za-z0-9_-]+|\[[0-9]+\])+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<word>[+-]?[A-Za-z0-9_.:/*-]+)
""", re.VERBOSE)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SEGMENT = re.compile(r"\.([A-Za-z0-9_-]+)|\[([0-9]+)\]")
_MISSING = object()


def _tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if not found:
            raise ValueError("filter pattern: unexpected %r at offset %d in %r" % (text[pos], pos, text))
        if found.lastgroup != "ws":
            tokens.append((found.lastgroup, found.group()))
        pos = found.end()
    return tokens


def _resolve(event, selector):
    """The value the selector points to in the event, or _MISSING."""
    node = event
    for name, index in _SEGMENT.findall(selector):
        if name and isinstance(node, dict) and name in node:
            node = node[name]
        elif index and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return _MISSING
    return node


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _glob(pattern, text):
    """A leading and/or a trailing `*` is a wildcard; a `*` anywhere else is a plain character."""
    if pattern == "*":
        return True
    lead, trail = pattern.startswith("*"), pattern.endswith("*")
    core = pattern[1 if lead else 0:len(pattern) - 1 if trail else len(pattern)]
    if lead and trail:
        return core in text
    if lead:
        return text.endswith(core)
    if trail:
        return text.startswith(core)
    return text == pattern


_NUMERIC = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _comparison(selector, op, literal, number):
    """A test of one event: `selector op literal` (number: the literal's value when it is a number)."""
    def test(event):
        value = _resolve(event, selector)
        if _is_number(value) and number is not None:
            return _NUMERIC[op](value, number)
        if op not in ("=", "!="):
            return False  # a numeric operator against a string, an object, an array, a boolean, null, nothing
        if isinstance(value, str):
            text = value
        elif _is_number(value):
            text = json.dumps(value)
        else:
            return False  # not a value node: neither = nor != matches
        return _glob(literal, text) == (op == "=")
    return test


class _Parser:
    """Recursive descent over the tokens: pattern := { either }, either := both (|| both)*, both := primary (&& primary)*."""

    def __init__(self, text):
        self.text, self.tokens, self.pos = text, _tokenize(text), 0

    def error(self, expected, token):
        got = token[1] if token else "end of pattern"
        raise ValueError("filter pattern: expected %s, got %r in %r" % (expected, got, self.text))

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, expected, kinds=(), values=()):
        """The next token, consumed, if it is of one of the kinds or has one of the values; else ValueError."""
        token = self.peek()
        if not token or not (token[0] in kinds or token[1] in values):
            self.error(expected, token)
        self.pos += 1
        return token

    def accept(self, value):
        token = self.peek()
        if token and token[0] == "punct" and token[1] == value:
            self.pos += 1
            return True
        return False

    def pattern(self):
        self.next("'{'", values=("{",))
        test = self.either()
        self.next("'}'", values=("}",))
        if self.peek():
            self.error("end of pattern", self.peek())
        return test

    def either(self):
        tests = [self.both()]
        while self.accept("||"):
            tests.append(self.both())
        return tests[0] if len(tests) == 1 else lambda event: any(test(event) for test in tests)

    def both(self):
        tests = [self.primary()]
        while self.accept("&&"):
            tests.append(self.primary())
        return tests[0] if len(tests) == 1 else lambda event: all(test(event) for test in tests)

    def primary(self):
        if self.accept("("):
            test = self.either()
            self.next("')'", values=(")",))
            return test
        selector = self.next("a selector ($.name) or '('", kinds=("selector",))[1]
        return self.condition(selector)

    def condition(self, selector):
        token = self.next("an operator (= != < <= > >=), IS or NOT EXISTS", kinds=("op",), values=("IS", "NOT"))
        if token == ("word", "NOT"):
            self.next("EXISTS", values=("EXISTS",))
            return lambda event: _resolve(event, selector) is _MISSING
        if token == ("word", "IS"):
            word = self.next("TRUE, FALSE or NULL", values=("TRUE", "FALSE", "NULL"))[1]
            constant = {"TRUE": True, "FALSE": False, "NULL": None}[word]
            return lambda event: _resolve(event, selector) is constant
        op = token[1]
        value = self.next("a value after " + op, kinds=("string", "word"))
        literal, number = value[1], None
        if value[0] == "string":
            literal = re.sub(r"\\(.)", r"\1", literal[1:-1])
        elif _NUMBER.fullmatch(literal):
            number = float(literal)
        if number is None and op not in ("=", "!="):
            self.error("a number after " + op, value)
        return _comparison(selector, op, literal, number)


def compile_pattern(text):
    """The pattern as a test of one event (a dict, or a log message string); ValueError if not understood."""
    test = _Parser(text).pattern()

    def run(event):
        if isinstance(event, str):
            try:
                event = json.loads(event)
            except ValueError:
                return False  # a JSON pattern never matches a message that is not JSON
        return test(event)
    return run


def matches(pattern, event):
    return compile_pattern(pattern)(event)
