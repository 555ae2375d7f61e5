"""Errors a service function raises; the web layer maps each to its HTTP status.

Every message is Simplified Chinese first, English second.
"""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, message_en: str, **extra):
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en
        self.extra = extra


class InvalidInput(DomainError):
    status_code = 400


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class NotAuthenticated(DomainError):
    status_code = 401


class Conflict(DomainError):
    status_code = 409


class TooManyRequests(DomainError):
    status_code = 429


class TooLarge(DomainError):
    status_code = 413


class WrongContentType(DomainError):
    status_code = 415


class LengthRequired(DomainError):
    status_code = 411
