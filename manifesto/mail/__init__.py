"""E-mail: ``notify`` writes every message in its reader's language; ``outbox`` keeps it in
the same transaction as the change that caused it and sends it later, never in a request.
"""
