"""The comms rules against a corpus of drafts: what must fire and what must not.

Each case is data: a draft in the JSON draft format, what the incident knows
(context), the rule ids that MUST fire, the ids that must NOT, and optionally
(rule, field) pairs and words a rule's message must contain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from warroom.rules import (
    ERROR,
    RULES,
    WARNING,
    Context,
    DraftDoc,
    DraftFileError,
    KeyStatus,
    default_policy,
    has_errors,
    lint,
    read_draft_file,
)

AWP = "Attorney Work Project"
BODY = "Status: the bridge is at 14:00 UTC."


def email(**kw: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "from": "ic@example.com",
        "to": ["ann@example.com"],
        "subject": AWP,
        "body": BODY,
    } | kw


def chat(**kw: Any) -> dict[str, Any]:
    return {"channel": "chat", "topic": f"{AWP}: sapphire", "body": f"{AWP}: {BODY}"} | kw


def sms(body: str, **kw: Any) -> dict[str, Any]:
    return {"channel": "sms", "to": ["+15550100"], "body": body} | kw


def statement(title: str, body: str = "On 21 November we found ...", **kw: Any) -> dict[str, Any]:
    return {"channel": "statement", "audience": "public", "title": title, "body": body} | kw


def case(
    name: str,
    draft: dict[str, Any],
    fires: tuple[str, ...] = (),
    silent: tuple[str, ...] = (),
    context: dict[str, Any] | None = None,
    where: tuple[tuple[str, str], ...] = (),
    says: dict[str, str] | None = None,
) -> Any:
    return pytest.param(draft, context or {}, fires, silent, where, says or {}, id=name)


GPG = "external-needs-gpg"
ENC = "encrypted-needs-keys"
PRIV = "privilege-needs-counsel"
TOO_LONG = "draft-too-long"
COUNSEL = "frank@outside-counsel.example"
BANNED = "banned-phrase"
UNDATED = "statement-undated"
ROSTER = "recipient-not-on-roster"
FORENSICS = "internal-before-forensics"
EXT = ["lena@partner.example"]

CORPUS = [
    # --- subject-not-awp -------------------------------------------------------------
    case("subject exact", email(), silent=("subject-not-awp",)),
    case("subject re", email(subject=f"Re: {AWP}"), fires=("subject-not-awp",)),
    case("subject fwd", email(subject=f"Fwd: {AWP}"), fires=("subject-not-awp",)),
    case("subject lower", email(subject=AWP.lower()), fires=("subject-not-awp",)),
    case("subject upper", email(subject=AWP.upper()), fires=("subject-not-awp",)),
    case("subject leading space", email(subject=" " + AWP), fires=("subject-not-awp",)),
    case("subject trailing space", email(subject=AWP + " "), fires=("subject-not-awp",)),
    case(
        "subject double space", email(subject="Attorney  Work Project"), fires=("subject-not-awp",)
    ),
    case(
        "subject extra words",
        email(subject=f"{AWP} - breach update"),
        fires=("subject-not-awp",),
        where=(("subject-not-awp", "subject"),),
        says={"subject-not-awp": "nothing else"},
    ),
    case(
        "subject empty",
        email(subject=""),
        fires=("subject-not-awp",),
        says={"subject-not-awp": "empty"},
    ),
    case("subject zero width", email(subject=AWP + "\u200b"), fires=("subject-not-awp",)),
    case("subject not checked on chat", chat(), silent=("subject-not-awp",)),
    # --- chat-prefix -----------------------------------------------------------------
    case("chat prefixed", chat(), silent=("chat-prefix",)),
    case("chat empty topic is fine", chat(topic=""), silent=("chat-prefix",)),
    case("chat bare prefix", chat(topic=AWP, body=AWP), silent=("chat-prefix",)),
    case(
        "chat topic unprefixed",
        chat(topic="sapphire bridge"),
        fires=("chat-prefix",),
        where=(("chat-prefix", "topic"),),
    ),
    case(
        "chat body unprefixed",
        chat(body="status update: replica isolated"),
        fires=("chat-prefix",),
        where=(("chat-prefix", "body"),),
    ),
    case("chat body leading space", chat(body=f"  {AWP}: x"), fires=("chat-prefix",)),
    case("chat body lower case", chat(body=f"{AWP.lower()}: x"), fires=("chat-prefix",)),
    case("chat prefix inside a longer word", chat(body=f"{AWP}s are due"), fires=("chat-prefix",)),
    case("chat prefix not asked of email", email(body="no prefix here"), silent=("chat-prefix",)),
    # --- chat-codename -----------------------------------------------------------------
    case(
        "chat body names the title",
        chat(body=f"{AWP}: the Replica  export breach is contained"),
        context={"title": "replica export breach"},
        fires=("chat-codename",),
        where=(("chat-codename", "body"),),
    ),
    case(
        "chat topic names the title",
        chat(topic=f"{AWP}: Replica export breach"),
        context={"title": "Replica export breach"},
        fires=("chat-codename",),
        where=(("chat-codename", "topic"),),
    ),
    case(
        "chat by codename only",
        chat(body=f"{AWP}: sapphire-heron contained"),
        context={"title": "Replica export breach"},
        silent=("chat-codename",),
    ),
    case(
        "an email may name the title",
        email(body="Replica export breach"),
        context={"title": "Replica export breach"},
        silent=("chat-codename",),
    ),
    # --- bad-address / no-recipients -------------------------------------------------
    case(
        "display names parse",
        email(to=['"Ann Lee" <ann@example.com>', "Bob <BOB@Example.COM>"]),
        silent=("bad-address", "no-recipients", GPG),
    ),
    case("address without domain", email(to=["ann@"]), fires=("bad-address",)),
    case(
        "two addresses in one value",
        email(cc=["a@example.com, b@example.com"]),
        fires=("bad-address",),
        where=(("bad-address", "cc"),),
    ),
    case("trailing dot address", email(to=["ann@example.com."]), fires=("bad-address",)),
    case("name without brackets", email(to=["Ann Smith ann@example.com"]), fires=("bad-address",)),
    case(
        "bad sender",
        email(**{"from": "ic at example"}),
        fires=("bad-address",),
        where=(("bad-address", "from"),),
    ),
    case(
        "header injection",
        email(bcc=["ann@example.com\r\nBcc: x@evil.net"]),
        fires=("bad-address",),
    ),
    case("no recipients", email(to=[]), fires=("no-recipients",), silent=("bad-address",)),
    case(
        "recipients only in bcc", email(to=[], bcc=["ann@example.com"]), silent=("no-recipients",)
    ),
    # --- external-needs-gpg ------------------------------------------------------------
    case("internal only needs no key", email(), silent=(GPG,)),
    case(
        "external without keyring",
        email(to=EXT),
        fires=(GPG,),
        says={GPG: "lena@partner.example"},
    ),
    case(
        "external key found",
        email(to=EXT),
        silent=(GPG,),
        context={"keys": {"lena@partner.example": "found"}},
    ),
    case(
        "external lookup is lower-cased",
        email(to=["Lena <LENA@Partner.Example>"]),
        silent=(GPG,),
        context={"keys": {"lena@partner.example": "found"}},
    ),
    case(
        "external key expired",
        email(to=EXT),
        fires=(GPG,),
        context={"keys": {"lena@partner.example": "expired"}},
        says={GPG: "expired"},
    ),
    case(
        "external key revoked",
        email(to=EXT),
        fires=(GPG,),
        context={"keys": {"lena@partner.example": "revoked"}},
        says={GPG: "revoked"},
    ),
    case(
        "external key ambiguous",
        email(to=EXT),
        fires=(GPG,),
        context={"keys": {"lena@partner.example": "ambiguous"}},
    ),
    case(
        "external key missing",
        email(to=EXT),
        fires=(GPG,),
        context={"keys": {}},
        says={GPG: "missing"},
    ),
    case("external in cc", email(cc=EXT), fires=(GPG,), where=((GPG, "cc"),)),
    case("external in bcc", email(bcc=EXT), fires=(GPG,), where=((GPG, "bcc"),)),
    case(
        "lookalike is external",
        email(to=["ann@example.com.evil.net"]),
        fires=(GPG,),
        context={"keys": {}},
    ),
    case("cyrillic lookalike is external", email(to=["ann@ex\u0430mple.com"]), fires=(GPG,)),
    case("subdomain external by default", email(to=["ann@mail.example.com"]), fires=(GPG,)),
    # --- encrypted-needs-keys: a mail that goes encrypted goes to everyone's key ---------
    case(
        "mixed email, internal recipient without a key",
        email(to=EXT, cc=["Zed <zed@example.com>"]),
        fires=(ENC,),
        silent=(GPG,),
        context={"keys": {"lena@partner.example": "found", "ic@example.com": "found"}},
        where=((ENC, "cc"),),
        says={ENC: "zed@example.com has no usable public key (missing"},
    ),
    case(
        "mixed email, internal recipient with an expired key",
        email(to=EXT, bcc=["zed@example.com"]),
        fires=(ENC,),
        context={
            "keys": {
                "lena@partner.example": "found",
                "ic@example.com": "found",
                "zed@example.com": "expired",
            }
        },
        where=((ENC, "bcc"),),
        says={ENC: "expired"},
    ),
    case(
        "mixed email, sender without a key",
        email(to=EXT, cc=["ann@example.com"]),
        fires=(ENC,),
        context={"keys": {"lena@partner.example": "found", "ann@example.com": "found"}},
        where=((ENC, "from"),),
        says={ENC: "the sender ic@example.com"},
    ),
    case(
        "external email without a sender",
        email(to=EXT, **{"from": ""}),
        fires=(ENC,),
        context={"keys": {"lena@partner.example": "found"}},
        where=((ENC, "from"),),
        says={ENC: "no From address"},
    ),
    case(
        "external email, every key found",
        email(to=EXT, cc=["ann@example.com"]),
        silent=(ENC, GPG),
        context={
            "keys": {
                "lena@partner.example": "found",
                "ann@example.com": "found",
                "ic@example.com": "found",
            }
        },
    ),
    case(
        "internal email needs no keys",
        email(to=["ann@example.com"], cc=["zed@example.com"]),
        silent=(ENC, GPG),
        context={"keys": {}},
    ),
    case("keys not asked of chat", chat(to=EXT), silent=(ENC, GPG)),
    # --- sms-channel / sms-details -----------------------------------------------------
    case(
        "sms move",
        sms("Move to a secure channel."),
        fires=("sms-channel",),
        silent=("sms-details",),
    ),
    case("sms join signal", sms("Please join the bridge on Signal ASAP"), silent=("sms-details",)),
    case(
        "sms usual channel at time",
        sms("Hi, move to the usual secure channel now, 14:30 UTC."),
        silent=("sms-details",),
    ),
    case("sms missing space", sms("Move to a secure channel.Please"), silent=("sms-details",)),
    case(
        "sms curly apostrophe", sms("Let\u2019s move to Signal, thanks!"), silent=("sms-details",)
    ),
    case("sms in 5 min", sms("Join the bridge in 5 min"), silent=("sms-details",)),
    case(
        "sms join slack (the seed's example)",
        sms("Please join Slack ASAP"),
        silent=("sms-details",),
    ),
    case("sms teams call", sms("Join the Teams call now"), silent=("sms-details",)),
    case("sms zoom bridge", sms("Move to Zoom, bridge in 5 min"), silent=("sms-details",)),
    case("sms mattermost", sms("Switch to Mattermost please"), silent=("sms-details",)),
    case("sms matrix room", sms("Join the Matrix room now, thanks"), silent=("sms-details",)),
    case(
        "sms slack with details",
        sms("Join Slack: the breach is on db-replica-2"),
        fires=("sms-details",),
        says={"sms-details": "breach"},
    ),
    case(
        "sms breach and host",
        sms("We had a breach on db-replica-2. Call me."),
        fires=("sms-details", "sms-channel"),
        where=(("sms-details", "body"),),
        says={"sms-details": "breach"},
    ),
    case(
        "sms ransomware",
        sms("Ransomware! Move to a secure channel"),
        fires=("sms-details",),
        says={"sms-details": "ransomware"},
    ),
    case(
        "sms outage",
        sms("Outage, join the bridge"),
        fires=("sms-details",),
        says={"sms-details": "incident word"},
    ),
    case(
        "sms ip",
        sms("Block 203.0.113.7 now"),
        fires=("sms-details",),
        says={"sms-details": "203.0.113.7"},
    ),
    case(
        "sms hostname",
        sms("Check db1.prod.example.com"),
        fires=("sms-details",),
        says={"sms-details": "host name"},
    ),
    case(
        "sms email address",
        sms("Call lena@partner.example"),
        fires=("sms-details",),
        says={"sms-details": "email address"},
    ),
    case(
        "sms url",
        sms("Join https://meet.example.net/abc"),
        fires=("sms-details",),
        says={"sms-details": "link"},
    ),
    case(
        "sms password",
        sms("password=hunter2 move now"),
        fires=("sms-details",),
        says={"sms-details": "credential"},
    ),
    case(
        "sms hex token",
        sms("Use 3f9a0c1b2d3e4f5a6b7c8d9e"),
        fires=("sms-details",),
        says={"sms-details": "hex"},
    ),
    case(
        "sms account id",
        sms("Account 4003 1234 5678 locked"),
        fires=("sms-details",),
        says={"sms-details": "long number"},
    ),
    case("sms not on email", email(body="We had a breach."), silent=("sms-details", "sms-channel")),
    # --- banned-phrase -----------------------------------------------------------------
    case(
        "phrase plain",
        email(body="We take security seriously."),
        fires=(BANNED,),
        where=((BANNED, "body"),),
    ),
    case("phrase very", email(body="We take security very seriously"), fires=(BANNED,)),
    case(
        "phrase extremely", email(body="we take your security extremely seriously"), fires=(BANNED,)
    ),
    case("phrase incredibly", email(body="We take security incredibly seriously"), fires=(BANNED,)),
    case("phrase really", email(body="We really take security so seriously"), fires=(BANNED,)),
    case("phrase most", email(body="We take security most seriously"), fires=(BANNED,)),
    case(
        "phrase privacy and security of customers",
        statement(
            "2026-11-22", "We take the privacy and security of our customers very seriously."
        ),
        fires=(BANNED,),
    ),
    case("phrase your privacy", email(body="we take your privacy seriously"), fires=(BANNED,)),
    case(
        "phrase security and privacy",
        email(body="We take security and privacy seriously"),
        fires=(BANNED,),
    ),
    case(
        "phrase security of your data",
        email(body="Acme takes the security of your data seriously."),
        fires=(BANNED,),
    ),
    case("phrase upper case", email(body="WE TAKE SECURITY VERY SERIOUSLY"), fires=(BANNED,)),
    case("phrase line break", email(body="We take security\nvery\n   seriously"), fires=(BANNED,)),
    case(
        "phrase curly apostrophe",
        email(body="We\u2019ve always taken your privacy seriously"),
        fires=(BANNED,),
    ),
    case("phrase markdown", email(body="We *take* security **very** _seriously_"), fires=(BANNED,)),
    case(
        "phrase markdown around",
        email(body="*We take* security ~~very~~ seriously"),
        fires=(BANNED,),
    ),
    case(
        "phrase html",
        email(body="<p>We take <b>security</b> very serious<i>ly</i>.</p>"),
        fires=(BANNED,),
    ),
    case("phrase entity", email(body="We&nbsp;take security&#32;seriously"), fires=(BANNED,)),
    case("phrase top priority", email(body="Your security is our top priority."), fires=(BANNED,)),
    case(
        "phrase in subject",
        email(subject="We take security seriously"),
        fires=(BANNED, "subject-not-awp"),
        where=((BANNED, "subject"),),
    ),
    case(
        "phrase in topic",
        chat(topic=f"{AWP}: we take this seriously"),
        fires=(BANNED,),
        where=((BANNED, "topic"),),
    ),
    case(
        "phrase in title",
        statement("We take security seriously - 2026-11-22"),
        fires=(BANNED,),
        where=((BANNED, "title"),),
    ),
    case("phrase in sms", sms("We take security seriously"), fires=(BANNED, "sms-details")),
    case(
        "not: taking steps", email(body="We are taking steps to secure accounts."), silent=(BANNED,)
    ),
    case("not: seriously rotate", email(body="Seriously, rotate your keys."), silent=(BANNED,)),
    case("not: security of vpn", email(body="Security of the VPN was reviewed."), silent=(BANNED,)),
    case(
        "phrase utmost importance",
        email(body="The security of your information is of the utmost importance to us."),
        fires=(BANNED,),
    ),
    case(
        "phrase paramount importance",
        statement("Notice 2026-11-22", "Protecting your data is of paramount importance."),
        fires=(BANNED,),
    ),
    case(
        "phrase this matter after a long preamble",
        email(
            body="We at Contoso, together with the outside experts and the agencies assisting "
            "the investigation, take this matter very seriously."
        ),
        fires=(BANNED,),
    ),
    case(
        "phrase company takes this matter",
        email(body="Contoso takes this matter extremely seriously."),
        fires=(BANNED,),
    ),
    case(
        "phrase safeguarding is important to us",
        email(body="Safeguarding your personal information is important to us."),
        fires=(BANNED,),
    ),
    case(
        "phrase protecting is important to us",
        email(body="Protecting your personal information is very important to us."),
        fires=(BANNED,),
    ),
    case(
        "not: utmost importance that you",
        email(body="It is of the utmost importance that you reset your password today."),
        silent=(BANNED,),
    ),
    case(
        "not: important to the investigation",
        email(body="Keeping the security logs is of great importance to the investigation."),
        silent=(BANNED,),
    ),
    case(
        "not: changing your password is important",
        email(body="Changing your password is important: the attacker may reuse it."),
        silent=(BANNED,),
    ),
    case("not: take responsibility", email(body="We take responsibility."), silent=(BANNED,)),
    case(
        "not: across sentences",
        email(body="We take responsibility. Seriously, rotate your keys."),
        silent=(BANNED,),
    ),
    case(
        "not: across paragraphs",
        email(body="We take responsibility\n\nSeriously, rotate your keys"),
        silent=(BANNED,),
    ),
    # --- statement-undated -------------------------------------------------------------
    case("statement iso", statement("Security notice 2026-11-22"), silent=(UNDATED,)),
    case(
        "statement day month year",
        statement("Security notice, 22 November 2026"),
        silent=(UNDATED,),
    ),
    case(
        "statement month day year",
        statement("Security notice: November 22, 2026"),
        silent=(UNDATED,),
    ),
    case("statement short month", statement("Nov 22 2026 security notice"), silent=(UNDATED,)),
    case("statement short day first", statement("Notice (22 Nov 2026)"), silent=(UNDATED,)),
    case("statement ordinal", statement("Notice of 22nd Nov. 2026"), silent=(UNDATED,)),
    case(
        "statement in a sentence",
        statement("Update on the 21 November 2026 service disruption"),
        silent=(UNDATED,),
    ),
    case(
        "statement no date",
        statement("Security notice"),
        fires=(UNDATED,),
        where=((UNDATED, "title"),),
    ),
    case("statement no title", statement(""), fires=(UNDATED,)),
    case("statement no year", statement("Update on 21 November"), fires=(UNDATED,)),
    case("statement invalid date", statement("Notice 2026-02-30"), fires=(UNDATED,)),
    case("statement invalid month", statement("Notice 2026-13-01"), fires=(UNDATED,)),
    case("statement numeric ambiguous", statement("Notice 22/11/2026"), fires=(UNDATED,)),
    case(
        "statement date only in body", statement("Notice", "Written 2026-11-22"), fires=(UNDATED,)
    ),
    case("undated not asked of email", email(), silent=(UNDATED,)),
    # --- statement-not-ready -----------------------------------------------------------
    case(
        "statement not ready",
        statement("Notice 2026-11-22"),
        fires=("statement-not-ready",),
        context={
            "readiness": {
                "timeline": False,
                "compromised-data": True,
                "mitigations": False,
                "approval": True,
            }
        },
        says={"statement-not-ready": "attack timeline, mitigations in place"},
    ),
    case(
        "statement not approved",
        statement("Notice 2026-11-22"),
        fires=("statement-not-ready",),
        context={"readiness": {"approval": False}},
        says={"statement-not-ready": "approval"},
    ),
    case(
        "statement ready",
        statement("Notice 2026-11-22"),
        silent=("statement-not-ready",),
        context={
            "readiness": {
                "timeline": True,
                "compromised-data": True,
                "mitigations": True,
                "approval": True,
            }
        },
    ),
    case(
        "statement readiness unknown",
        statement("Notice 2026-11-22"),
        silent=("statement-not-ready",),
    ),
    case(
        "readiness not asked of email",
        email(),
        silent=("statement-not-ready",),
        context={"readiness": {"approval": False}},
    ),
    # --- recipient-not-on-roster -------------------------------------------------------
    case(
        "not on roster",
        email(to=["ann@example.com", "zed@example.com"]),
        fires=(ROSTER,),
        context={"roster": ["ann@example.com"], "approved": False},
        says={ROSTER: "zed@example.com"},
    ),
    case(
        "chat not on roster",
        chat(to=["zed@example.com"]),
        fires=(ROSTER,),
        context={"roster": ["ann@example.com"], "approved": False},
    ),
    case(
        "on roster, case differs",
        email(to=["Ann <ANN@Example.com>"]),
        silent=(ROSTER,),
        context={"roster": ["ann@example.com"], "approved": False},
    ),
    case(
        "disclosure approved",
        email(to=["zed@example.com"]),
        silent=(ROSTER,),
        context={"roster": ["ann@example.com"], "approved": True},
    ),
    case(
        "roster unknown",
        email(to=["zed@example.com"]),
        silent=(ROSTER,),
        context={"approved": False},
    ),
    case(
        "approval unknown",
        email(to=["zed@example.com"]),
        silent=(ROSTER,),
        context={"roster": ["ann@example.com"]},
    ),
    # --- privilege-needs-counsel ---------------------------------------------------------
    case(
        "privileged email without counsel",
        email(to=["ann@example.com"]),
        fires=(PRIV,),
        context={"counsel": [COUNSEL]},
        where=((PRIV, "to"),),
        says={PRIV: COUNSEL},
    ),
    case(
        "privileged email, nobody holds legal",
        email(to=["ann@example.com"]),
        fires=(PRIV,),
        context={"counsel": []},
        says={PRIV: "nobody holding the legal role"},
    ),
    case(
        "privileged email to counsel",
        email(to=["ann@example.com"], cc=[f"Frank <{COUNSEL.upper()}>"]),
        silent=(PRIV,),
        context={"counsel": [COUNSEL]},
    ),
    case(
        "privileged email, counsel in bcc",
        email(to=["ann@example.com"], bcc=[COUNSEL]),
        silent=(PRIV,),
        context={"counsel": [COUNSEL]},
    ),
    case(
        "privilege: counsel unknown (a loose file)",
        email(to=["ann@example.com"]),
        silent=(PRIV,),
    ),
    case(
        "privilege not claimed",
        email(subject="Weekly update", to=["ann@example.com"]),
        silent=(PRIV,),
        context={"counsel": [COUNSEL]},
    ),
    case(
        "privilege not asked of chat",
        chat(to=["ann@example.com"]),
        silent=(PRIV,),
        context={"counsel": [COUNSEL]},
    ),
    # --- internal-before-forensics -----------------------------------------------------
    case("chat before forensics", chat(), fires=(FORENSICS,), context={"forensics": False}),
    case(
        "internal email before forensics",
        email(to=["ann@example.com", "Bob <bob@EXAMPLE.com>"]),
        fires=(FORENSICS,),
        context={"forensics": False},
    ),
    case(
        "internal audience before forensics",
        statement("Notice 2026-11-22", audience="internal"),
        fires=(FORENSICS,),
        context={"forensics": False},
    ),
    case(
        "external email before forensics",
        email(to=["ann@example.com", "lena@partner.example"]),
        silent=(FORENSICS,),
        context={"forensics": False},
    ),
    case("chat after forensics", chat(), silent=(FORENSICS,), context={"forensics": True}),
    case("forensics unknown", chat(), silent=(FORENSICS,)),
    case(
        "public statement before forensics",
        statement("Notice 2026-11-22"),
        silent=(FORENSICS,),
        context={"forensics": False},
    ),
    # --- vendor-named ------------------------------------------------------------------
    case(
        "vendor named",
        email(body="Okta confirmed the session theft."),
        fires=("vendor-named",),
        says={"vendor-named": "Okta"},
    ),
    case("vendor lower case", email(body="the okta tenant was accessed"), fires=("vendor-named",)),
    case(
        "vendor alias",
        email(body="Our Amazon Web Services account"),
        fires=("vendor-named",),
        says={"vendor-named": "AWS"},
    ),
    case(
        "vendor with its disclosure",
        email(body="Okta says so: https://sec.okta.com/articles/2026/11/notice."),
        silent=("vendor-named",),
    ),
    case(
        "vendor with a lookalike link",
        email(body="Okta says so: https://okta.com.evil.net/notice"),
        fires=("vendor-named",),
    ),
    case(
        "vendor link elsewhere",
        email(body="Okta: see https://news.example.net/okta"),
        fires=("vendor-named",),
    ),
    case(
        "vendor as part of a word",
        email(body="Oktane was postponed; GitHubber"),
        silent=("vendor-named",),
    ),
    case("no vendor", email(), silent=("vendor-named",)),
    # --- empty-body --------------------------------------------------------------------
    case("empty chat body", chat(body=""), fires=("empty-body",), silent=("chat-prefix",)),
    case("blank email body", email(body="  \n "), fires=("empty-body",)),
    case("body present", email(), silent=("empty-body",)),
    # --- draft-too-long ------------------------------------------------------------------
    case(
        "body over the cap",
        email(body="We take security seriously. " + "x" * 64_000),
        fires=(TOO_LONG,),
        silent=tuple(r for r in RULES if r != TOO_LONG),
        where=((TOO_LONG, "body"),),
        says={TOO_LONG: "the body is 64,028 characters; the most is 64,000"},
    ),
    case(
        "subject over the cap",
        email(subject="x" * 501),
        fires=(TOO_LONG,),
        where=((TOO_LONG, "subject"),),
    ),
    case(
        "too many recipients",
        email(to=[f"p{n}@example.com" for n in range(10_001)]),
        fires=(TOO_LONG,),
        where=((TOO_LONG, "to"),),
        says={TOO_LONG: "10,001 recipients"},
    ),
    case(
        "an address over the cap",
        email(cc=["a" * 500 + "@example.com"]),
        fires=(TOO_LONG,),
        where=((TOO_LONG, "cc"),),
    ),
    case("body at the cap", email(body="x" * 64_000), silent=(TOO_LONG,)),
    # --- hidden-characters --------------------------------------------------------------
    case(
        "right-to-left override in a statement",
        statement("Update 2026-12-02", "\u202eylsuoires yrev ytiruces ekat eW\u202c"),
        fires=("hidden-characters",),
        where=(("hidden-characters", "body"),),
        says={"hidden-characters": "U+202E"},
    ),
    case(
        "terminal escape in a chat message",
        chat(body=f"{AWP}: \x1b]52;c;cm0gLXJmIH4=\x07 hi"),
        fires=("hidden-characters",),
    ),
    case(
        "line breaks, tabs and CRLF in a body",
        email(body="Status:\r\n\tbridge at 14:00\nthanks"),
        silent=("hidden-characters",),
    ),
    # --- mixed-script -------------------------------------------------------------------
    case(
        "Cyrillic e inside a Latin word",
        statement("Update 2026-12-02", "We take security very s\u0435riously"),
        fires=("mixed-script",),
        says={"mixed-script": "s\u0435riously"},
    ),
    case(
        "a Cyrillic word beside Latin ones",
        email(body="Письмо для Ann: the bridge is at 14:00 UTC."),
        silent=("mixed-script",),
    ),
    # --- clean drafts ------------------------------------------------------------------
    case(
        "clean email",
        email(to=["ann@example.com"]),
        silent=tuple(RULES),
        context={"roster": ["ann@example.com"], "approved": False, "forensics": True},
    ),
    case(
        "clean external email",
        email(to=["Lena <lena@partner.example>"], cc=["ann@example.com"]),
        silent=tuple(RULES),
        context={
            "keys": {
                "lena@partner.example": "found",
                "ann@example.com": "found",
                "ic@example.com": "found",
            },
            "approved": True,
            "roster": [],
            "counsel": ["lena@partner.example"],
        },
    ),
    case(
        "clean statement",
        statement("Update on the 21 November 2026 service disruption", "On 21 November ..."),
        silent=tuple(RULES),
        context={"readiness": {"timeline": True, "approval": True}, "forensics": True},
    ),
]


def make_context(options: dict[str, Any]) -> Context:
    keys = None
    if "keys" in options:
        table = options["keys"]

        def keys(address: str) -> KeyStatus:
            status = table.get(address, "missing")
            fingerprint = "AB" * 20 if status == "found" else ""
            return KeyStatus(address, status, fingerprint, detail=f"test keyring says {status}")

    roster = options.get("roster")
    return Context(
        keys=keys,
        roster_emails=frozenset(roster) if roster is not None else None,
        disclosure_approved=options.get("approved"),
        forensics_done=options.get("forensics"),
        readiness=options.get("readiness"),
        counsel_emails=frozenset(options["counsel"]) if "counsel" in options else None,
        title=options.get("title"),
    )


@pytest.mark.parametrize(("draft", "context", "fires", "silent", "where", "says"), CORPUS)
def test_corpus(
    draft: dict[str, Any],
    context: dict[str, Any],
    fires: tuple[str, ...],
    silent: tuple[str, ...],
    where: tuple[tuple[str, str], ...],
    says: dict[str, str],
) -> None:
    findings = lint(DraftDoc.from_mapping(draft), default_policy(), make_context(context))
    fired = {f.rule for f in findings}
    report = [(f.rule, f.field, f.message) for f in findings]
    assert set(fires) <= fired, report
    assert not set(silent) & fired, report
    for rule, field in where:
        assert (rule, field) in {(f.rule, f.field) for f in findings}, report
    for rule, words in says.items():
        assert any(words in f.message for f in findings if f.rule == rule), report
    for finding in findings:
        assert finding.severity == RULES[finding.rule].severity


def test_corpus_is_large() -> None:
    assert len(CORPUS) >= 90


def test_every_rule_has_a_positive_and_a_negative() -> None:
    positive = {rule for param in CORPUS for rule in param.values[2]}
    negative = {
        rule for param in CORPUS if param.values[3] != tuple(RULES) for rule in param.values[3]
    }
    assert set(RULES) <= positive, set(RULES) - positive
    assert set(RULES) <= negative, set(RULES) - negative


def test_rules_registry() -> None:
    required = {
        "subject-not-awp": ERROR,
        "chat-prefix": ERROR,
        "external-needs-gpg": ERROR,
        "sms-channel": WARNING,
        "sms-details": ERROR,
        "banned-phrase": ERROR,
        "statement-undated": ERROR,
        "recipient-not-on-roster": WARNING,
        "internal-before-forensics": WARNING,
        "statement-not-ready": WARNING,
        "vendor-named": WARNING,
    }
    assert {rule: RULES[rule].severity for rule in required} == required
    for rule_id, (severity, text) in RULES.items():  # as `warroom rules` prints them
        assert severity in (ERROR, WARNING)
        assert text and "\n" not in text and rule_id == rule_id.lower()


# --- details the corpus does not show ---------------------------------------------------


def test_quick_fixes() -> None:
    doc = DraftDoc.from_mapping(email(subject="Re: x"))
    [subject] = [f for f in lint(doc, default_policy()) if f.rule == "subject-not-awp"]
    assert subject.fix == "subject"
    doc = DraftDoc.from_mapping(chat(topic="x", body="y"))
    prefix = [f for f in lint(doc, default_policy()) if f.rule == "chat-prefix"]
    assert [(f.field, f.fix) for f in prefix] == [("topic", "prefix"), ("body", "prefix")]


def test_errors_first_then_warnings_in_rule_order() -> None:
    doc = DraftDoc.from_mapping(
        sms("We had a breach, we take security seriously. Okta knows.", audience="internal")
    )
    findings = lint(doc, default_policy(), Context(forensics_done=False))
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=[ERROR, WARNING].index)
    order = list(RULES)
    ranks = [order.index(f.rule) for f in findings]
    assert ranks == sorted(ranks)
    assert {f.rule for f in findings} == {
        "sms-details",
        "banned-phrase",
        "sms-channel",
        "internal-before-forensics",
        "vendor-named",
    }
    assert has_errors(findings)
    assert not has_errors([f for f in findings if f.severity == WARNING])
    assert not has_errors([])


def test_keyring_consulted_with_bare_lower_case_address() -> None:
    asked: list[str] = []

    def keys(address: str) -> KeyStatus:
        asked.append(address)
        return KeyStatus(address, "found", "AB" * 20)

    doc = DraftDoc.from_mapping(
        email(to=['"Lena" <Lena@Partner.Example>', "ann@example.com"], cc=["lena@partner.example"])
    )
    assert not lint(doc, default_policy(), Context(keys=keys))
    # once per address: the external one, then (the mail goes encrypted) the internal
    # recipient and the sender
    assert asked == ["lena@partner.example", "ann@example.com", "ic@example.com"]


def test_keyring_failure_is_a_finding() -> None:
    def keys(address: str) -> KeyStatus:
        raise RuntimeError("gpg exploded")

    doc = DraftDoc.from_mapping(email(to=EXT))
    [finding] = [f for f in lint(doc, default_policy(), Context(keys=keys)) if f.rule == GPG]
    assert "unavailable" in finding.message and "gpg exploded" in finding.message


def test_sms_never_quotes_a_credential() -> None:
    doc = DraftDoc.from_mapping(sms("password: hunter2 and token=s3cr3tvalue AKIAIOSFODNN7EXAMPLE"))
    [finding] = [f for f in lint(doc, default_policy()) if f.rule == "sms-details"]
    for secret in ("hunter2", "s3cr3tvalue", "AKIAIOSFODNN7EXAMPLE".casefold()):
        assert secret not in finding.message.casefold()
    assert "credential" in finding.message and "long token" in finding.message


# --- draft files ------------------------------------------------------------------------


def test_read_json_draft(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(email(cc=["bob@example.com"], audience="legal")))
    doc = read_draft_file(path)
    assert doc.channel == "email" and doc.sender == "ic@example.com"
    assert doc.to == ("ann@example.com",) and doc.cc == ("bob@example.com",)
    assert doc.subject == AWP and doc.audience == "legal"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("bad.json", '{"channel": "email",\n "to": [1]}', "to must be a list"),
        ("syntax.json", '{"channel": "email",\n "to": [}', "bad:2: invalid JSON"),
        ("list.json", "[]", "JSON object"),
        ("typo.json", '{"channel": "email", "bc": ["x@y.com"]}', "unknown key 'bc'"),
        ("channel.json", '{"channel": "fax"}', "channel must be one of"),
        ("null.json", '{"channel": "email", "subject": null}', "subject must be a string"),
        ("draft.txt", "hello", "use .json or .eml"),
    ],
)
def test_bad_draft_files(tmp_path: Path, name: str, content: str, words: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DraftFileError) as caught:
        read_draft_file(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert words.replace("bad:", f"{path}:") in message


def test_unreadable_and_binary_drafts(tmp_path: Path) -> None:
    with pytest.raises(DraftFileError, match="cannot read"):
        read_draft_file(tmp_path / "missing.json")
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DraftFileError, match="not UTF-8"):
        read_draft_file(path)


def test_read_eml(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(
        b'From: "Marcus" <marcus@example.com>\r\n'
        b"To: Ann <ann@example.com>, lena@partner.example\r\n"
        b"Cc: =?utf-8?q?B=C3=B6b?= <bob@example.com>\r\n"
        b"Bcc: zed@example.com\r\n"
        b"Subject: =?utf-8?q?Attorney_Work?=\r\n Project\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"We take security very seriously.\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>html part</p>\r\n--b--\r\n"
    )
    doc = read_draft_file(path)
    assert doc.channel == "email"
    assert doc.sender == "Marcus <marcus@example.com>"
    assert doc.to == ("Ann <ann@example.com>", "lena@partner.example")
    assert doc.cc == ("Böb <bob@example.com>",) and doc.bcc == ("zed@example.com",)
    assert doc.subject == AWP
    assert doc.body.strip() == "We take security very seriously."
    rules = {f.rule for f in lint(doc, default_policy())}
    assert {"banned-phrase", GPG} <= rules and "subject-not-awp" not in rules


def test_eml_with_an_unparsable_recipient_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(b"To: ann@example.com, junk@\r\nSubject: Attorney Work Project\r\n\r\nhi\r\n")
    doc = read_draft_file(path)
    assert doc.to == ("ann@example.com, junk@",)
    assert "bad-address" in {f.rule for f in lint(doc, default_policy())}


def test_eml_without_headers(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(b"")
    with pytest.raises(DraftFileError, match="not an email"):
        read_draft_file(path)
