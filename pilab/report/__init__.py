"""A report of a run: an HTML page with each press's timeline, a VCD and a Perfetto trace."""
