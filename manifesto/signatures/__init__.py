"""Signatures, as the campaign's rules say they happen: the Manifesto's ``texts`` a
signature is bound to, ``signing`` (submit, confirm, verify, reject, withdraw), each change
of status a compare-and-set (``transitions``), the public ``counts`` that move only for the
request that wins, the public list (``public_list``) and the signs of abuse (``abuse``).
"""
