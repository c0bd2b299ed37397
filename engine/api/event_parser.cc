// Filled in by the event parser work.
