"""One token generator per kind of link, so a link of one kind never works as another.

Django's password-reset generator hashes the user's password, last login and e-mail: a link
stops working once used (the password or the last login changed). The salts keep the three
links (confirmation, invitation, password reset) apart.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class _SaltedGenerator(PasswordResetTokenGenerator):
    def __init__(self, key_salt: str):
        super().__init__()
        self.key_salt = key_salt


confirmation_tokens = _SaltedGenerator("candidates.tokens.confirmation")
invitation_tokens = _SaltedGenerator("candidates.tokens.invitation")
