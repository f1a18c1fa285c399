"""Desktop integration: one Heron per user (a local socket later commands reach), the
autostart entry and the global push-to-talk hotkey. Qt-free."""
