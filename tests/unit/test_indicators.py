"""Indicators of compromise in notes as responders type them."""

from __future__ import annotations

import csv
import io

import pytest

from warroom.export import tabular
from warroom.indicators import IOC_TYPES, Indicator, blocklist, extract, is_valid, refang, to_csv

SHA256 = "9f86d081884c7d659a2feae0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"

# (note, [(value, type), ...] in order of first appearance)
CORPUS: list[tuple[str, list[tuple[str, str]]]] = [
    ("blocked 203.0.113.45 at the edge", [("203.0.113.45", "ipv4")]),
    (
        "C2 at evil-updates[.]com, beacon every 60s on 443",
        [("evil-updates.com", "domain")],
    ),
    (
        f"sha256 of dropper: {SHA256.upper()}",
        [(SHA256, "sha256")],
    ),
    (
        f"hashes from the EDR: md5={MD5} sha1:{SHA1}.",
        [(MD5, "md5"), (SHA1, "sha1")],
    ),
    (
        "at 10:32:01 UTC the WAF saw 198.51.100.23 hit /login 400 times",
        [("198.51.100.23", "ipv4")],
    ),
    (
        "v6 scan from 2001:db8::1 and [2001:db8:0:0:0:0:0:2]:443, loopback ::1 answered",
        [("2001:db8::1", "ipv6"), ("2001:db8::2", "ipv6"), ("::1", "ipv6")],
    ),
    (
        "full form in the netflow: 2001:0DB8:85A3:0000:0000:8A2E:0370:7334.",
        [("2001:db8:85a3::8a2e:370:7334", "ipv6")],
    ),
    (
        "link-local fe80::1%eth0 talking to 192.0.2.10:8443",
        [("fe80::1", "ipv6"), ("192.0.2.10", "ipv4")],
    ),
    (
        "stage 2 from hxxps://cdn.evil-updates[.]com:8443/stage2/loader.bin?id=7 (proxy log)",
        [("https://cdn.evil-updates.com:8443/stage2/loader.bin?id=7", "url")],
    ),
    (
        "exfil POSTed to https://203.0.113.9:8443/upload, then to http://[2001:db8::5]/drop",
        [("https://203.0.113.9:8443/upload", "url"), ("http://[2001:db8::5]/drop", "url")],
    ),
    (
        "Phish came from billing@Paypa1-Secure.com to Alice@Example.org.",
        [("billing@paypa1-secure.com", "email"), ("alice@example.org", "email")],
    ),
    (
        "reply-to was ops [at] mail-relay[.]net",
        [("ops@mail-relay.net", "email")],
    ),
    (
        "attacker logged in as CORP\\svc_backup, then user:alice; key AKIAIOSFODNN7EXAMPLE",
        [
            ("corp\\svc_backup", "account"),
            ("alice", "account"),
            ("AKIAIOSFODNN7EXAMPLE", "account"),
        ],
    ),
    (
        "sshd: user=root from 198.51.100.77 port 52113",
        [("root", "account"), ("198.51.100.77", "ipv4")],
    ),
    (
        "blocked 198.51.100.0/24 and 192.0.2.7/32 on the firewall",
        [("198.51.100.0/24", "ipv4"), ("192.0.2.7", "ipv4")],
    ),
    (
        "defanged in the ticket: 203.0.113[.]66 and www(dot)bad-cdn(dot)net",
        [("203.0.113.66", "ipv4"), ("www.bad-cdn.net", "domain")],
    ),
    (
        "lateral movement 10.20.30.40 -> 172.16.5.10 over SMB",
        [("10.20.30.40", "ipv4"), ("172.16.5.10", "ipv4")],
    ),
    (
        "DNS lookups for login.micros0ft-online.com and evil.com.br (WWW.EVIL.COM too)",
        [
            ("login.micros0ft-online.com", "domain"),
            ("evil.com.br", "domain"),
            ("www.evil.com", "domain"),
        ],
    ),
    (
        "homoglyph domain \u0440\u0430ypal.com registered yesterday",
        [("xn--ypal-43d9g.com", "domain")],
    ),
    (
        "upgraded openssl to 3.0.13 and restarted nginx at 12:00",
        [],
    ),
    (
        "dropper saved as C:\\Users\\bob\\AppData\\Local\\Temp\\invoice.one; payload.exe launched",
        [],
    ),
    (
        "same host 203.0.113.45 again, see earlier; evil-updates[.]com still resolving",
        [("203.0.113.45", "ipv4"), ("evil-updates.com", "domain")],
    ),
    (
        "Lure: hxxp[:]//bad-docs[.]zip/invoice.pdf and the file report.zip inside it",
        [("http://bad-docs.zip/invoice.pdf", "url")],
    ),
    (
        "ftp://files.example.net/a. and [ref](https://en.wikipedia.org/wiki/Foo_(bar))",
        [
            ("ftp://files.example.net/a", "url"),
            ("https://en.wikipedia.org/wiki/Foo_(bar)", "url"),
        ],
    ),
    (
        "PTR 45.113.0.203.in-addr.arpa points to mail.shady-host.xyz",
        [("45.113.0.203.in-addr.arpa", "domain"), ("mail.shady-host.xyz", "domain")],
    ),
    (
        "IPv4-mapped ::ffff:192.0.2.1 in the app log",
        [("::ffff:192.0.2.1", "ipv6")],
    ),
]


