"""The local Cloudflare: its API emulator and the provider plugin that calls it."""
