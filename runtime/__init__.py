"""The Telegram side of the bot that is not a chat handler.

Update processing, process locks, web serving and similar runtime services live
here, so that `handlers/` holds only handlers and `digest/` never imports Telegram.
"""
