#!/usr/bin/env python3
"""Write a benchmark input: EventList lines built from the corpus.

--mix corpus: every corpus audit event, drawn at random (seeded), in batches
of 1 to 400 events (mostly full batches, as a busy apiserver sends them).
--mix metadata: only Metadata-level events (small, no request/response
objects), same batching.
"""
import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
os.environ.setdefault("CORPUS", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--mix", choices=("corpus", "metadata"), default="corpus")
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("out")
    a = ap.parse_args()
    os.environ["CORPUS"] = a.corpus
    import harness
    harness.CORPUS = a.corpus
    pool = [ev for _, ev in harness.corpus_events()]
    if a.mix == "metadata":
        pool = [ev for ev in pool if ev.get("level") == "Metadata"]
    rnd = random.Random(a.seed)
    left = a.events
    batches = events = size = 0
    with open(a.out, "w", encoding="utf-8") as f:
        while left > 0:
            n = 400 if rnd.random() < 0.8 else rnd.randint(1, 400)
            n = min(n, left)
            items = [rnd.choice(pool) for _ in range(n)]
            line = json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
                               "metadata": {}, "items": items},
                              separators=(",", ":"), ensure_ascii=False)
            f.write(line + "\n")
            size += len(line.encode()) + 1
            batches += 1
            events += n
            left -= n
    print("%s: %d batches, %d events, %.1f MB, %.0f bytes/event"
          % (a.mix, batches, events, size / 1e6, size / events))


if __name__ == "__main__":
    main()
