"""Exports: PGP/MIME emails, drafts, manifests, timelines and reports."""
