"""The main window and what frames the tabs: actions, welcome, help, theme, icon, log."""
