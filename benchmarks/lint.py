"""Lint benchmark: one draft body at the cap (64,000 characters), two policies, A/B.

    python benchmarks/lint.py [--repeats 15]

A is the shipped default policy; B is a policy of 500 banned phrases (the most a
policy may hold): 400 plain phrases and 100 windowed families like the default ones,
some of which match the body many times. Each body is linted under A, then B, then A
... (interleaved, so drift hits both alike); the medians are printed. Bodies:

- prose:  a breach notice, paragraphs of plain facts with a few banned phrases;
- dense:  "we take our security" and friends over and over (every window pattern
          starts a match at every word);
- sms:    the prose body as an SMS (the SMS rule tokenizes every word).

Target (issue #10): under 0.5 s for a capped body.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from warroom.limits import MAX_DRAFT_BODY_CHARS, MAX_POLICY_PATTERNS
from warroom.rules import Context, DraftDoc, Policy, default_policy, lint, parse_policy

PARAGRAPHS = [
    "On 21 November we found that an unauthorized party had copied a database holding "
    "names, email addresses and hashed passwords of customers of Okta and AWS services.",
    "We have taken the affected server offline, rotated every credential the server "
    "held, and reset the passwords of all accounts; see https://status.example.com/21nov.",
    "We take the security of your data very seriously. Protecting your personal "
    "information is of the utmost importance to us.",
    "If you reused your password elsewhere, change it there too. Watch for email that "
    "asks for your password: we will never ask for it.",
    "Our investigation, with an outside forensic firm, is ongoing; we will publish what "
    "we learn by 30 November at 14:00 UTC.",
]


def prose_body() -> str:
    out, n = [], 0
    while sum(map(len, out)) < MAX_DRAFT_BODY_CHARS:
        out.append(PARAGRAPHS[n % len(PARAGRAPHS)] + "\n\n")
        n += 1
    return "".join(out)[:MAX_DRAFT_BODY_CHARS]


def dense_body() -> str:
    unit = "we take our security and your privacy so seriously, it is important to us "
    return (unit * (MAX_DRAFT_BODY_CHARS // len(unit) + 1))[:MAX_DRAFT_BODY_CHARS]


def big_policy() -> Policy:
    """500 patterns: 400 phrases and 100 windowed families (the costly kind)."""
    words = ["caution", "abundance", "inconvenience", "valued", "sophisticated", "robust"]
    patterns = [
        f"\\b(?:out of an )?{words[n % len(words)]} (?:phrase|wording) number {n}\\b"
        for n in range(400)
    ]
    patterns += [
        f"\\b(?:we|our)\\b[^.!?;]{{0,150}}?\\b(?:take|takes|taken)\\b[^.!?;]{{0,{20 + n}}}?"
        f"\\b(?:seriously|important|{words[n % len(words)]})\\b"
        for n in range(100)
    ]
    assert len(patterns) == MAX_POLICY_PATTERNS
    lines = ",\n".join(f"    '''{p}'''" for p in patterns)
    return parse_policy(f"banned_phrases = [\n{lines},\n]\n", "bench-500.toml")


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    policies = {"A default": default_policy(), "B 500 patterns": big_policy()}
    prose = prose_body()
    drafts = {
        "prose": DraftDoc(
            channel="email",
            sender="ic@example.com",
            to=("ann@example.com",),
            subject="Attorney Work Project",
            body=prose,
        ),
        "dense": DraftDoc(channel="chat", topic="Attorney Work Project", body=dense_body()),
        "sms": DraftDoc(channel="sms", to=("+15550100",), body=prose),
    }
    context = Context()
    print(f"lint of a {MAX_DRAFT_BODY_CHARS:,}-character body, median of {args.repeats} runs")
    print(f"{'body':<8} {'policy':<16} {'median':>9} {'max':>9} {'findings':>9}")
    worst = 0.0
    for name, draft in drafts.items():
        times: dict[str, list[float]] = {label: [] for label in policies}
        for policy in policies.values():  # warm-up: compile, caches
            lint(draft, policy, context)
        for _ in range(args.repeats):
            for label, policy in policies.items():
                times[label].append(timed(lambda d=draft, p=policy: lint(d, p, context)))
        for label, policy in policies.items():
            median = statistics.median(times[label])
            worst = max(worst, median)
            found = len(lint(draft, policy, context))
            print(
                f"{name:<8} {label:<16} {median * 1000:>7.1f} ms {max(times[label]) * 1000:>6.1f}"
                f" ms {found:>9}"
            )
    verdict = "ok" if worst < 0.5 else "OVER"
    print(f"worst median {worst * 1000:.1f} ms: {verdict} (target < 500 ms)")
    return 0 if worst < 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