@pytest.mark.parametrize(("note", "expected"), CORPUS, ids=[n[:40] for n, _ in CORPUS])
def test_corpus(note: str, expected: list[tuple[str, str]]) -> None:
    assert [(i.value, i.type) for i in extract(note)] == expected


def test_corpus_covers_every_type() -> None:
    seen = {t for _, expected in CORPUS for _, t in expected}
    assert seen == set(IOC_TYPES)
    assert len(CORPUS) >= 20


NEGATIVES = [
    # version numbers
    "v1.2.3",
    "released 1.2.3 last week",
    "version 2.4.10.1 is vulnerable",
    "Version: 10.0.0.1",
    "build 10.0.0.1 and firmware 1.0.4.2",
    "openssl 3.0.13",
    "python3.11 and node v20.11.1",
    # times and timestamps
    "10:32:01",
    "2026-11-18T10:00:00Z",
    "2026-11-18T10:00:00.123Z and T10:32:01+00:00 and 10:32:01.250",
    "lunch at 12:00, back 13:30",
    "dated 18.11.2026",
    # ports alone
    "port 443 and :8443 and 3389/tcp",
    # file names
    "config.yaml notes.txt backup.tar.gz",
    "app.py readme.md install.sh report.zip Main.java run.pl clip.mov nginx.pid",
    "/var/www/html/shell.php and /tmp/evil.com and C:\\Temp\\evil.com",
    # code
    "os.path.join(a, b) logger.info('x') self.data com.example.Foo",
    # the unspecified address, netmasks, MAC addresses
    "listening on 0.0.0.0:8080 and :: and 0.0.0.0/0",
    "netmask 255.255.255.0 broadcast 255.255.255.255",
    "mac 00:1a:2b:3c:4d:5e",
    # invalid addresses and runs
    "1.2.3.4.5 and 256.1.1.1 and 010.1.1.1",
    # hex that is not a hash, identifiers that are not addresses
    "error 0x80070005, std::vector, dead::beef",
    "12345678901234567890123456789012 is a long number",
    # sentences run together, abbreviations, internal names
    "we blocked it.Then done.Next e.g. i.e. etc.",
    "dc01.corp.local and http://wiki.corp.local/runbook",
    # people, not accounts
    "@alice please check; the account was disabled; account: none",
    "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run and NT AUTHORITY\\SYSTEM",
]


@pytest.mark.parametrize("note", NEGATIVES)
def test_negatives(note: str) -> None:
    assert extract(note) == []


def test_file_extension_tld_counts_when_meant() -> None:
    # Defanged, three labels, or in a URL or e-mail address: a domain after all.
    assert extract("bad[.]zip") == [Indicator("bad.zip", "domain")]
    assert extract("cdn.bad.zip") == [Indicator("cdn.bad.zip", "domain")]
    assert extract("https://bad.zip/x") == [Indicator("https://bad.zip/x", "url")]
    assert extract("x@bad.zip") == [Indicator("x@bad.zip", "email")]
    assert extract("bad.zip") == []


def test_duplicates_keep_first_occurrence_order() -> None:
    text = "evil.com 203.0.113.1 EVIL.COM evil[.]com 203.0.113[.]1 1.1.1.1"
    assert extract(text) == [
        Indicator("evil.com", "domain"),
        Indicator("203.0.113.1", "ipv4"),
        Indicator("1.1.1.1", "ipv4"),
    ]


def test_url_host_is_not_also_a_domain() -> None:
    assert extract("http://evil.com/a and alice@evil.org") == [
        Indicator("http://evil.com/a", "url"),
        Indicator("alice@evil.org", "email"),
    ]


