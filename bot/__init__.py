"""The Telegram layer: translates between Telegram updates and the answering core."""
