"""The emulator's parts: state, errors, routing and one handler module per API family."""
