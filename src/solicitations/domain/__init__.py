"""Pure rules of the Solicitations API: no I/O, time is always passed in."""
