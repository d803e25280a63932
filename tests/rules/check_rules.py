#!/usr/bin/env python3
"""CI checks of rules/0950-k8s_audit_rules.xml (TAP).

Static: XML well formed, IDs unique and in 110100-110499, every if_sid/if_matched_sid/
if_group target exists, every regex compiles (OS_Regex: the port in k8srules.py plus a
lint of what OS_Regex does not have; PCRE2: libpcre2-8 with Wazuh's options), no static
field names, referenced CDB lists exist and parse, every rule has a description, groups,
and (level >= 3) a MITRE id, every rule has a positive case.
Dynamic: every case's events go through $PLUGIN (stand-in analysisd socket), the datagram
is decoded like analysisd's JSON decoder and run through an APPROXIMATE rule engine
(k8srules.Engine): final rule id and level must equal the case; every field the expected
rule (and its parents) names must be present in the plugin's output.  Benign traffic:
the outcome of each event is listed and none is above level 3 unless the case explains it.
The real check is `make check-rules` (tests/rules/logtest_check.py) on a Wazuh manager.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8srules as K  # noqa: E402

n = 0
failed = 0


def tap(ok, text, diag=None):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, text))
    if diag and not ok:
        for line in str(diag).splitlines():
            print("#   " + line)
    sys.stdout.flush()


OSREGEX_FORBIDDEN = re.compile(r"(?<!\\)[\[\]{}?]")


def lint_osregex(p):
    """What OS_Regex does not have: character classes, counted repeats, '?', lookaround.
    An unescaped '.' is a literal dot in OS_Regex (\\. is 'any'): refuse it to avoid the
    usual misreading; write \\. or \\p where meant."""
    problems = []
    if OSREGEX_FORBIDDEN.search(p):
        problems.append("has [ ] { } or ?, which OS_Regex does not support")
    stripped = re.sub(r"\\.", "", p)
    if "." in stripped:
        problems.append("has an unescaped '.', a literal dot in OS_Regex")
    return problems


XML_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#x?[0-9a-fA-F]+);")


def main():
    print("# PCRE2 backend: %s" % K.pcre2_backend)
    # Wazuh's XML reader (src/os_xml) keeps entities as written: "&amp;" in a rule is five
    # characters to analysisd but one to any standard parser (and to this evaluator).
    ents = ["line %d: %s" % (i + 1, m.group(0)) for i, line in enumerate(open(K.RULE_FILE, encoding="utf-8"))
            for m in XML_ENTITY.finditer(line)]
    tap(not ents, "no XML entities in the rule file (os_xml does not decode them; write \\x26 in a regex)",
        "\n".join(ents))
    # ---- static checks
    try:
        K.read_rule_xml()
        tap(True, "rule XML is well formed (top-level <group>s wrapped)")
    except Exception as e:
        tap(False, "rule XML is well formed", e)
        print("1..%d" % n)
        return 1
    try:
        rules = K.load_rules(compile_regex=False)
    except Exception as e:
        tap(False, "rules load", e)
        print("1..%d" % n)
        return 1
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    tap(not dup, "rule IDs unique (%d rules)" % len(ids), "duplicates: %s" % dup)
    out = [i for i in ids if not K.ID_MIN <= i <= K.ID_MAX]
    tap(not out, "rule IDs within %d-%d" % (K.ID_MIN, K.ID_MAX), "outside: %s" % out)
    byid = {r.id: r for r in rules}
    allgroups = {g for r in rules for g in r.groups}
    missing = []
    for r in rules:
        for s in r.if_sid:
            if s not in byid:
                missing.append("%d: if_sid %d" % (r.id, s))
        if r.if_matched_sid and r.if_matched_sid not in byid:
            missing.append("%d: if_matched_sid %d" % (r.id, r.if_matched_sid))
        if r.if_group and r.if_group not in allgroups:
            missing.append("%d: if_group %s" % (r.id, r.if_group))
        if r.if_matched_sid and byid.get(r.if_matched_sid) and byid[r.if_matched_sid].level == 0:
            missing.append("%d: if_matched_sid %d has level 0 (analysisd never remembers level-0 matches)" % (r.id, r.if_matched_sid))
    tap(not missing, "every if_sid/if_matched_sid/if_group target exists and can be remembered", "\n".join(missing))
    # if_matched_group (rules_list.c OS_MarkGroup): only rules loaded before the searching
    # rule are marked, a level-0 one is never remembered, and analysisd.c feeds a rule's
    # group lists only when no rule names it in if_matched_sid (`else if`).
    named = {r.if_matched_sid for r in rules if r.if_matched_sid}
    grp = []
    for i, r in enumerate(rules):
        if not r.if_matched_group:
            continue
        pat = r.if_matched_group.lower()
        feeders = [q for q in rules if pat in ",".join(q.groups).lower() and q.id != r.id]
        if not feeders:
            grp.append("%d: no rule in group %s" % (r.id, r.if_matched_group))
        for q in feeders:
            if q.order > r.order:
                grp.append("%d: group %s member %d is defined after it" % (r.id, r.if_matched_group, q.id))
            if q.level == 0:
                grp.append("%d: group %s member %d has level 0" % (r.id, r.if_matched_group, q.id))
            if q.id in named:
                grp.append("%d: group %s member %d is named by an if_matched_sid, so its group lists are never fed"
                           % (r.id, r.if_matched_group, q.id))
    tap(not grp, "every if_matched_group is fed: members defined before, remembered, named by no if_matched_sid",
        "\n".join(grp))
    # analysisd links a rule to its parents while it reads the file (rules.c -> OS_AddChild()),
    # so a parent defined further down is "not found" and the rule is dropped.
    order = {r.id: r.order for r in rules}
    late = ["%d: parent %d defined after it" % (r.id, s) for r in rules
            for s in r.if_sid + ([r.if_matched_sid] if r.if_matched_sid else [])
            if s in order and order[s] > r.order]
    tap(not late, "every parent rule is defined before its children (analysisd's load order)", "\n".join(late))
    attrs = ["%d: attribute %s" % (r.id, a) for r in rules for a in r.attributes if a not in K.RULE_ATTRIBUTES]
    attrs += ["%d: ignore=%d without frequency (only burst rules may be muted, see docs/rules.md)" % (r.id, r.ignore_time)
              for r in rules if r.ignore_time and not r.frequency]
    tap(not attrs, "only rule attributes the evaluator implements (%s)" % ", ".join(sorted(K.RULE_ATTRIBUTES)),
        "\n".join(attrs))
    bad = []
    for r in rules:
        pats = [(f[0], f[1], f[2]) for f in r.fields]
        if r.regex:
            pats.append(("<regex>", r.regex[0], r.regex[1]))
        for name, p, typ in pats:
            try:
                if typ == "pcre2":
                    K.PCRE2(p)
                elif typ == "osregex":
                    K.OSRegex(p)
                    for prob in lint_osregex(p):
                        bad.append("%d %s: %s" % (r.id, name, prob))
                else:
                    bad.append("%d %s: type %s not used by this ruleset" % (r.id, name, typ))
            except ValueError as e:
                bad.append("%d %s: %s" % (r.id, name, e))
    tap(not bad, "every regex compiles (OS_Regex port + lint; PCRE2 via %s)" % K.pcre2_backend, "\n".join(bad))
    static = ["%d: %s" % (r.id, f[0]) for r in rules for f in r.fields if f[0].lower() in K.STATIC_FIELD_NAMES]
    static += ["%d: same_field %s" % (r.id, f) for r in rules for f in r.same_fields if f.lower() in K.STATIC_FIELD_NAMES]
    tap(not static, "no static field name used as <field name>/<same_field>", "\n".join(static))
    unsupported = ["%d: <%s>" % (r.id, t) for r in rules for t in r.unsupported if t not in ("options",)]
    tap(not unsupported, "only rule elements the evaluator implements", "\n".join(unsupported))
    try:
        lists = K.load_lists()
        ok = True
        diag = []
        for r in rules:
            for field, lookup, path in r.lists:
                if path not in lists:
                    ok = False
                    diag.append("%d: list %s missing in rules/lists" % (r.id, path))
                if lookup not in ("match_key", "not_match_key"):
                    ok = False
                    diag.append("%d: lookup %s" % (r.id, lookup))
        tap(ok, "CDB lists referenced by rules exist in rules/lists and parse (%d lists)" % len(lists), "\n".join(diag))
    except Exception as e:
        tap(False, "CDB lists parse", e)
        lists = {}
    meta = []
    for r in rules:
        if not r.description.strip():
            meta.append("%d: no description" % r.id)
        if r.level >= 3 and not r.mitre and r.id not in (110309, 110344):
            meta.append("%d: level %d without <mitre>" % (r.id, r.level))
        if "k8s_audit" not in r.groups:
            meta.append("%d: not in group k8s_audit" % r.id)
        if not 0 <= r.level <= 15:
            meta.append("%d: level %d" % (r.id, r.level))
    tap(not meta, "descriptions, levels, groups and MITRE ids present", "\n".join(meta))
    cases = K.load_cases()
    covered = {c["expect"]["rule"] for c in cases if c.get("kind") == "positive"}
    nocase = [i for i in ids if i not in covered]
    tap(not nocase, "every rule has a positive case (%d cases)" % len(cases), "no case: %s" % nocase)

    # ---- dynamic checks through the plugin
    rules = K.load_rules()
    try:
        runner = K.PluginRunner()
    except K.PluginError as e:
        tap(False, "plugin starts with a stand-in analysisd socket", e)
        print("1..%d" % n)
        return 1
    try:
        for c in cases:
            run_case(c, rules, lists, runner)
    finally:
        runner.close()
    print("1..%d" % n)
    return 0  # failures are the "not ok" lines


def payloads_for(runner, spec, name):
    out = []
    for line in K.event_lines(spec):
        dgrams = runner.send(line)
        if len(dgrams) != 1:
            raise K.PluginError("%s: %d datagrams for one event" % (name, len(dgrams)))
        loc, payload = K.split_datagram(dgrams[0])
        if loc != "k8s":
            raise K.PluginError("%s: location %r" % (name, loc))
        out.append(payload)
    return out


def run_case(c, rules, lists, runner):
    eng = K.Engine(rules, lists)
    name = c["name"]
    try:
        seq = []
        for spec in c["events"]:
            ps = payloads_for(runner, spec, name)
            seq += ps * spec.get("repeat", 1)
    except Exception as e:
        tap(False, "%s: events pass through the plugin" % name, e)
        return
    if not all('"k8s":{' in p for p in seq):
        tap(False, "%s: plugin output carries the k8s object" % name,
            "no k8s object in the plugin's output: shaping (issue 4) is not in the plugin")
        return
    if c.get("kind") == "benign":
        results = [eng.process(p) for p in seq]
        got = [[r.id, r.level] if r else [None, None] for r, _ in results]
        exp = c["expect_each"]
        diff = ["event %d: got %s expected %s" % (i, g, e) for i, (g, e) in enumerate(zip(got, exp)) if g != e]
        if len(got) != len(exp):
            diff.append("%d events, %d expectations" % (len(got), len(exp)))
        tap(not diff, "%s: each event's outcome as listed (%d events)" % (name, len(got)), "\n".join(diff))
        allow = c.get("allow_above_informational", {})
        hi = ["event %d: %s" % (i, g) for i, g in enumerate(got) if g[1] and g[1] > 3 and str(i) not in allow]
        tap(not hi, "%s: nothing above informational (level 3) but the %d explained exception(s)" % (name, len(allow)), "\n".join(hi))
        return
    r = ev = None
    for p in seq:
        r, ev = eng.process(p)
    got = (r.id, r.level) if r else (None, None)
    exp = (c["expect"]["rule"], c["expect"]["level"])
    desc = K.expand_description(r, ev["fields"]) if r else ""
    tap(got == exp, "%s: rule %s level %s" % (name, exp[0], exp[1]),
        "got rule %s level %s: %s" % (got[0], got[1], desc))
    if c.get("kind") == "positive":
        want = K.rule_field_names(eng, eng.rules[exp[0]])
        absent = sorted({f for f in want if K._ci_get(ev["fields"], f) is None})
        tap(not absent, "%s: fields the rule names are in the plugin output" % name,
            "absent: %s" % ", ".join(absent))


if __name__ == "__main__":
    sys.exit(main())
