"""
One error shape for every API 4xx/5xx (drf-standardized-errors):

    {"type": "validation_error" | "client_error" | "server_error",
     "errors": [{"code": "...", "detail": "...", "attr": "field" | null}]}
"""

import math
from dataclasses import asdict

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.types import CLIENT_ERROR, Error, ErrorResponse, ErrorType
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error


class ApplicationError(Exception):
    """
    A business rule refused the operation; the message is shown to the user. `retry_after`
    (seconds) says when trying again may succeed: the API sends it as a Retry-After header.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 400,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after


class ApplicationAPIException(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"


class PathwiseExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(detail=as_serializer_error(exc))
        if isinstance(exc, ApplicationError):
            error = ApplicationAPIException(detail=exc.message, code=exc.code)
            error.status_code = exc.status
            if exc.retry_after is not None:  # read by the handler, as DRF's Throttled.wait
                error.wait = max(1, math.ceil(exc.retry_after))
            return error
        return super().convert_known_exceptions(exc)


def exception_handler(exc, context):
    return PathwiseExceptionHandler(exc, context).run()


def error_payload(*, code: str, detail: str, error_type: ErrorType = CLIENT_ERROR) -> dict:
    """The standard error body, for responses made outside DRF (404 pages under /api/…)."""
    return asdict(ErrorResponse(error_type, [Error(code=code, detail=detail, attr=None)]))
