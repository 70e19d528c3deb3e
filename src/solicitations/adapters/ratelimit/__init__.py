"""Token-bucket backends: in-process for one node, Redis for many."""
