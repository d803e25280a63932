"""Rule-test helpers for rules/0950-k8s_audit_rules.xml (stdlib only).

- load_rules():   parse the Wazuh rule XML (several top-level <group>s, so it is wrapped)
- OSRegex:        a line-by-line port of Wazuh 4.x's OS_Regex matcher (src/os_regex/
                  os_regex_compile.c + os_regex_execute.c, without sub-string capture),
                  including its quirks (no backtracking beyond four saved positions,
                  case-insensitive literals, the character classes of os_regex_maps.c)
- PCRE2:          the system libpcre2-8 through ctypes, compiled with options 0 exactly as
                  Wazuh's w_expression_compile() does; Python's re only if the library is
                  absent (then `pcre2_backend` says so)
- decode_json():  what analysisd's JSON decoder turns an event into (dotted dynamic fields,
                  numbers as "%i", booleans "true"/"false", arrays as cJSON_Print text,
                  static top-level keys kept out, at most 256 dynamic fields)
- Engine:         an APPROXIMATION of analysisd's rule matching for these rules: rule tree
                  ordered like rules_list.c (children by level, then load order), first
                  matching child wins, <field>/<list>/<decoded_as>, if_sid/if_matched_sid/
                  if_matched_group (group lists fed as OS_MarkGroup marks them),
                  frequency/timeframe/same_field context like Search_LastSids(), the rule
                  attribute ignore="SECONDS" like analysisd's main loop, and the forgetting of
                  remembered events when more than memorysize (8192) are held.  It does not
                  implement what the ruleset does not use (match/regex on the log, srcip,
                  time, if_group chains of other files, overwrite, accumulate, ...).  The
                  authority is a real analysisd: tests/rules/logtest_check.py.
- PluginRunner:   runs $PLUGIN against a stand-in analysisd datagram socket and returns the
                  datagrams it sends, exactly as in production.
"""

import ctypes
import ctypes.util
import json
import os
import re
import select
import socket
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
RULES_DIR = os.path.join(TOP, "rules")
RULE_FILE = os.path.join(RULES_DIR, "0950-k8s_audit_rules.xml")
LISTS_DIR = os.path.join(RULES_DIR, "lists")
ID_MIN, ID_MAX = 110100, 110499
DECODER_ORDER_SIZE = 256
# analysisd's <global><memory_size> default (src/analysisd/config.c: Config.memorysize = 8192)
MEMORY_SIZE = 8192
RULE_ATTRIBUTES = {"id", "level", "frequency", "timeframe", "ignore"}

# ---------------------------------------------------------------- OS_Regex
_W = set(b"-@_") | set(range(48, 58)) | set(range(65, 91)) | set(range(97, 123))
_P = set(b"!\"#$%&'()*+,-.:;<=>?[]{|}")
_ESC = {"d": 1, "w": 2, "s": 3, "p": 4, "(": 5, ")": 6, "\\": 7, "D": 8, "W": 9,
        "S": 10, ".": 11, "t": 12, "$": 13, "|": 14, "<": 15}


def _cls(code, c):
    if code == 1:
        return 48 <= c <= 57
    if code == 2:
        return c in _W
    if code == 3:
        return c == 32
    if code == 4:
        return c in _P
    if code == 5:
        return c == 40
    if code == 6:
        return c == 41
    if code == 7:
        return c == 92
    if code == 8:
        return c != 0 and not 48 <= c <= 57
    if code == 9:
        return c != 0 and c not in _W
    if code == 10:
        return c != 0 and c != 32
    if code == 11:
        return c != 0
    if code == 12:
        return c == 9
    if code == 13:
        return c == 36
    if code == 14:
        return c == 124
    if code == 15:
        return c == 60
    return False


def _lower(c):
    return c + 32 if 65 <= c <= 90 else c


BEGIN_SET, END_SET = 0o200, 0o400
BS, PAREN = 92, 40


class OSRegexError(ValueError):
    pass


