"""warroom: a terminal war-room console for security incidents and outages."""
