"""Time in people's zones and repeat rules: pure functions the config and the meetings share."""
