"""A small YAML subset, for config files when PyYAML is not installed.

Supported (one document):
  - block mappings nested by indentation ("key: value", "key:" followed
    by a more indented block), keys plain or quoted;
  - block sequences ("- item"), of scalars, of flow collections or of
    mappings written "- key: value" with the rest of the mapping indented
    under the first key;
  - flow sequences and mappings on one line: [1, 2, 3], {value: 0.1};
  - scalars resolved as YAML 1.1 (PyYAML) does: null (~, null, empty),
    booleans (true/false, yes/no, on/off in their three spellings), ints
    (decimal, 0x, 0o/0 octal, 0b; "_" separators), floats with a dot or
    an exponent after a dot (1.0, 1.5e-3, .5, .inf, -.inf, .nan);
    anything else is a string (so 1e-3 is the string "1e-3", as in
    PyYAML); single- and double-quoted strings with the usual escapes;
  - comments ("# ..." at line start or after a space), "---" and "...".
Not supported, with an error naming the line: anchors and aliases (&, *),
tags (!), block scalars (| and >), complex keys (?), multi-line flow
collections and multi-line plain scalars.
"""

import re

__all__ = ["load", "YamlError"]


class YamlError(ValueError):
    """A document outside the subset, or malformed."""


_INT = re.compile(r"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|"
                  r"0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False,
         "False": False, "FALSE": False, "yes": True, "Yes": True,
         "YES": True, "no": False, "No": False, "NO": False, "on": True,
         "On": True, "ON": True, "off": False, "Off": False, "OFF": False}
_NULL = ("", "~", "null", "Null", "NULL")
_ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"',
        "/": "/", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "v": "\v",
        " ": " "}


def _int(s):
    t = s.replace("_", "")
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-")
    if t.startswith("0b"):
        return sign * int(t[2:], 2)
    if t.startswith("0x"):
        return sign * int(t[2:], 16)
    if t.startswith("0o"):
        return sign * int(t[2:], 8)
    if len(t) > 1 and t.startswith("0"):
        return sign * int(t[1:], 8)
    return sign * int(t)


def scalar(s):
    """Resolve a plain scalar as PyYAML's default resolver does."""
    if s in _NULL:
        return None
    if s in _BOOL:
        return _BOOL[s]
    if _INT.match(s) and s not in ("+", "-"):
        return _int(s)
    if _FLOAT.match(s) and any(c.isdigit() for c in s):
        return float(s.replace("_", ""))
    if _INF.match(s):
        return float("-inf") if s.startswith("-") else float("inf")
    if _NAN.match(s):
        return float("nan")
    return s


