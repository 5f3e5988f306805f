"""Ambassador cities and what they bring: choosing them (``pipeline``: candidate,
interviewed, ambassador, alumni), their outreach log (``outreach``), the signatures their
referral links bring (``referrals``), their best practices (``practices``), and the dated
``targets`` their work counts toward.
"""
