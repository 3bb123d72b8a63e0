"""Pure analysis of collected data, by what it reads: gold history, one run, a sweep; and rendering."""