class OSRegex:
    """OS_Regex compiled without OS_CASE_SENSITIVE (how rules compile <field>)."""

    def __init__(self, pattern):
        self.raw = pattern
        data = list(pattern.encode())
        if len(data) > 2048:
            raise OSRegexError("pattern too long")
        out = []
        depth = 0
        i = 0
        while i < len(data):
            c = data[i]
            if c == BS:
                if i + 1 >= len(data) or chr(data[i + 1]) not in _ESC:
                    raise OSRegexError("bad escape at %d in %r" % (i, pattern))
                out += [BS, _ESC[chr(data[i + 1])]]
                i += 2
                continue
            if c == 40:
                depth += 1
            elif c == 41:
                c = 40
                depth -= 1
            if depth not in (0, 1):
                raise OSRegexError("bad parenthesis in %r" % pattern)
            c = _lower(c)
            if c == 124 and depth != 0:
                raise OSRegexError("'|' inside parenthesis in %r" % pattern)
            out.append(c)
            i += 1
        if depth != 0:
            raise OSRegexError("unbalanced parenthesis in %r" % pattern)
        # split on unescaped '|' (escaped ones became code 14 after a backslash)
        self.subs = []
        cur = []
        j = 0
        while j <= len(out):
            if j == len(out) or (out[j] == 124 and not (j > 0 and out[j - 1] == BS and _is_code_pos(out, j))):
                flags = 0
                if cur and cur[0] == 94:
                    cur = cur[1:]
                    flags |= BEGIN_SET
                if cur and cur[-1] == 36 and not (len(cur) >= 2 and cur[-2] == BS and _is_code_pos(cur, len(cur) - 1)):
                    cur = cur[:-1]
                    flags |= END_SET
                self.subs.append((cur + [0, 0, 0, 0], flags))
                cur = []
                j += 1
                continue
            cur.append(out[j])
            j += 1

    def match(self, s):
        b = s.encode() if isinstance(s, str) else bytes(s)
        b = b + b"\0"
        for pat, flags in self.subs:
            if _os_regex(pat, b, flags) is not None:
                return True
        return False


def _is_code_pos(seq, j):
    """True if seq[j] is the code byte of an escape (preceded by an escape backslash)."""
    k = 0
    while k < j:
        if seq[k] == BS:
            if k + 1 == j:
                return True
            k += 2
        else:
            k += 1
    return False


def _isplus(c):
    return c in (43, 42)


def _os_regex(pat, s, flags):
    """Port of _OS_Regex() (os_regex_execute.c) with prts_closure == NULL.
    Returns an index (match) or None.  s ends with a NUL byte."""
    r_code = 0
    regex_matched = 0
    st_error = None
    pt = 0
    pt_error = [None] * 4
    pt_error_str = [None] * 4
    st = 0
    while s[st] != 0:
        c = pat[pt]
        if c == 0:
            if not (flags & END_SET):
                return r_code
        elif c == PAREN:
            pt += 1
            if pat[pt] == 0 and not (flags & END_SET):
                return r_code
        if pat[pt] == BS:
            if _cls(pat[pt + 1], s[st]):
                next_pt = pt + 2
                if not _isplus(pat[next_pt]):
                    pt = next_pt
                    if st_error is None:
                        st_error = st
                    r_code = st
                    st += 1
                    continue
                if pat[next_pt] == 42:
                    regex_matched = 1
                if regex_matched:
                    next_pt += 1
                    ok_here = -1
                    if pat[next_pt] == PAREN:
                        next_pt += 1
                    if pat[next_pt] == 0:
                        ok_here = 1
                    elif pat[next_pt] == BS:
                        if _cls(pat[next_pt + 1], s[st]):
                            ok_here = 2 if not _isplus(pat[next_pt + 2]) else 0
                    elif pat[next_pt] == _lower(s[st]):
                        regex_matched = 0
                        ok_here = 1
                    if ok_here >= 0:
                        if pat[next_pt] == 0:
                            st += 1
                            continue
                        if ok_here:
                            next_pt += ok_here
                        for k in range(4):
                            if pt_error[k] is None:
                                pt_error[k] = pt
                                pt_error_str[k] = st
                                break
                        pt = next_pt
                else:
                    regex_matched = 1
                r_code = st
                st += 1
                continue
            elif (pat[pt + 2] == 0 or pat[pt + 3] == 0) and regex_matched == 1 and r_code is not None:
                r_code = st
                if not (flags & END_SET):
                    return r_code
            elif pat[pt + 2] == 43 and regex_matched == 1:
                pt += 3
                regex_matched = 0
                continue  # st-- then ++st
            elif pat[pt + 2] == 42:
                pt += 3
                r_code = st - 1
                regex_matched = 0
                continue
            regex_matched = 0
        elif pat[pt] == _lower(s[st]):
            pt += 1
            if st_error is None:
                st_error = st
            r_code = st
            st += 1
            continue
        # error handling
        restored = False
        for k in (3, 2, 1, 0):
            if pt_error[k] is not None:
                pt = pt_error[k]
                st = pt_error_str[k]
                pt_error[k] = None
                restored = True
                break
        if restored:
            st += 1
            continue
        if flags & BEGIN_SET:
            return None
        if st_error is not None:
            st = st_error
            st_error = None
        pt = 0
        r_code = None
        st += 1

    # clean up (short-circuit chain of the C code, pt moves as it goes)
    def eof(p):
        if pat[p] == PAREN:
            p += 1
        return pat[p] == 0
    p = pt
    if eof(p):
        return r_code
    if pat[p] == BS and regex_matched:
        p += 2
        if _isplus(pat[p]):
            p += 1
            if eof(p):
                return r_code
            if pat[p] == BS:
                p += 2
                if pat[p] == 42:
                    p += 1
                    if eof(p):
                        return r_code
    if pat[p] == BS:
        p += 2
        if pat[p] == 42:
            p += 1
            if eof(p):
                return r_code
    return None


