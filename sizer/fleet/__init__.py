"""``sizer fleet``: size a fleet of machines from an inventory or a folder of probe records."""
