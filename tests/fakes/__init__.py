"""Local fakes of external services, for tests."""

from tests.fakes.postmark_server import FakePostmark, RecordedRequest, fake_dkim_value, fake_token

__all__ = ["FakePostmark", "RecordedRequest", "fake_dkim_value", "fake_token"]