# ---------------------------------------------------------------- PCRE2
class _Pcre2Lib:
    def __init__(self):
        self.lib = None
        name = ctypes.util.find_library("pcre2-8")
        for cand in ([name] if name else []) + ["libpcre2-8.so.0", "libpcre2-8.so"]:
            try:
                self.lib = ctypes.CDLL(cand)
                break
            except OSError:
                continue
        if self.lib is None:
            return
        L = self.lib
        L.pcre2_compile_8.restype = ctypes.c_void_p
        L.pcre2_compile_8.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                                      ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_size_t),
                                      ctypes.c_void_p]
        L.pcre2_match_data_create_from_pattern_8.restype = ctypes.c_void_p
        L.pcre2_match_data_create_from_pattern_8.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        L.pcre2_match_8.restype = ctypes.c_int
        L.pcre2_match_8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                                    ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p]
        L.pcre2_match_data_free_8.argtypes = [ctypes.c_void_p]
        L.pcre2_get_error_message_8.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]


_PCRE2 = _Pcre2Lib()
pcre2_backend = "libpcre2-8 (ctypes)" if _PCRE2.lib else "python re (libpcre2-8 not found: approximation)"


class PCRE2Error(ValueError):
    pass


class PCRE2:
    def __init__(self, pattern):
        self.raw = pattern
        if _PCRE2.lib:
            err = ctypes.c_int(0)
            off = ctypes.c_size_t(0)
            pb = pattern.encode()
            self.code = _PCRE2.lib.pcre2_compile_8(pb, len(pb), 0, ctypes.byref(err), ctypes.byref(off), None)
            if not self.code:
                buf = ctypes.create_string_buffer(256)
                _PCRE2.lib.pcre2_get_error_message_8(err.value, buf, 256)
                raise PCRE2Error("%s at offset %d in %r" % (buf.value.decode(), off.value, pattern))
        else:
            try:
                self.rx = re.compile(pattern.encode())
            except re.error as e:
                raise PCRE2Error("%s in %r" % (e, pattern))

    def match(self, s):
        b = s.encode() if isinstance(s, str) else bytes(s)
        if _PCRE2.lib:
            md = _PCRE2.lib.pcre2_match_data_create_from_pattern_8(self.code, None)
            try:
                rc = _PCRE2.lib.pcre2_match_8(self.code, b, len(b), 0, 0, md, None)
            finally:
                _PCRE2.lib.pcre2_match_data_free_8(md)
            return rc > 0
        return self.rx.search(b) is not None


