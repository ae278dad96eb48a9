"""What the operator gives: bot.yaml and the data/ files, validated."""
