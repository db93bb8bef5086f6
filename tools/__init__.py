"""Project tooling: the engine build (engine/), local emulators and plugins (localcloud/)."""