class _Parser:
    def __init__(self, text, name):
        self.name = name
        self.lines = []         # (lineno, indent, content)
        for no, raw in enumerate(text.splitlines(), 1):
            if "\t" in raw[:len(raw) - len(raw.lstrip())]:
                self.fail(no, "tabs are not allowed in indentation")
            content = self.strip_comment(raw, no).rstrip()
            if not content.strip():
                continue
            if content in ("---", "...") or content.startswith("--- "):
                if self.lines and content != "...":
                    self.fail(no, "only one document is supported")
                continue
            indent = len(content) - len(content.lstrip(" "))
            self.lines.append((no, indent, content.strip()))

    def fail(self, no, what):
        raise YamlError("%s:%d: %s" % (self.name, no, what))

    def strip_comment(self, line, no):
        quote = None
        i = 0
        while i < len(line):
            c = line[i]
            if quote:
                if c == "\\" and quote == '"':
                    i += 1
                elif c == quote:
                    if quote == "'" and line[i + 1:i + 2] == "'":
                        i += 1
                    else:
                        quote = None
            elif c in "'\"" and (i == 0 or line[i - 1] in " [{,:-"):
                quote = c
            elif c == "#" and (i == 0 or line[i - 1] in " \t"):
                return line[:i]
            i += 1
        return line

    def parse(self):
        if not self.lines:
            return None
        value, i = self.block(0, self.lines[0][1])
        if i < len(self.lines):
            self.fail(self.lines[i][0], "unexpected indentation")
        return value

    def block(self, i, indent):
        no, ind, content = self.lines[i]
        if content == "-" or content.startswith("- "):
            return self.sequence(i, indent)
        if self.split_key(content, no) is not None:
            return self.mapping(i, indent)
        if i + 1 < len(self.lines) and self.lines[i + 1][1] >= indent:
            self.fail(self.lines[i + 1][0], "multi-line scalars are not "
                      "supported")
        return self.value(content, no), i + 1

    def sequence(self, i, indent):
        out = []
        while i < len(self.lines):
            no, ind, content = self.lines[i]
            if ind < indent:
                break
            if ind > indent or not (content == "-" or
                                    content.startswith("- ")):
                self.fail(no, "expected a \"- \" item at this indentation")
            rest = content[1:].lstrip(" ")
            if not rest:
                if i + 1 < len(self.lines) and self.lines[i + 1][1] > ind:
                    v, i = self.block(i + 1, self.lines[i + 1][1])
                else:
                    v, i = None, i + 1
            else:
                sub = ind + (len(content) - len(rest))
                self.lines[i] = (no, sub, rest)
                v, i = self.block(i, sub)
            out.append(v)
        return out, i

    def mapping(self, i, indent):
        out = {}
        while i < len(self.lines):
            no, ind, content = self.lines[i]
            if ind < indent:
                break
            if ind > indent:
                self.fail(no, "unexpected indentation")
            kv = self.split_key(content, no)
            if kv is None:
                self.fail(no, "expected \"key: value\"")
            key, rest = kv
            if key in out:
                self.fail(no, "duplicate key %r" % (key,))
            if rest:
                out[key] = self.value(rest, no)
                i += 1
            elif i + 1 < len(self.lines) and (
                    self.lines[i + 1][1] > ind or (
                        self.lines[i + 1][1] == ind and
                        self.lines[i + 1][2].startswith("-"))):
                out[key], i = self.block(i + 1, self.lines[i + 1][1])
            else:
                out[key] = None
                i += 1
        return out, i

    def split_key(self, content, no):
        """(key, rest) of "key: rest", or None if not a mapping entry."""
        if content[0] in "&*!|>?%@`":
            self.fail(no, "anchors, aliases, tags, block scalars and "
                      "complex keys are not supported")
        if content[0] in "'\"":
            s, end = self.quoted(content, 0, no)
            rest = content[end:].lstrip(" ")
            if not rest.startswith(":"):
                return None
            return s, rest[1:].strip()
        if content[0] in "[{":
            return None
        m = re.search(r":( |$)", content)
        if m is None:
            return None
        key = content[:m.start()].rstrip()
        return scalar_key(key), content[m.end():].strip()

    def quoted(self, s, i, no):
        q = s[i]
        out = []
        i += 1
        while i < len(s):
            c = s[i]
            if c == q:
                if q == "'" and s[i + 1:i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), i + 1
            if c == "\\" and q == '"':
                e = s[i + 1:i + 2]
                if e in _ESC:
                    out.append(_ESC[e])
                    i += 2
                    continue
                if e in ("x", "u", "U"):
                    n = {"x": 2, "u": 4, "U": 8}[e]
                    try:
                        out.append(chr(int(s[i + 2:i + 2 + n], 16)))
                    except ValueError:
                        self.fail(no, "bad escape \\%s" % e)
                    i += 2 + n
                    continue
                self.fail(no, "bad escape \\%s" % e)
            out.append(c)
            i += 1
        self.fail(no, "unterminated quoted string")

    def value(self, s, no):
        if s[0] in "&*!|>":
            self.fail(no, "anchors, aliases, tags and block scalars are "
                      "not supported")
        if s[0] in "'\"":
            v, end = self.quoted(s, 0, no)
            if s[end:].strip():
                self.fail(no, "text after a quoted string")
            return v
        if s[0] in "[{":
            v, end = self.flow(s, 0, no)
            if s[end:].strip():
                self.fail(no, "text after a flow collection")
            return v
        return scalar(s)

    def flow(self, s, i, no):
        """A flow collection starting at s[i]; (value, end)."""
        close = "]" if s[i] == "[" else "}"
        out = [] if close == "]" else {}
        i += 1
        while True:
            while i < len(s) and s[i] == " ":
                i += 1
            if i >= len(s):
                self.fail(no, "flow collections must end on their line")
            if s[i] == close:
                return out, i + 1
            if close == "}":
                if s[i] in "'\"":
                    key, i = self.quoted(s, i, no)
                else:
                    m = re.compile(r"[^:,}]*").match(s, i)
                    key, i = scalar_key(m.group().strip()), m.end()
                while i < len(s) and s[i] == " ":
                    i += 1
                if i < len(s) and s[i] == ":":
                    v, i = self.flow_item(s, i + 1, no, close)
                else:
                    v = None
                out[key] = v
            else:
                v, i = self.flow_item(s, i, no, close)
                out.append(v)
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] != close:
                self.fail(no, "expected \",\" or %r" % close)

    def flow_item(self, s, i, no, close):
        while i < len(s) and s[i] == " ":
            i += 1
        if i < len(s) and s[i] in "[{":
            return self.flow(s, i, no)
        if i < len(s) and s[i] in "'\"":
            return self.quoted(s, i, no)
        m = re.compile(r"[^,\]}]*").match(s, i)
        return scalar(m.group().strip()), m.end()


def scalar_key(s):
    v = scalar(s)
    return v if isinstance(v, (str, int, bool)) or v is None else s


def load(text, name="<yaml>"):
    """Parse a YAML document of the subset; raise YamlError otherwise."""
    return _Parser(text, name).parse()
