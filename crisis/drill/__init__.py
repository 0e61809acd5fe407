"""Fire drills: scenarios, scripted teams, schedules and their checks."""
