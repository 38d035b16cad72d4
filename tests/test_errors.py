"""The error hierarchy: messages, fields and pickling."""

import pickle

import pytest

from nubo import errors


def test_provider_error_message_names_provider_status_and_code() -> None:
    error = errors.NotFoundError(
        "no such instance",
        status=400,
        code="InvalidInstanceID.NotFound",
        provider="ec2",
        request_id="abc-123",
    )

    assert str(error) == (
        "[ec2 HTTP 400 InvalidInstanceID.NotFound] no such instance"
        " (request id abc-123)"
    )
    assert isinstance(error, errors.ProviderError)


def test_rate_limit_error_keeps_retry_after() -> None:
    error = errors.RateLimitError("slow down", status=429, retry_after=2.5)

    assert error.retry_after == 2.5
    assert error.status == 429


@pytest.mark.parametrize(
    "error",
    [
        errors.RateLimitError("slow down", status=429, retry_after=3.0),
        errors.ProviderLoadError(
            "cannot import", provider="x", target="m:C", distribution="d"
        ),
        errors.NotSupportedError(provider="dummy", method="copy_image"),
        errors.WaitTimeoutError("late", timeout=1.0, pending=[("i-1", "pending")]),
    ],
)
def test_errors_survive_pickling(error: errors.NuboError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_not_supported_is_also_not_implemented() -> None:
    error = errors.NotSupportedError(provider="dummy", method="copy_image")

    assert isinstance(error, NotImplementedError)
    assert "dummy" in str(error)
    assert "copy_image" in str(error)


def test_malformed_response_shows_the_excerpt() -> None:
    error = errors.MalformedResponseError(
        "the body is not XML", status=502, provider="ec2", body_excerpt="<html>"
    )

    assert "HTTP 502" in str(error)
    assert "<html>" in str(error)
