"""What every part of the campaign stands on, and none of its rules: fixed facts
(``campaign``), absolute URLs (``urls``), languages and country names (``i18n``), the
translated names of the domain's codes (``labels``), e-mail addresses (``emails``), keyed
hashes (``keyed``), attempt counters in the database (``throttle``) or outside it
(``ratelimit``), safe CSV (``csvsafe``), streamed downloads (``streaming``) and logs without
personal data (``logs``).

The packages above (``mail``, ``access``, ``signatures``, ``cities``, ``personal_data``,
``reporting``) may import these modules; these import only ``models`` and ``extensions``.
"""
