"""Adapters: the store, token hashing and the other things that talk to the world."""
