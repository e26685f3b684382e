"""Sync: moving stored rows between replicas of one incident, never plaintext.

A row (device, seq, prev, box, sig) is self-authenticating: its signature by its
device covers the incident id and every stored byte, and `prev` chains it to the
device's row before. So rows can travel through anything (a bundle file, a relay
that holds no key, an ssh pipe) and be checked on arrival by whoever holds them,
with or without the passphrase.

wire.py    the binary form of a list of rows, strict and bounded
intake.py  checking arriving rows against a store: signature, chain, duplicate, fork
peer.py    the one interface a sync talks to (vector, pull, push), and a local store
exchange.py  one sync between a store and a peer: forks swapped, push, pull, evidence
settings.py  this user's sync settings per incident (relay URL, peers' last vectors)
runner.py  one round against a URL (the peer chosen by scheme, anchors checked and
           moved forward), and the watch loop with its backoff
stdio.py   the framed protocol `sync-stdio` speaks over a pipe (both ends)
ssh.py     ssh:// URLs and the peer that runs `ssh host warroom sync-stdio PATH`
http.py    the peer that talks to a relay (httpx, retries with backoff and jitter)
bundle.py  bundles: rows sealed in blocks for files carried by hand
"""
