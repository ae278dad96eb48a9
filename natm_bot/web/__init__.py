"""The bot's own HTTP listener: health checks and Prometheus metrics, off unless configured."""
