"""When things come due: timers and reminders, claimed from storage and fired once."""
