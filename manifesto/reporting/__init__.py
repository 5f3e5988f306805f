"""What coordinators read: the ``dashboard``'s numbers for a period and a country, and the
CSV ``exports`` of signatories and outreach activities, streamed a batch at a time.
"""
