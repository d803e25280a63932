#!/usr/bin/env python3
"""contrib/kubernetes/audit-policy.yaml keeps what the rules need and drops controller
noise under both controller identities (TAP).

The policy is evaluated as kube-apiserver does (k8s.io/apiserver pkg/audit/policy/
checker.go: the first rule whose users, userGroups, verbs, namespaces, resources or
nonResourceURLs all match decides the level) over:

- the shared real-apiserver capture (written under this policy before controller noise
  was dropped; see noise_budget.py for where it is looked for): every event that the
  rules remember (final rule level > 0, through the plugin and the evaluator) is still
  logged, and what is dropped now is controller traffic;
- every event of the rule cases (tests/rules/cases.json) that the rules alert on.
"""
import collections
import fnmatch
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8srules as K  # noqa: E402
import noise_budget as NB  # noqa: E402

POLICY = os.path.join(K.TOP, "contrib", "kubernetes", "audit-policy.yaml")
CONTROLLER_PREFIX = "system:serviceaccount:kube-system:"


def load_policy():
    import yaml  # python3-yaml (contrib/install-deps.sh)
    with open(POLICY, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _resource_matches(rule, ev):
    o = ev.get("objectRef") or {}
    group, res, sub, name = o.get("apiGroup", ""), o.get("resource", ""), o.get("subresource", ""), o.get("name", "")
    combined = res + "/" + sub if sub else res
    for gr in rule["resources"]:
        if gr.get("group", "") != group:
            continue
        if not gr.get("resources"):
            return True
        for r in gr["resources"]:
            if gr.get("resourceNames") and name not in gr["resourceNames"]:
                continue
            if r in (combined, "*"):
                return True
            if sub and r.startswith("*/") and sub == r[2:]:
                return True
            if r.endswith("/*") and res == r[:-2]:
                return True
    return False


def _path_matches(patterns, uri):
    path = uri.split("?", 1)[0]
    return any(path == p or (p.endswith("*") and path.startswith(p[:-1])) for p in patterns)


def rule_matches(rule, ev):
    user = ev.get("user") or {}
    if rule.get("users") and user.get("username") not in rule["users"]:
        return False
    if rule.get("userGroups") and not set(user.get("groups") or []) & set(rule["userGroups"]):
        return False
    if rule.get("verbs") and ev.get("verb") not in rule["verbs"]:
        return False
    is_resource = bool((ev.get("objectRef") or {}).get("resource"))
    if rule.get("namespaces") or rule.get("resources"):
        if not is_resource:
            return False
        if rule.get("namespaces") and (ev["objectRef"].get("namespace") or "") not in rule["namespaces"]:
            return False
        if rule.get("resources") and not _resource_matches(rule, ev):
            return False
    if rule.get("nonResourceURLs"):
        if is_resource or not _path_matches(rule["nonResourceURLs"], ev.get("requestURI", "")):
            return False
    return True


def level(policy, ev):
    for rule in policy["rules"]:
        if rule_matches(rule, ev):
            return rule["level"]
    return "None"


def main():
    policy = load_policy()
    NB.tap(all(fnmatch.fnmatch(u, CONTROLLER_PREFIX + "*") or not u.startswith("system:serviceaccount:")
               for r in policy["rules"] for u in r.get("users") or []),
           "the policy names only kube-system controller service accounts among service accounts")
    path = NB.capture_path()
    NB.tap(path is not None and os.path.isfile(path), "the real-apiserver capture is found")
    if path is None or not os.path.isfile(path):
        print("1..%d" % NB.n)
        return 0
    with open(path, encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    payloads = NB.through_plugin(events)
    if payloads is None:
        print("1..%d" % NB.n)
        return 0
    eng = K.Engine(K.load_rules(), K.load_lists())
    clock = 0
    lost, dropped = [], collections.Counter()
    for src, p in zip(events, payloads):
        clock = max(clock, NB.epoch(src.get("stageTimestamp") or src.get("requestReceivedTimestamp")))
        rule, ev = eng.process(p, now=clock)
        if level(policy, src) != "None":
            continue
        user = src["user"]["username"]
        dropped[user] += 1
        if rule is not None and rule.level > 0:
            lost.append("rule %d level %d: %s" % (rule.id, rule.level, K.expand_description(rule, ev["fields"])))
    print("# capture: %d of %d events dropped by the policy now" % (sum(dropped.values()), len(events)))
    for user, cnt in dropped.most_common():
        print("#   %d %s" % (cnt, user))
    NB.tap(not lost, "no event the rules remember is dropped", "\n".join(lost))
    ctrl = sum(c for u, c in dropped.items() if u.startswith(CONTROLLER_PREFIX))
    NB.tap(ctrl >= 200, "controller noise under system:serviceaccount:kube-system:<controller> is dropped (%d events)" % ctrl)
    NB.tap(all(u.startswith(CONTROLLER_PREFIX) or u in ("system:kube-controller-manager", "system:kube-scheduler",
                                                       "system:apiserver") for u in dropped),
           "only control-plane traffic is dropped", ", ".join(sorted(dropped)))
    # The cases: every event of a case expected to alert (level >= 3) is still logged.
    gone = []
    for c in K.load_cases():
        if c.get("kind") == "benign" or c["expect"]["level"] < 3:
            continue
        for spec in c["events"]:
            for line in K.event_lines(spec):
                if level(policy, json.loads(line)) == "None":
                    gone.append("%s: %s" % (c["name"], spec["file"]))
    NB.tap(not gone, "every event of the alerting rule cases is logged by the policy", "\n".join(sorted(set(gone))))
    print("1..%d" % NB.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
