"""A fixed project key for tests (never used outside them)."""

TEST_KEY = b"test-key-0123456789abcdef0123456789abcdef"