def test_refang() -> None:
    assert refang("hXXps[:]//evil[.]com/a (dot) b") == "https://evil.com/a.b"
    assert refang("alice[@]corp{.}org") == "alice@corp.org"


def test_indicator_is_frozen() -> None:
    indicator = Indicator("evil.com", "domain")
    with pytest.raises(AttributeError):
        indicator.value = "x"  # type: ignore[misc]


def test_is_valid() -> None:
    assert is_valid("evil.com", "domain")
    assert is_valid("bad.zip", "domain")
    assert not is_valid("EVIL.com", "domain")
    assert not is_valid("evil.com\n10.0.0.0/8", "domain")
    assert is_valid("10.0.0.0/8", "ipv4")
    assert not is_valid("0.0.0.0", "ipv4")
    assert not is_valid("evil.com", "md5")
    assert not is_valid("evil.com", "nonsense")


def test_blocklist_network_types_sorted() -> None:
    found = extract(
        "http://evil.com/x 203.0.113.10 alice@evil.com evil.com 2001:db8::1 "
        f"{MD5} user:bob 203.0.113.9 10.0.0.0/8 abc.net"
    )
    assert blocklist(found) == (
        "10.0.0.0/8\n203.0.113.9\n203.0.113.10\n2001:db8::1\nabc.net\nevil.com\nhttp://evil.com/x\n"
    )
    assert blocklist([]) == ""


def test_blocklist_drops_malformed_values() -> None:
    rows = [
        Indicator("evil.com\n0.0.0.0/0", "domain"),  # a hostile record: one line each
        Indicator("not a url", "url"),
        Indicator("evil.com", "domain"),
        Indicator("evil.com", "domain"),
    ]
    assert blocklist(rows) == "evil.com\n"


def test_to_csv_neutralises_formulas_and_parses_back() -> None:
    rows = [
        {"value": "evil.com", "type": "domain", "status": "confirmed", "note": "=HYPERLINK(1)"},
        {"value": "203.0.113.9", "type": "ipv4", "status": "new", "note": '+1, "quoted"\nline'},
        {"value": "alice", "type": "account", "status": "new", "note": "@SUM(A1)", "x": None},
        {"value": "a", "type": "account", "status": "-1", "note": "\tx", "entries": ["T1", "T2"]},
        {"value": "b", "type": "account", "status": "new", "note": "\r=cmd", "x": 0},
        {"value": "c", "type": "account", "status": "new", "note": "\x1b[31mred", "x": False},
    ]
    text = to_csv(rows)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["value", "type", "status", "note", "x", "entries"]
    assert parsed[1] == ["evil.com", "domain", "confirmed", "'=HYPERLINK(1)", "", ""]
    assert parsed[2] == ["203.0.113.9", "ipv4", "new", '\'+1, "quoted"\nline', "", ""]
    assert parsed[3] == ["alice", "account", "new", "'@SUM(A1)", "", ""]
    assert parsed[4] == ["a", "account", "'-1", "'\tx", "", "T1;T2"]
    # Controls are stripped (a carriage return too), and then the formula check is made.
    assert parsed[5] == ["b", "account", "new", "'=cmd", "0", ""]
    assert parsed[6] == ["c", "account", "new", "[31mred", "false", ""]
    assert len(parsed) == 7


def test_to_csv_is_the_one_csv_writer() -> None:
    rows = [{"value": "evil.com", "type": "domain", "entries": ["T1", "T2"], "note": "-x"}]
    fields = ["value", "type", "entries", "note"]
    assert to_csv(rows, fields) == tabular.to_csv(fields, rows)


def test_to_csv_with_fields() -> None:
    text = to_csv([{"value": "evil.com", "type": "domain", "extra": 1}], ["type", "value"])
    assert text == "type,value\r\ndomain,evil.com\r\n"
    assert to_csv([], ["value"]) == "value\r\n"


def test_a_control_or_bidi_character_ends_a_url() -> None:
    for char in ("\x1b", "\x07", "\x85", "\u202e", "\u2066", "\u200f"):
        assert extract(f"get http://evil.com/a{char}b.exe now") == [
            Indicator("http://evil.com/a", "url")
        ], repr(char)
        assert not is_valid(f"http://evil.com/a{char}b", "url")
    assert blocklist([Indicator("http://evil.com/a\u202eexe.txt", "url")]) == ""
