"""A fixed project key for tests (never used outside them): 64 random hex characters, as
`daeval key new` writes, so that it passes the key checks."""

TEST_KEY = b"8c91362fb540ddfe2859b9aafb51f91b00ca01bacafeb2e9e5918b6bcba3b3ff"
OTHER_KEY = b"a70246c927dedb3f1158fac8d002e88d82ab0dbb193f38e8b9e8bf1b46f23cff"
"""Another such key, for tests of what a different key meets."""
