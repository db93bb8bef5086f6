"""Local stand-ins for the clouds the program deploys to, for the real engine's tests.

Each emulator listens on loopback only; each provider plugin is installed under the real
provider's name and version into a throwaway PULUMI_HOME, never onto a user's machine.
"""
