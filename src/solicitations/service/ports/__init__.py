"""What the use cases need from the world, one protocol per module, fulfilled by the adapters."""
