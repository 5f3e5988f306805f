"""Personal data by design: the versioned privacy notice and the consents given under it,
what a coordinator can find, export and erase about one e-mail address (``privacy``), and
what is erased when its time is up (``retention``).
"""
