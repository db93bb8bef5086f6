"""Project tooling: the engine build (engine/), local cloud emulators and provider plugins (localcloud/)."""
