"""What every dialect shares: the update types, the errors, and the loop that drives an
accumulator."""
