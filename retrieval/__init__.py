"""The answering core: loading, chunking, embedding, storing, searching and answering.

Knows nothing of Telegram; used by the bot, the CLI and the tests alike.
"""
