"""One function per job. Each takes explicit inputs, returns a report object, never prints."""
