"""Pure SLA core: business calendars, priority matrix, targets, deadlines and clock status."""
