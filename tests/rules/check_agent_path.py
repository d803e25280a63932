#!/usr/bin/env python3
"""The rules match events that came through a Wazuh agent (issue 26), TAP.

Through an agent, analysisd gets what the plugin wrote (`1:k8s:<json>`) with
remoted's source before the location (Wazuh 4.14.7 src/remoted/secure.c:
srcmsg "[<id>] (<name>) <ip>", src/shared/mq_op.c SendMSG: "%c:%s->%s" with
':' and '|' of srcmsg escaped by '|'), so the location reads
`[001] (k8s-agent) any->k8s` instead of `k8s`.

Static: no rule or decoder of rules/ is keyed on the location or on what
comes with it (<location>, <hostname>, <program_name>, a <field> named
location or agent.*, <decoded_as> other than json).
Dynamic: every event of every case goes through $PLUGIN; each datagram,
reshaped as remoted hands it to analysisd (an IPv4 "any" agent and an IPv6
one), splits into that location and the very same payload, which the json
decoder still takes (it starts with `{"`) and decodes to the same fields,
within analysisd's 65,535 bytes.  The evaluator (k8srules.Engine) does not
read the location, so the same payload gives the same rule there; on a
real manager: `make check-rules CHECK_RULES_FLAGS="--location '[001]
(k8s-agent) any->k8s'"`.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8srules as K  # noqa: E402

n = 0

# Each agent's source as remoted writes it, and the location analysisd reads.
SOURCES = [("[001] (k8s-agent) any", "[001] (k8s-agent) any->k8s"),
           ("[002] (k8s-agent-6) fd00::1", "[002] (k8s-agent-6) fd00::1->k8s")]
LOCATION_KEYED = ("location", "hostname", "program_name")


def tap(ok, text, diag=None):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, text))
    if diag and not ok:
        for line in str(diag).splitlines():
            print("#   " + line)
    sys.stdout.flush()


def escape(s):
    """wstr_escape(..., '|', ':'): '|' before every '|' and ':'."""
    return s.replace("|", "||").replace(":", "|:")


def via_remoted(datagram, source):
    """What analysisd reads for a datagram the agent sent on."""
    queue, rest = datagram[0], datagram[2:]
    return "%s:%s->%s" % (queue, escape(source), rest)


def static_check():
    bad = []
    for path in sorted(glob.glob(os.path.join(K.TOP, "rules", "*.xml"))):
        text = open(path, encoding="utf-8").read()
        root = ET.fromstring("<root>%s</root>" % text)
        for el in root.iter():
            tag = el.tag.lower()
            if tag in LOCATION_KEYED:
                bad.append("%s: <%s>" % (os.path.basename(path), el.tag))
            if tag == "field" and (el.get("name", "").lower() == "location"
                                   or el.get("name", "").lower().startswith("agent.")):
                bad.append("%s: <field name=\"%s\">" % (os.path.basename(path), el.get("name")))
            if tag == "decoded_as" and (el.text or "").strip() != "json":
                bad.append("%s: <decoded_as>%s" % (os.path.basename(path), el.text))
    tap(not bad, "no rule or decoder keyed on the location (an agent's events arrive as "
        "'[id] (name) ip->k8s')", "\n".join(bad))


def main():
    static_check()
    try:
        runner = K.PluginRunner()
    except K.PluginError as e:
        tap(False, "plugin starts with a stand-in analysisd socket", e)
        print("1..%d" % n)
        return 1
    problems, count = [], 0
    try:
        for c in K.load_cases():
            for spec in c["events"]:
                for line in K.event_lines(spec):
                    for d in runner.send(line):
                        loc, payload = K.split_datagram(d)
                        fields = K.decode_json(payload)
                        for source, want in SOURCES:
                            got = via_remoted(d, source)
                            count += 1
                            aloc, apayload = K.split_datagram(got)
                            if aloc != want or apayload != payload:
                                problems.append("%s: %r" % (c["name"], aloc))
                            elif not apayload.startswith('{"'):
                                problems.append("%s: payload not for the json decoder" % c["name"])
                            elif K.decode_json(apayload) != fields:
                                problems.append("%s: decoded differently" % c["name"])
                            elif len(got.encode()) > 65535:
                                problems.append("%s: %d bytes" % (c["name"], len(got.encode())))
    finally:
        runner.close()
    tap(count > 0 and not problems, "every case event, as remoted delivers it, has the agent's "
        "location and the same payload and fields (%d datagrams)" % count, "\n".join(problems[:20]))
    print("1..%d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