# ---------------------------------------------------------------- JSON decoder
STATIC_KEYS = {"srcip", "dstip", "dstport", "srcport", "protocol", "action", "srcuser",
               "dstuser", "id", "status", "url", "data", "extra_data", "systemname"}
STATIC_FIELD_NAMES = {"srcip", "dstip", "srcgeoip", "dstgeoip", "srcport", "dstport", "user",
                      "srcuser", "dstuser", "url", "id", "data", "extra_data", "status",
                      "protocol", "system_name", "action"}


def _num(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        iv = max(min(v, 2**31 - 1), -2**31)
        if float(iv) == float(v):
            return "%i" % iv
        return "%f" % float(v)
    if float(v).is_integer() and -2**31 <= v <= 2**31 - 1:
        return "%i" % int(v)
    return "%f" % v


def _cjson_print(v, depth=0):
    """Roughly cJSON_Print (formatted) for the array case."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return "%d" % v if isinstance(v, int) or float(v).is_integer() else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_cjson_print(x, depth + 1) for x in v) + "]"
    items = ["\t" * (depth + 1) + json.dumps(k, ensure_ascii=False) + ":\t" + _cjson_print(x, depth + 1)
             for k, x in v.items()]
    return "{\n" + ",\n".join(items) + "\n" + "\t" * depth + "}"


def decode_json(payload):
    """Return (dynamic fields dict in order, static dict, dropped_count)."""
    obj = json.loads(payload)
    fields, static = {}, {}
    dropped = [0]

    def fill(key, value):
        if key in STATIC_KEYS:
            static[key] = value
            return
        if key == "user" and not static.get("dstuser"):
            static["dstuser"] = value
            return
        if len(fields) >= DECODER_ORDER_SIZE:
            dropped[0] += 1
            return
        fields.setdefault(key, value)

    def walk(o, parent):
        for k, v in o.items():
            key = parent + "." + k if parent else k
            if isinstance(v, dict):
                walk(v, key)
            elif isinstance(v, list):
                txt = _cjson_print(v)
                if txt:
                    fill(key, txt)
            elif v is None:
                fill(key, "null")
            elif isinstance(v, bool):
                fill(key, "true" if v else "false")
            elif isinstance(v, (int, float)):
                fill(key, _num(v))
            else:
                fill(key, v)
    if isinstance(obj, dict):
        walk(obj, None)
    return fields, static, dropped[0]


# ---------------------------------------------------------------- rules
class Rule:
    def __init__(self):
        self.id = 0
        self.level = 0
        self.if_sid = []
        self.if_group = None
        self.if_matched_sid = None
        self.if_matched_group = None
        self.frequency = None
        self.timeframe = None
        self.ignore_time = 0
        self.attributes = []
        self.same_fields = []
        self.decoded_as = None
        self.fields = []      # (name, pattern, type, negate, compiled)
        self.regex = None     # (pattern, type, negate, compiled) on the whole log
        self.lists = []       # (field, lookup, path)
        self.description = ""
        self.groups = []
        self.mitre = []
        self.options = []
        self.children = []
        self.order = 0
        self.unsupported = []


def read_rule_xml(path=RULE_FILE):
    text = open(path, encoding="utf-8").read()
    return ET.fromstring("<root>" + text + "</root>")


def load_rules(path=RULE_FILE, compile_regex=True):
    root = read_rule_xml(path)
    rules = []
    for grp in root.findall("group"):
        gnames = [g for g in (grp.get("name") or "").split(",") if g]
        for el in grp.findall("rule"):
            r = Rule()
            r.id = int(el.get("id"))
            r.level = int(el.get("level"))
            r.frequency = int(el.get("frequency")) if el.get("frequency") else None
            r.timeframe = int(el.get("timeframe")) if el.get("timeframe") else None
            r.ignore_time = int(el.get("ignore")) if el.get("ignore") else 0
            r.attributes = list(el.keys())
            r.groups = list(gnames)
            r.order = len(rules)
            for ch in el:
                t, txt = ch.tag, (ch.text or "").strip()
                if t == "if_sid":
                    r.if_sid = [int(x) for x in re.split(r"[,\s]+", txt) if x]
                elif t == "if_group":
                    r.if_group = txt
                elif t == "if_matched_sid":
                    r.if_matched_sid = int(txt)
                elif t == "if_matched_group":
                    r.if_matched_group = txt
                elif t == "same_field":
                    r.same_fields.append(txt)
                elif t == "decoded_as":
                    r.decoded_as = txt
                elif t == "field":
                    typ = ch.get("type", "osregex")
                    neg = (ch.get("negate", "no").lower() == "yes")
                    comp = None
                    if compile_regex:
                        comp = PCRE2(ch.text or "") if typ == "pcre2" else OSRegex(ch.text or "")
                    r.fields.append((ch.get("name"), ch.text or "", typ, neg, comp))
                elif t == "regex":
                    typ = ch.get("type", "osregex")
                    neg = (ch.get("negate", "no").lower() == "yes")
                    comp = None
                    if compile_regex:
                        comp = PCRE2(ch.text or "") if typ == "pcre2" else OSRegex(ch.text or "")
                    r.regex = (ch.text or "", typ, neg, comp)
                elif t == "list":
                    r.lists.append((ch.get("field"), ch.get("lookup", "match_key"), txt))
                elif t == "description":
                    r.description = ch.text or ""
                elif t == "group":
                    r.groups += [g for g in txt.split(",") if g]
                elif t == "mitre":
                    r.mitre = [i.text.strip() for i in ch.findall("id")]
                elif t == "options":
                    r.options.append(txt)
                else:
                    r.unsupported.append(t)
            if r.if_matched_group and not r.if_sid and not r.if_group:
                r.if_group = r.if_matched_group
            if r.if_matched_sid and not r.if_sid and not r.if_group:
                r.if_sid = [r.if_matched_sid]
            rules.append(r)
    return rules


def load_lists(lists_dir=LISTS_DIR):
    lists = {}
    if not os.path.isdir(lists_dir):
        return lists
    for name in os.listdir(lists_dir):
        keys = {}
        for line in open(os.path.join(lists_dir, name), encoding="utf-8"):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith('"'):
                end = line.index('"', 1)
                key, rest = line[1:end], line[end + 1:]
                if not rest.startswith(":"):
                    raise ValueError("%s: bad line %r" % (name, line))
                val = rest[1:]
            else:
                key, sep, val = line.partition(":")
                if not sep:
                    raise ValueError("%s: bad line %r" % (name, line))
            keys[key] = val
        lists["etc/lists/" + name] = keys
    return lists


def _prio(rule):
    """rules.c sets level 0 to 99 while loading ("to have high priority"): ignore rules
    are tried before their siblings."""
    return 99 if rule.level == 0 else rule.level


def _insert(siblings, rule):
    """_OS_AddRule: before the first sibling of lower priority, else at the end."""
    for i, s in enumerate(siblings):
        if _prio(rule) > _prio(s):
            siblings.insert(i, rule)
            return
    siblings.append(rule)


class Engine:
    """Approximate analysisd rule matching for this ruleset (see module doc)."""

    def __init__(self, rules, lists, location="k8s"):
        self.rules = {r.id: r for r in rules}
        self.lists = lists
        self.top = []
        self.location = location
        # The tree lives in the rules' children: built afresh, so that every Engine
        # made from the same rules has one copy of each child, not one per Engine.
        for r in rules:
            r.children = []
        for r in rules:
            if r.if_sid:
                for sid in r.if_sid:
                    if sid not in self.rules:
                        raise ValueError("rule %d: if_sid %d not found" % (r.id, sid))
                    _insert(self.rules[sid].children, r)
            elif r.if_group:
                for p in rules:
                    if r.if_group in p.groups and p.id != r.id:
                        _insert(p.children, r)
            else:
                _insert(self.top, r)
        self.history = {}   # if_matched_sid target -> list of event records
        # if_matched_group (rules.c, rules_list.c OS_MarkGroup): when a rule with it is
        # loaded, every node of the rule tree loaded so far whose group string contains the
        # pattern (OSMatch) gets that rule's list appended to group_prev_matched, once per
        # node: a rule reached through N parents is N nodes, so each of its events is added
        # N times to the list.  Rules named by an if_matched_sid feed only that sid list
        # (analysisd.c: `if (sid_prev_matched) ... else if (group_prev_matched)`).
        nodes = {}
        for r in rules:
            nodes[r.id] = sum(nodes.get(p, 0) for p in r.if_sid) if r.if_sid else 1
        self.group_lists = {}   # rule id -> [(searching rule id, times)]
        for i, r in enumerate(rules):
            if not r.if_matched_group:
                continue
            pat = r.if_matched_group.lower()
            for q in rules[:i]:
                if pat in ("".join(g + "," for g in q.groups)).lower():
                    self.group_lists.setdefault(q.id, []).append((r.id, nodes.get(q.id, 1)))
        self.sid_targets = {r.if_matched_sid for r in rules if r.if_matched_sid}
        self.group_history = {}  # searching rule id -> list of event records
        self.remembered = []  # os_analysisd_last_events, oldest first
        self.time_ignored = {}  # rule id -> RuleInfo.time_ignored
        self.max_freq = max([r.timeframe or 0 for r in rules] + [0])
        self.clock = 0

    def reset(self):
        self.history = {}
        self.group_history = {}
        self.remembered = []
        self.time_ignored = {}

    def _match_one(self, r, ev):
        if r.decoded_as and r.decoded_as != ev["decoder"]:
            return False
        if r.regex is not None and r.regex[3].match(ev["log"]) == r.regex[2]:
            return False
        for name, _pat, _typ, neg, comp in r.fields:
            v = _ci_get(ev["fields"], name)
            if v is None:
                return False
            if comp.match(v) == neg:
                return False
        for field, lookup, path in r.lists:
            v = _ci_get(ev["fields"], field)
            if v is None:
                return False
            keys = self.lists.get(path, {})
            if lookup == "match_key" and v not in keys:
                return False
            if lookup == "not_match_key" and v in keys:
                return False
        if r.if_matched_sid or r.if_matched_group:
            if not self._context(r, ev):
                return False
        return True

    def _context(self, r, ev):
        """Search_LastSids() (v4.14.7 eventinfo.c lines 99-270): newest first, stop at the
        first event outside the timeframe or whose `matched` level is >= this rule's level;
        `frequency` is stored as frequency - 2 (rules.c line 2303)."""
        if r.if_matched_sid:
            hist = self.history.get(r.if_matched_sid, [])
        else:   # Search_LastGroups (eventinfo.c lines 275-460): the same walk
            hist = self.group_history.get(r.id, [])
        need = (r.frequency - 2) if r.frequency else 0
        count = 0
        first = None
        for old in reversed(hist):
            if old.get("forgotten"):
                continue
            if ev["time"] - old["time"] > (r.timeframe or 0):
                return False
            ok = True
            for f in r.same_fields:
                a, b = _ci_get(ev["fields"], f), _ci_get(old["fields"], f)
                if a is None or b is None or a != b:
                    ok = False
            if not ok:
                continue
            if old["matched"] >= r.level:
                return False
            if count < need:
                count += 1
                if first is None:
                    first = old
                continue
            ev["matched"] = r.level
            if first is not None:
                first["matched"] = r.level
            return True
        return False

    def _check(self, r, ev):
        """OS_CheckIfRuleMatch(): the deepest matching rule; ev["prev_rule"] is set, like
        lf->prev_rule (rules.c), to the parent of the first child that matched."""
        if not self._match_one(r, ev):
            return None
        for c in r.children:
            got = self._check(c, ev)
            if got is not None:
                if ev.get("prev_rule") is None:
                    ev["prev_rule"] = r
                return got
        return r

    def _apply_ignore(self, rule, ev):
        """The rule attribute ignore="SECONDS" as analysisd's main loop applies it
        (src/analysisd/analysisd.c, w_process_event_thread, "Check ignore time", v4.14.7
        lines 2132-2153): one RuleInfo.time_ignored per rule, shared by every event and
        every user.  The first match sets it and alerts; a match less than `ignore`
        seconds after it alerts as lf->prev_rule (the parent the rule was reached
        through) instead, or is dropped without one; a later match alerts and restarts
        the window.  wazuh-logtest differs (logtest.c: a match inside the window is not
        alerted at all and the window restarts only at the next match after it); the
        evaluator follows analysisd, which is what production runs."""
        if not rule.ignore_time:
            return rule
        since = self.time_ignored.get(rule.id, 0)
        if since == 0:
            self.time_ignored[rule.id] = ev["time"]
            return rule
        if ev["time"] - since < rule.ignore_time:
            return ev.get("prev_rule")
        self.time_ignored[rule.id] = ev["time"]
        return rule

    def _remember(self, final, ev):
        """sid_prev_matched + OS_AddEvent() (v4.14.7 analysisd.c lines 2207-2240,
        eventinfo_list.c lines 36-80): an event whose rule has level > 0 is remembered;
        beyond memorysize the oldest are freed (at least 10, and all older than the
        longest timeframe), which also takes them out of every if_matched_sid list, so a
        flood makes analysisd forget context early."""
        self.history.setdefault(final.id, []).append(ev)
        if final.id not in self.sid_targets:
            for searcher, times in self.group_lists.get(final.id, []):
                self.group_history.setdefault(searcher, []).extend([ev] * times)
        self.remembered.append(ev)
        if len(self.remembered) <= MEMORY_SIZE:
            return
        i = 0
        while len(self.remembered) > 1 and (i < 10 or ev["time"] - self.remembered[0]["time"] > self.max_freq):
            self.remembered.pop(0)["forgotten"] = True
            i += 1

    def process(self, payload, now=None):
        """Return (rule or None, event record) for one decoded payload."""
        self.clock += 1
        fields, static, dropped = decode_json(payload)
        dec = "json" if re.match(r'^\{\s*"', payload) else None
        ev = {"log": payload, "fields": fields, "static": static, "dropped": dropped, "decoder": dec,
              "time": now if now is not None else self.clock, "matched": 0, "prev_rule": None}
        final = None
        if dec:
            for r in self.top:
                got = self._check(r, ev)
                if got is not None:
                    final = got
                    break
        if final is not None and final.level > 0:
            final = self._apply_ignore(final, ev)
            if final is not None and final.level > 0:
                self._remember(final, ev)
        return final, ev


def _ci_get(fields, name):
    if name in fields:
        return fields[name]
    low = name.lower()
    for k, v in fields.items():
        if k.lower() == low:
            return v
    return None


def expand_description(rule, fields):
    out = rule.description
    return re.sub(r"\$\(([^)]*)\)", lambda m: _ci_get(fields, m.group(1)) or "", out)


# ---------------------------------------------------------------- cases & events
def load_cases(path=os.path.join(HERE, "cases.json")):
    return json.load(open(path, encoding="utf-8"))


def event_lines(spec):
    """Input lines (compact JSON) for one event spec {"file": "corpus:NAME"|"events:NAME", "line": N}."""
    src = spec["file"]
    kind, _, name = src.partition(":")
    if kind == "corpus":
        base = os.environ.get("CORPUS") or os.path.join(TOP, "tests", "corpus", "k8s-audit")
    elif kind == "events":
        base = os.path.join(HERE, "events")
    else:
        raise ValueError("bad event source %r" % src)
    text = open(os.path.join(base, name), encoding="utf-8-sig").read()
    if name.endswith(".jsonl"):
        docs = [json.loads(x) for x in text.splitlines() if x.strip()]
    else:
        docs = [json.loads(text)]
    if "line" in spec:
        docs = [docs[spec["line"]]]
    return [json.dumps(d, separators=(",", ":"), ensure_ascii=False) for d in docs]


class PluginError(RuntimeError):
    pass


class PluginRunner:
    """Run $PLUGIN with a stand-in analysisd datagram socket; send() returns the datagrams."""

    def __init__(self, plugin=None, location="k8s", extra_args=()):
        self.plugin = plugin or os.environ.get("PLUGIN") or os.path.join(
            os.environ.get("TOP_BUILDDIR", TOP), "plugin", "wazuh-k8s-audit")
        if not os.access(self.plugin, os.X_OK):
            raise PluginError("plugin binary not found: %s" % self.plugin)
        self.tmp = tempfile.mkdtemp(prefix="k8srules.")
        self.sock_path = os.path.join(self.tmp, "queue")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        os.mkdir(os.path.join(self.tmp, "spool"))
        self.stderr = open(os.path.join(self.tmp, "stderr"), "w+")
        args = [self.plugin, "--socket", self.sock_path, "--location", location,
                "--reject-file", os.path.join(self.tmp, "rejected.jsonl"),
                "--spool-dir", os.path.join(self.tmp, "spool"),
                "--state-file", os.path.join(self.tmp, "analysisd.state"),
                "--key-file", os.path.join(self.tmp, "hmac.key"),
                "--max-eps", "0", "--retry-wait", "1", "--stats-interval", "0"] + list(extra_args)
        if os.geteuid() == 0:
            # The unprivileged user it would become cannot use this root
            # work directory; it stays confined (tests/plugin/test_confinement.py).
            args.append("--allow-root")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        first = self._readline(10)
        if first.strip() != "OK":
            raise PluginError("plugin did not answer OK at start: %r (%s)" % (first, self._err()))

    def _err(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-2000:]

    def _readline(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            raise PluginError("plugin did not answer within %ds (%s)" % (timeout, self._err()))
        return self.proc.stdout.readline()

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        ans = self._readline(20)
        if ans.strip() != "OK":
            raise PluginError("plugin answered %r (%s)" % (ans, self._err()))
        out = []
        while True:
            r, _, _ = select.select([self.sock], [], [], 0.05)
            if not r:
                break
            out.append(self.sock.recv(1 << 20).decode("utf-8", "replace"))
        return out

    def send_batch(self, events, timeout=60):
        """Send events as one EventList (one omprog line, as imhttp hands a POST body over)
        and return one datagram per event, reading the socket while the plugin writes so a
        full socket buffer never stalls it."""
        line = json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events},
                          separators=(",", ":"), ensure_ascii=False)
        return self.send_counted(line, len(events), timeout)

    def send_counted(self, line, count, timeout=60):
        """Send one omprog line that the plugin's --frame turns into count events (an
        EventList, a Firehose request) and return their count datagrams, in order."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = []
        answered = None
        deadline = time.monotonic() + timeout
        while answered is None or len(out) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PluginError("batch: %d of %d datagrams, answer %r (%s)"
                                  % (len(out), count, answered, self._err()))
            r, _, _ = select.select([self.sock] + ([self.proc.stdout] if answered is None else []), [], [],
                                    min(left, 1.0))
            if self.sock in r:
                out.append(self.sock.recv(1 << 20).decode("utf-8", "replace"))
            if self.proc.stdout in r:
                answered = self.proc.stdout.readline()
                if answered.strip() != "OK":
                    raise PluginError("plugin answered %r to a batch (%s)" % (answered, self._err()))
        return out

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.stderr.close()
        for root, dirs, files in os.walk(self.tmp, topdown=False):
            for f in files:
                os.unlink(os.path.join(root, f))
            for d in dirs:
                os.rmdir(os.path.join(root, d))
        os.rmdir(self.tmp)


def split_datagram(dgram):
    """'1:<location>:<payload>' -> (location, payload); location escapes '|:' and '||'."""
    if not dgram.startswith("1:"):
        raise ValueError("datagram does not start with queue 1: %r" % dgram[:40])
    rest = dgram[2:]
    i = 0
    loc = []
    while i < len(rest):
        c = rest[i]
        if c == "|" and i + 1 < len(rest) and rest[i + 1] in "|:":
            loc.append(rest[i + 1])
            i += 2
            continue
        if c == ":":
            return "".join(loc), rest[i + 1:]
        loc.append(c)
        i += 1
    raise ValueError("no payload in datagram")


def rule_field_names(engine, rule):
    """Every field name a rule and its ancestors (first if_sid path) test."""
    names = []
    seen = set()
    todo = [rule]
    while todo:
        r = todo.pop()
        if r.id in seen:
            continue
        seen.add(r.id)
        names += [f[0] for f in r.fields] + [l[0] for l in r.lists] + list(r.same_fields)
        todo += [engine.rules[s] for s in r.if_sid[:1]]
    return names
