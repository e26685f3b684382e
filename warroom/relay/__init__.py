"""The blind relay: an HTTP store of incidents' rows for replicas that cannot reach
each other. It holds ciphertext and signatures only, never a key or plaintext, and
checks every row's signature and chain before keeping it (warroom/sync/intake.py),
so no token holder can poison the others' replicas.

auth.py       bearer tokens: read from the request, known only by their SHA-256
limits.py     the bounds: request body, rows per push, rows and bytes per pull
incidents.py  DATA/<incident id hex>.db, one Store per incident: open, register, allow
app.py        the Starlette app: /v1/incidents/{id}/vector, pull, push, forks
serve.py      running it under uvicorn (TLS options passed through; logs hold no body)
"""
