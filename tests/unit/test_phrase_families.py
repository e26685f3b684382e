"""The default banned phrases against wordings in the style of real breach notices.

The sentences are written for this corpus, in the manner of public breach notices
and status pages: whole families of the cringe phrase ("... is of the utmost
importance to us", "we, <long preamble>, take this matter very seriously",
"safeguarding your personal information is important to us"), and, as negatives,
the plain factual sentences the same notices are made of, which must not be
flagged.
"""

from __future__ import annotations

import pytest

from warroom.rules import DraftDoc, default_policy, lint

BANNED = "banned-phrase"

IMPORTANCE = [
    "The security of your personal information is of the utmost importance to us.",
    "Protecting your personal information is of paramount importance.",
    "Maintaining the privacy of our patients' records is of the highest importance to us.",
    "We consider the protection of your data to be of the utmost importance.",
    "Data security has always been of paramount importance to Northwind Health.",
    "The confidentiality of client information is of utmost importance to the firm.",
    "Safeguarding the information you entrust to us is of the greatest importance.",
    "Your trust is of paramount importance to us, and we regret this incident.",
    "Your privacy is paramount, and we are reviewing every access to our systems.",
    "Safeguarding your data remains paramount to us.",
    "Acme places the utmost importance on protecting your information.",
    "We place a high priority on the security of the data you share with us.",
]

SERIOUSLY = [
    "We at Contoso, together with the outside cybersecurity experts and the law "
    "enforcement agencies assisting the investigation, take this matter very seriously.",
    "We, as the custodian of health records for more than two million patients across "
    "the region, take this very seriously.",
    "We at Acme Medical Group, which has cared for families in the valley for over "
    "forty years, take this very seriously.",
    "Contoso Ltd takes this matter extremely seriously.",
    "The company takes this incident and its obligations to you very seriously.",
    "Fabrikam has always taken the protection of customer information seriously.",
    "Our board and our entire leadership team are taking the situation seriously.",
    "Northwind takes its responsibility to protect your information seriously.",
    "Protecting your information is something we have always taken seriously.",
    "We want to assure you, our valued customers and partners in every region we serve, "
    "that the matter is being taken extremely seriously.",
]

IMPORTANT_TO_US = [
    "Protecting your personal information is important to us.",
    "Safeguarding your personal information is very important to us.",
    "Safeguarding the personal information you share with us has always been "
    "extremely important to everyone at Contoso.",
    "The protection of your data is critically important to our organization.",
    "Your privacy and the security of your information are truly important to us.",
    "Your privacy matters to us.",
    "The confidentiality of your records matters deeply to us.",
    "Keeping your personal data safe is incredibly important to us.",
    "Protecting your personal information is one of our highest priorities.",
    "The protection of your data is our number one priority.",
    "Nothing matters more to us than protecting your information.",
    "Nothing is more important to Fabrikam than the privacy of its customers.",
]

NEGATIVES = [
    "On 21 November we found that an unauthorized party had copied a database "
    "holding names and email addresses.",
    "We have taken the affected server offline and reset every administrator password.",
    "It is of the utmost importance that you reset your password before 1 December.",
    "Changing your password is important: the attacker may try it on other sites.",
    "Resetting your password is the most important step you can take today.",
    "Your data was encrypted at rest, and the attacker did not obtain the keys.",
    "Protecting your account: turn on two-step sign-in at https://example.com/2fa.",
    "The privacy notice at https://example.com/privacy lists what we hold about you.",
    "Security researchers reported the flaw to us on 3 March, and we fixed it that day.",
    "We take full responsibility for this failure.",
    "Law enforcement is aware of the incident and we are cooperating with it.",
    "The trust score of the flagged devices is important to the investigation.",
    "We are taking steps to protect your information, including new sign-in alerts.",
    "The protection we rely on, multifactor authentication, was off on this account.",
    "Keeping the security logs is of great importance to the investigation.",
    "Preserving the security logs is of critical importance to the forensic review.",
    "Data protection authorities were notified on 22 November, within 72 hours.",
    "Nothing in this notice is more urgent than the next step: reset your password.",
    "Security is everyone's job: report suspicious email to phishing@example.com.",
    "Please take this warning to heart and rotate your keys.",
    "We took the backups offline. Seriously consider rotating your own keys too.",
    "Your information may have included your name, address and date of birth.",
    "We regret this incident and apologise to everyone it affected.",
    "Our investigation is ongoing; we will publish what we learn by 30 November.",
    "The matter was reported to the regulator on 23 November.",
    "Our security team isolated the host within 40 minutes of the first alert.",
    "Privacy regulators in two countries have been informed.",
    "Protection of the backup network was the first thing we restored.",
    "We are serious. The deadline for resetting passwords is 1 December.",
    "The incident was contained; your data is now stored on new servers.",
]


def banned(body: str) -> list[str]:
    doc = DraftDoc(channel="statement", title="Notice 2026-11-22", body=body)
    return [f.message for f in lint(doc, default_policy()) if f.rule == BANNED]


@pytest.mark.parametrize("body", IMPORTANCE + SERIOUSLY + IMPORTANT_TO_US)
def test_the_family_is_banned(body: str) -> None:
    assert len(banned(body)) == 1, body


@pytest.mark.parametrize("body", IMPORTANCE + SERIOUSLY + IMPORTANT_TO_US)
def test_the_family_is_banned_inside_a_long_notice(body: str) -> None:
    notice = f"{NEGATIVES[0]} {NEGATIVES[1]}\n\n{body}\n\n{NEGATIVES[2]} {NEGATIVES[-1]}"
    [message] = banned(notice)
    assert "(and" not in message, message  # one passage, and it is the family's


@pytest.mark.parametrize("body", NEGATIVES)
def test_plain_facts_are_not_banned(body: str) -> None:
    assert banned(body) == [], body


def test_the_whole_factual_notice_is_clean() -> None:
    assert banned("\n\n".join(NEGATIVES)) == []
