"""Who may do what, and what they did: coordinators' and ambassadors' ``accounts``
(invitations, secret links to set a password, login throttling), their ``passwords``
(argon2id), and the ``audit`` log of their actions, which is only ever added to.
"""
